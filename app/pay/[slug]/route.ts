import { randomBytes } from "node:crypto";
import { cookies, headers } from "next/headers";
import { z } from "zod";
import { ATTEMPT_COOKIE } from "@/lib/checkout/attempt-cookie";
import { buyerPage } from "@/lib/checkout/buyer-page";
import { createBuyerCheckout, type BuyerCheckoutResult } from "@/lib/checkout/create-buyer-checkout";
import { env } from "@/lib/env";
import { clientIpFrom } from "@/lib/http/client-ip";
import { requestIdFrom } from "@/lib/http/request-id";
import { logger, type Logger } from "@/lib/logger";

export const dynamic = "force-dynamic";

const slugSchema = z.string().regex(/^[A-Za-z0-9]{16}$/);
const attemptSchema = z.string().regex(/^[A-Za-z0-9_-]{22,64}$/);

const notFound = () => buyerPage(404, "This checkout link does not exist", "Check the link you were given, or ask the seller for a new one.");

/** Link previews and crawlers probe with HEAD: answer without creating an order or a Whop plan. */
export async function HEAD(_request: Request, { params }: { params: Promise<{ slug: string }> }) {
  return new Response(null, { status: slugSchema.safeParse((await params).slug).success ? 200 : 404 });
}

/** One log line per checkout: slug, outcome, status and duration, tagged with the request id. */
export async function GET(request: Request, { params }: { params: Promise<{ slug: string }> }) {
  const started = performance.now();
  const log = logger.child({ requestId: requestIdFrom(request.headers) });
  const slug = (await params).slug;
  const { outcome, response } = await openCheckout(slug, log);
  log.info({ slug: slug.slice(0, 64), outcome, status: response.status, durationMs: Math.round(performance.now() - started) }, "buyer checkout");
  return response;
}

async function openCheckout(rawSlug: string, log: Logger): Promise<{ outcome: string; response: Response }> {
  const slug = slugSchema.safeParse(rawSlug);
  if (!slug.success) return { outcome: "invalid_slug", response: notFound() };

  const jar = await cookies();
  const existing = attemptSchema.safeParse(jar.get(ATTEMPT_COOKIE)?.value);
  const attemptId = existing.success ? existing.data : randomBytes(18).toString("base64url");
  const ip = clientIpFrom(await headers());

  let result;
  try {
    result = await createBuyerCheckout({ slug: slug.data, attemptId, returningBrowser: existing.success, ip });
  } catch (error) {
    log.error({ err: error, slug: slug.data }, "buyer checkout failed unexpectedly");
    return { outcome: "error", response: buyerPage(500, "Something went wrong", "We could not open the checkout. Please try again in a moment.") };
  }
  if (result.kind === "redirect" && !existing.success) {
    jar.set(ATTEMPT_COOKIE, attemptId, {
      httpOnly: true,
      sameSite: "lax",
      secure: env().appUrl.startsWith("https://"),
      path: "/pay",
      maxAge: 30 * 24 * 60 * 60,
    });
  }
  return { outcome: result.kind, response: buyerResponse(result) };
}

function buyerResponse(result: BuyerCheckoutResult): Response {
  switch (result.kind) {
    case "redirect":
      return new Response(null, { status: 303, headers: { Location: result.url, "Cache-Control": "no-store" } });
    case "not_found":
      return notFound();
    case "gone":
      return buyerPage(410, `“${result.title}” is no longer available`, "The seller has stopped selling this item. Nothing was charged.");
    case "throttled":
      return buyerPage(429, "Too many checkouts at once", `Please wait ${result.retryAfterSeconds} seconds and try again.`, {
        "Retry-After": String(result.retryAfterSeconds),
      });
    case "merchant_unavailable":
      return buyerPage(503, "Checkout is temporarily unavailable", "The seller's payment setup needs attention; they have been notified. Nothing was charged. Please try again later.");
    case "whop_rate_limited":
      return buyerPage(503, "Checkout is busy right now", `Please try again in ${result.retryAfterSeconds} seconds. Nothing was charged.`, {
        "Retry-After": String(result.retryAfterSeconds),
      });
    case "whop_failed":
      return buyerPage(502, "Whop's checkout is not answering", "The payment provider did not respond. Nothing was charged. Please try again in a minute.");
  }
}
