// The buyer-facing pages: GET the hosted checkout, POST Pay or Decline.
import type { IncomingMessage, ServerResponse } from "node:http";
import { DEFAULT_BUYER_EMAIL, renderCheckoutPage, renderMessagePage } from "./checkout-page";
import { readRawBody, redirect, sendHtml } from "./http";
import { declineCheckout, payCheckout, resolveCheckoutTarget, type CheckoutTarget, type PurchaseContext } from "./purchases";

const CHECKOUT_PATH = /^\/checkout\/([^/]+)(?:\/(pay|decline))?\/?$/;

function alreadyPaidPage(): string {
  return renderMessagePage(
    "Already paid",
    "This checkout session has already been paid. Each session can be paid once; start a new checkout to buy again.",
  );
}

function emailFrom(form: URLSearchParams): string {
  const email = form.get("email")?.trim();
  return email && email.includes("@") ? email : DEFAULT_BUYER_EMAIL;
}

/** Handles `/checkout/...`; returns false when the path is not a checkout path. */
export async function handleCheckoutRequest(req: IncomingMessage, res: ServerResponse, url: URL, context: PurchaseContext): Promise<boolean> {
  const match = CHECKOUT_PATH.exec(url.pathname);
  if (!match) return false;
  const planId = decodeURIComponent(match[1]!);
  const action = match[2];

  if (!action) {
    if (req.method !== "GET" && req.method !== "HEAD") return sendMethodNotAllowed(res);
    const target = resolveCheckoutTarget(context.state, planId, url.searchParams.get("session"));
    if (!target) return notFoundPage(res);
    if (target.checkout?.paidPaymentId || target.checkout?.membershipId) return sendAndReturn(res, 409, alreadyPaidPage());
    const html = renderCheckoutPage({
      plan: target.plan,
      product: context.state.products.get(target.plan.productId),
      company: context.state.companies.get(target.plan.companyId),
      checkout: target.checkout,
    });
    return sendAndReturn(res, 200, html);
  }

  if (req.method !== "POST") return sendMethodNotAllowed(res);
  const form = new URLSearchParams(await readRawBody(req));
  const target = resolveCheckoutTarget(context.state, planId, form.get("session") || url.searchParams.get("session"));
  if (!target) return notFoundPage(res);
  if (target.checkout?.paidPaymentId || target.checkout?.membershipId) return sendAndReturn(res, 409, alreadyPaidPage());
  if (action === "pay") return completePayment(res, context, target, emailFrom(form));
  declineCheckout(context, target, emailFrom(form));
  const retryUrl = `/checkout/${target.plan.id}/${target.checkout ? `?session=${target.checkout.id}` : ""}`;
  return sendAndReturn(
    res,
    200,
    renderMessagePage("Payment declined", "The card was declined (simulated).", { href: retryUrl, label: "Try again" }),
  );
}

function completePayment(res: ServerResponse, context: PurchaseContext, target: CheckoutTarget, email: string): true {
  const { payment, membership } = payCheckout(context, target, email);
  const redirectUrl = target.checkout?.redirectUrl;
  if (redirectUrl) {
    redirect(res, redirectUrl);
    return true;
  }
  const done = payment ? `Payment ${payment.id} succeeded.` : `Your free trial (membership ${membership.id}) has started.`;
  return sendAndReturn(res, 200, renderMessagePage("Payment complete", `Thank you! ${done}`));
}

function sendAndReturn(res: ServerResponse, status: number, html: string): true {
  sendHtml(res, status, html);
  return true;
}

function notFoundPage(res: ServerResponse): true {
  return sendAndReturn(res, 404, renderMessagePage("Checkout not found", "This checkout link does not exist in the local sandbox."));
}

function sendMethodNotAllowed(res: ServerResponse): true {
  return sendAndReturn(res, 405, renderMessagePage("Method not allowed", "Use the buttons on the checkout page."));
}
