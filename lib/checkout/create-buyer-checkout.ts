import { and, desc, eq, gt, isNotNull, isNull, lt, or, sql } from "drizzle-orm";
import { db } from "@/db/client";
import { itemSlugs, items, orders, tenants, type Item, type Order, type Tenant } from "@/db/schema";
import { env } from "@/lib/env";
import { newId } from "@/lib/ids";
import { toMajorUnits, type Currency } from "@/lib/money";
import { reportProblem } from "@/lib/problems/report";
import { renewalPlanPrices } from "@/lib/subscriptions/billing";
import { hitRateLimit } from "@/lib/rate-limit";
import { isConnected } from "@/lib/tenants/queries";
import { whopClientForTenant } from "@/lib/tenants/whop";
import { WhopApiError } from "@/lib/whop/client";
import { describeWhopProblem } from "@/lib/whop/messages";

/** Whop allows 600 requests per minute per operation and key; stay well under it. */
export const CHECKOUTS_PER_MINUTE_PER_TENANT = 300;
export const CHECKOUT_VISITS_PER_MINUTE_PER_IP = 30;
export const REUSE_WINDOW_MINUTES = 30;
const PLAN_TITLE_MAX = 30;

export type BuyerCheckoutResult =
  | { kind: "redirect"; url: string; orderId: string; reused: boolean }
  | { kind: "not_found" }
  | { kind: "gone"; title: string }
  | { kind: "throttled"; retryAfterSeconds: number }
  /** The merchant's connection cannot sell right now (not connected, key rejected, permissions). */
  | { kind: "merchant_unavailable"; orderId?: string }
  | { kind: "whop_rate_limited"; retryAfterSeconds: number; orderId: string }
  | { kind: "whop_failed"; orderId: string };

interface BuyerVisit {
  slug: string;
  /** The browser's random checkout cookie. */
  attemptId: string;
  /** The cookie came with the request (a brand-new one cannot have an order to reuse). */
  returningBrowser?: boolean;
  ip: string | null;
}

/**
 * A buyer's click on /pay/<slug>: a pending order first, then exactly one Whop call that creates
 * a one-time hidden plan and its checkout together, then the buyer goes to Whop's purchase URL.
 * A second click from the same browser within 30 minutes reuses the pending order's checkout.
 */
export async function createBuyerCheckout({ slug, attemptId, returningBrowser = true, ip }: BuyerVisit): Promise<BuyerCheckoutResult> {
  // Independent reads and writes go out together (two pooled connections): the buyer waits for one round trip, not two.
  const [perIp, [found]] = await Promise.all([
    hitRateLimit(`checkout:ip:${ip ?? "unknown"}`, CHECKOUT_VISITS_PER_MINUTE_PER_IP, 60),
    // The slug lookup names the tenant and item; one statement joins through it.
    db()
      .select({ item: items, tenant: tenants })
      .from(itemSlugs)
      .innerJoin(items, and(eq(items.tenantId, itemSlugs.tenantId), eq(items.id, itemSlugs.itemId)))
      .innerJoin(tenants, eq(tenants.id, itemSlugs.tenantId))
      .where(eq(itemSlugs.slug, slug))
      .limit(1)
      .execute(),
  ]);
  if (!perIp.allowed) return { kind: "throttled", retryAfterSeconds: perIp.retryAfterSeconds };
  if (!found) return { kind: "not_found" };
  const { item, tenant } = found;
  if (!item.active) return { kind: "gone", title: item.title };

  if (!isConnected(tenant)) {
    await reportProblem(tenant.id, "not_connected", `A buyer opened the link of “${item.title}”, but your account is not connected to Whop.`);
    return { kind: "merchant_unavailable" };
  }
  if (tenant.keyRejectedAt) {
    await reportProblem(tenant.id, "key_rejected", "Whop rejected your API key, so buyers cannot check out. Replace the key.");
    return { kind: "merchant_unavailable" };
  }

  const reusable = returningBrowser ? await findReusableOrder(tenant.id, item, attemptId) : undefined;
  if (reusable?.purchaseUrl) return { kind: "redirect", url: reusable.purchaseUrl, orderId: reusable.id, reused: true };

  const perTenant = await hitRateLimit(`checkout:tenant:${tenant.id}`, CHECKOUTS_PER_MINUTE_PER_TENANT, 60);
  if (!perTenant.allowed) return { kind: "throttled", retryAfterSeconds: perTenant.retryAfterSeconds };

  const [order] = await db()
    .insert(orders)
    .values({
      id: newId("ord"),
      tenantId: tenant.id,
      itemId: item.id,
      amountMinor: item.priceMinor,
      currency: item.currency,
      attemptId,
      // A subscription keeps what it was sold with, whatever the item says later.
      billingPeriodDays: item.billingPeriodDays,
      trialPeriodDays: item.billingPeriodDays === null ? null : item.trialPeriodDays,
    })
    .returning();
  return openWhopCheckout(tenant, item, order!);
}

