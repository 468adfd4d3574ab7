// `/_sandbox/*`: controls for tests and the demo. Not part of Whop's API; no auth (local tool).
import { openDispute, refundPayment, resolveDispute, settleRefund, type DisputeOutcome, type RefundOutcome } from "./after-sale";
import { badRequest, notFound } from "./http";
import { declineCheckout, payCheckout, resolveCheckoutTarget, type PurchaseContext } from "./purchases";
import { DEFAULT_BUYER_EMAIL } from "./checkout-page";
import { disputeJson, membershipJson, paymentJson, refundJson } from "./serializers";
import { endTrial, failRenewal, reachPeriodEnd, renewNow } from "./subscriptions";
import type { DeliveryAttempt } from "./state";

export type FaultMode = "500" | "429" | "hang";

export interface FaultPlan {
  mode: FaultMode;
  remaining: number;
}

export interface ControlContext extends PurchaseContext {
  faults: { current: FaultPlan | null };
  resetAll(): void;
}

export interface ControlRequest {
  params: Record<string, string>;
  query: URLSearchParams;
  body: Record<string, unknown>;
}

export interface ControlRoute {
  method: "GET" | "POST";
  template: string;
  handle(request: ControlRequest, context: ControlContext): { status: number; body: unknown };
}

function deliveryJson(attempt: DeliveryAttempt) {
  return {
    id: attempt.id,
    message_id: attempt.messageId,
    webhook_id: attempt.webhookId,
    company_id: attempt.companyId,
    url: attempt.url,
    event_type: attempt.eventType,
    api_version: attempt.apiVersion,
    attempt: attempt.attempt,
    status_code: attempt.statusCode,
    error: attempt.error,
    delivered: attempt.delivered,
    started_at: attempt.startedAt.toISOString(),
    finished_at: attempt.finishedAt?.toISOString() ?? null,
    next_retry_at: attempt.nextRetryAt?.toISOString() ?? null,
  };
}

function buyerEmail(body: Record<string, unknown>): string {
  return typeof body.email === "string" && body.email.includes("@") ? body.email : DEFAULT_BUYER_EMAIL;
}

function optionalFlag(body: Record<string, unknown>, name: string, fallback: boolean): boolean {
  const value = body[name];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== "boolean") throw badRequest(`${name} must be true or false`);
  return value;
}

const refundOutcome = (outcome: RefundOutcome): ControlRoute => ({
  method: "POST",
  template: `/_sandbox/refunds/:id/${outcome === "succeeded" ? "succeed" : "fail"}`,
  handle({ params }, context) {
    return { status: 200, body: refundJson(settleRefund(context, params.id!, outcome), context.state) };
  },
});

const disputeOutcome = (action: "win" | "lose" | "close", outcome: DisputeOutcome): ControlRoute => ({
  method: "POST",
  template: `/_sandbox/disputes/:id/${action}`,
  handle({ params }, context) {
    return { status: 200, body: disputeJson(resolveDispute(context, params.id!, outcome), context.state) };
  },
});

function checkoutTarget(context: ControlContext, checkoutId: string) {
  const checkout = context.state.checkoutConfigurations.get(checkoutId);
  const target = checkout ? resolveCheckoutTarget(context.state, checkout.planId, checkout.id) : null;
  if (!target) throw notFound(`Checkout configuration ${checkoutId} not found`);
  return target;
}