async function findReusableOrder(tenantId: string, item: Item, attemptId: string): Promise<Order | undefined> {
  const since = new Date(Date.now() - REUSE_WINDOW_MINUTES * 60_000);
  const [order] = await db()
    .select()
    .from(orders)
    .where(
      and(
        eq(orders.tenantId, tenantId),
        eq(orders.itemId, item.id),
        eq(orders.attemptId, attemptId),
        gt(orders.createdAt, since),
        eq(orders.status, "pending"),
        isNotNull(orders.purchaseUrl),
      ),
    )
    .orderBy(desc(orders.createdAt))
    .limit(1);
  // A price or billing change since then means a new checkout on the new terms.
  const sameTerms =
    order &&
    order.amountMinor === item.priceMinor &&
    order.currency === item.currency &&
    order.billingPeriodDays === item.billingPeriodDays &&
    (order.trialPeriodDays ?? null) === (item.billingPeriodDays === null ? null : item.trialPeriodDays);
  return sameTerms ? order : undefined;
}

async function openWhopCheckout(tenant: Tenant, item: Item, order: Order): Promise<BuyerCheckoutResult> {
  const { appUrl } = env();
  const currency = item.currency as Currency;
  const metadata = { order_id: order.id, tenant_id: tenant.id, item_id: item.id };
  // A subscription is a renewal plan; its prices come from the one rule in lib/subscriptions/billing.ts.
  const prices =
    order.billingPeriodDays === null
      ? { initialPrice: toMajorUnits(order.amountMinor, currency) }
      : (() => {
          const { initialPrice, renewalPrice } = renewalPlanPrices(order.amountMinor, currency);
          return {
            initialPrice,
            renewal: { billingPeriodDays: order.billingPeriodDays, renewalPrice, ...(order.trialPeriodDays ? { trialPeriodDays: order.trialPeriodDays } : {}) },
            // Renewal payments carry the plan's metadata: how a renewal finds its order.
            metadata,
          };
        })();
  try {
    // Short timeouts and one retry: a buyer is waiting. The Idempotency-Key makes the retry safe.
    const checkout = await whopClientForTenant(tenant, { timeoutMs: 6_000, maxRetries: 1 }).createCheckoutConfiguration({
      idempotencyKey: order.id,
      plan: {
        currency,
        ...prices,
        title: item.title.slice(0, PLAN_TITLE_MAX).trimEnd(),
        ...(item.description ? { description: item.description } : {}),
        ...(item.whopProductId ? { productId: item.whopProductId } : {}),
        visibility: "hidden",
      },
      metadata,
      redirectUrl: `${appUrl}/pay/${item.slug}/done?order=${order.id}`,
    });
    await Promise.all([
      db()
        .update(orders)
        .set({ whopCheckoutId: checkout.id, whopPlanId: checkout.planId, purchaseUrl: checkout.purchaseUrl, updatedAt: new Date() })
        .where(and(eq(orders.tenantId, tenant.id), eq(orders.id, order.id)))
        .execute(),
      noteWhopAcceptedKey(tenant.id),
    ]);
    return { kind: "redirect", url: checkout.purchaseUrl, orderId: order.id, reused: false };
  } catch (error) {
    const message = describeWhopProblem(error, { tenant, operation: "checkout" });
    await db()
      .update(orders)
      .set({ status: "failed", failureReason: message, updatedAt: new Date() })
      .where(and(eq(orders.tenantId, tenant.id), eq(orders.id, order.id), eq(orders.status, "pending")));
    return recordCheckoutFailure(tenant, order, error, message);
  }
}

/** "Last successful Whop call" on the dashboard; written at most once a minute per tenant. */
async function noteWhopAcceptedKey(tenantId: string): Promise<void> {
  await db()
    .update(tenants)
    .set({ keyVerifiedAt: sql`now()` })
    .where(and(eq(tenants.id, tenantId), or(isNull(tenants.keyVerifiedAt), lt(tenants.keyVerifiedAt, sql`now() - interval '1 minute'`))));
}

async function recordCheckoutFailure(tenant: Tenant, order: Order, error: unknown, message: string): Promise<BuyerCheckoutResult> {
  const kind = error instanceof WhopApiError ? error.kind : undefined;
  if (kind === "unauthorized") {
    await db().update(tenants).set({ keyRejectedAt: new Date() }).where(eq(tenants.id, tenant.id));
    await reportProblem(tenant.id, "key_rejected", message);
    return { kind: "merchant_unavailable", orderId: order.id };
  }
  if (kind === "forbidden" || kind === "missing_permissions") {
    await reportProblem(tenant.id, "key_permissions", message);
    return { kind: "merchant_unavailable", orderId: order.id };
  }
  await reportProblem(tenant.id, "checkout_failed", message);
  if (kind === "rate_limited") {
    return { kind: "whop_rate_limited", retryAfterSeconds: (error as WhopApiError).retryAfterSeconds ?? 30, orderId: order.id };
  }
  if (!(error instanceof WhopApiError)) throw error;
  return { kind: "whop_failed", orderId: order.id };
}