export const CONTROL_ROUTES: ControlRoute[] = [
  {
    method: "GET",
    template: "/_sandbox/state",
    handle(_request, { state, faults }) {
      const companies = [...state.companies.values()].map((company) => ({
        id: company.id,
        title: company.title,
        route: company.route,
        webhooks: [...state.webhooks.values()].filter((h) => h.companyId === company.id).length,
        payments: [...state.payments.values()].filter((p) => p.companyId === company.id).length,
      }));
      return {
        status: 200,
        body: {
          companies,
          counts: {
            products: state.products.size,
            plans: state.plans.size,
            checkout_configurations: state.checkoutConfigurations.size,
            payments: state.payments.size,
            memberships: state.memberships.size,
            refunds: state.refunds.size,
            disputes: state.disputes.size,
            webhooks: state.webhooks.size,
            delivery_attempts: state.deliveries.length,
          },
          pending_fault: faults.current,
        },
      };
    },
  },
  {
    method: "POST",
    template: "/_sandbox/companies",
    handle({ body }, { state }) {
      const title = typeof body.title === "string" && body.title.trim() ? body.title.trim() : "Sandbox Company";
      const licensing = optionalFlag(body, "licensing", false);
      const { company, keys } = state.createCompany(title, undefined, undefined, undefined, licensing);
      return {
        status: 201,
        body: { companyId: company.id, companyTitle: company.title, licensing, ...keys },
      };
    },
  },
  {
    method: "POST",
    template: "/_sandbox/products/:id/licensing",
    handle({ params, body }, { state }) {
      const product = state.products.get(params.id!);
      if (!product) throw notFound(`Product ${params.id!} not found`);
      product.licensing = optionalFlag(body, "enabled", true);
      return { status: 200, body: { product_id: product.id, licensing: product.licensing } };
    },
  },
  {
    method: "POST",
    template: "/_sandbox/payments/:id/refund",
    handle({ params, body }, context) {
      const settle = body.settle ?? "auto";
      if (settle !== "auto" && settle !== "hold") throw badRequest("settle must be 'auto' or 'hold'");
      return { status: 200, body: refundJson(refundPayment(context, params.id!, body.amount, settle), context.state) };
    },
  },
  refundOutcome("succeeded"),
  refundOutcome("failed"),
  {
    method: "POST",
    template: "/_sandbox/payments/:id/dispute",
    handle({ params, body }, context) {
      return { status: 200, body: disputeJson(openDispute(context, params.id!, body.amount, body.reason), context.state) };
    },
  },
  disputeOutcome("win", "won"),
  disputeOutcome("lose", "lost"),
  disputeOutcome("close", "closed"),
  {
    method: "POST",
    template: "/_sandbox/checkouts/:id/pay",
    handle({ params, body }, context) {
      const target = checkoutTarget(context, params.id!);
      if (target.checkout?.paidPaymentId || target.checkout?.membershipId) throw badRequest("This checkout session has already been paid");
      const { payment, membership } = payCheckout(context, target, buyerEmail(body));
      // A free trial starts without a payment: the membership answers instead.
      return { status: 200, body: payment ? paymentJson(payment, context.state) : membershipJson(membership, context.state, context.publicUrl) };
    },
  },
  {
    method: "POST",
    template: "/_sandbox/checkouts/:id/decline",
    handle({ params, body }, context) {
      const target = checkoutTarget(context, params.id!);
      return { status: 200, body: paymentJson(declineCheckout(context, target, buyerEmail(body)), context.state) };
    },
  },
  // The moments of a subscription that charge: each answers the payment it made.
  ...(
    [
      ["renew", renewNow],
      ["fail-renewal", failRenewal],
      ["end-trial", endTrial],
    ] as const
  ).map(
    ([moment, play]): ControlRoute => ({
      method: "POST",
      template: `/_sandbox/memberships/:id/${moment}`,
      handle({ params }, context) {
        return { status: 200, body: paymentJson(play(context, params.id!), context.state) };
      },
    }),
  ),
  {
    method: "POST",
    template: "/_sandbox/memberships/:id/period-end",
    handle({ params }, context) {
      return { status: 200, body: membershipJson(reachPeriodEnd(context, params.id!), context.state, context.publicUrl) };
    },
  },
  {
    method: "GET",
    template: "/_sandbox/deliveries",
    handle({ query }, { state }) {
      const companyId = query.get("company_id");
      const attempts = state.deliveries.filter((d) => !companyId || d.companyId === companyId);
      return { status: 200, body: { data: attempts.map(deliveryJson) } };
    },
  },
  {
    method: "POST",
    template: "/_sandbox/faults",
    handle({ body }, { faults }) {
      const mode = body.mode;
      const count = body.count ?? 1;
      if (mode !== "500" && mode !== "429" && mode !== "hang") throw badRequest("mode must be '500', '429' or 'hang'");
      if (typeof count !== "number" || !Number.isInteger(count) || count < 0) throw badRequest("count must be a non-negative integer");
      faults.current = count === 0 ? null : { mode, remaining: count };
      return { status: 200, body: { mode, count } };
    },
  },
  {
    method: "POST",
    template: "/_sandbox/reset",
    handle(_request, context) {
      context.resetAll();
      return { status: 200, body: { ok: true } };
    },
  },
];
