import { and, eq, isNull, lt, or, sql } from "drizzle-orm";
import { db, selectRows } from "@/db/client";
import { orders, tenants, type Item, type Order, type Tenant } from "@/db/schema";
import { env } from "@/lib/env";
import { newId } from "@/lib/ids";
import { toMajorUnits, type Currency } from "@/lib/money";
import { reportProblem } from "@/lib/problems/report";
import { renewalPlanPrices } from "@/lib/subscriptions/billing";
import { sweepRateLimitBuckets } from "@/lib/rate-limit";
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
 * Before Whop, one statement (`visitCheckout`) does everything the click needs from Postgres.
 */
export async function createBuyerCheckout({ slug, attemptId, returningBrowser = true, ip }: BuyerVisit): Promise<BuyerCheckoutResult> {
  const visit = await visitCheckout({ slug, attemptId, returningBrowser, ip, orderId: newId("ord") });
  if (!visit.ipAllowed) return { kind: "throttled", retryAfterSeconds: visit.retryAfterSeconds };
  if (!visit.found) return { kind: "not_found" };
  const { item, tenant } = visit.found;
  if (!item.active) return { kind: "gone", title: item.title };

  if (!visit.connected) {
    await reportProblem(tenant.id, "not_connected", `A buyer opened the link of “${item.title}”, but your account is not connected to Whop.`);
    return { kind: "merchant_unavailable" };
  }
  if (visit.keyRejected) {
    await reportProblem(tenant.id, "key_rejected", "Whop rejected your API key, so buyers cannot check out. Replace the key.");
    return { kind: "merchant_unavailable" };
  }
  if (visit.reuse) return { kind: "redirect", url: visit.reuse.purchaseUrl, orderId: visit.reuse.id, reused: true };
  if (!visit.order) return { kind: "throttled", retryAfterSeconds: visit.retryAfterSeconds };
  return openWhopCheckout(tenant, item, visit.order);
}

type CheckoutItem = Pick<Item, "id" | "slug" | "title" | "description" | "priceMinor" | "currency" | "active" | "whopProductId" | "billingPeriodDays" | "trialPeriodDays">;
type CheckoutTenant = Pick<Tenant, "id" | "environment" | "whopApiKeyCiphertext">;
type CheckoutOrder = Pick<Order, "id" | "amountMinor" | "currency" | "billingPeriodDays" | "trialPeriodDays">;

interface Visit {
  /** Under the per-IP limit (counted whatever happens next). */
  ipAllowed: boolean;
  retryAfterSeconds: number;
  found?: { item: CheckoutItem; tenant: CheckoutTenant };
  connected: boolean;
  keyRejected: boolean;
  /** This browser's pending checkout of the item, on the item's current terms. */
  reuse?: { id: string; purchaseUrl: string };
  /** The new pending order, when everything allowed one (the per-tenant limit counted it). */
  order?: CheckoutOrder;
}

interface VisitRow {
  ip_count: number;
  tenant_count: number | null;
  item_id: string | null;
  tenant_id: string;
  slug: string;
  title: string;
  description: string | null;
  price_minor: string | number;
  currency: string;
  active: boolean;
  whop_product_id: string | null;
  billing_period_days: number | null;
  trial_period_days: number | null;
  environment: Tenant["environment"];
  whop_api_key_ciphertext: string | null;
  connected: boolean;
  key_rejected: boolean;
  reuse_id: string | null;
  reuse_url: string | null;
  order_id: string | null;
}

/**
 * The click's one round trip: the item and its tenant by slug, the per-IP count, this browser's
 * reusable order, and — only when the item sells, the merchant is connected, the IP is under its
 * limit and nothing is reused — the per-tenant count and, under that limit, the pending order
 * (billing terms copied from the item: a subscription keeps what it was sold with). Counting
 * before checking, in the statement that checks, lets no burst through.
 */
async function visitCheckout(input: { slug: string; attemptId: string; returningBrowser: boolean; ip: string | null; orderId: string }): Promise<Visit> {
  const nowMs = Date.now();
  const windowMs = 60_000;
  const windowStart = new Date(Math.floor(nowMs / windowMs) * windowMs).toISOString();
  const retryAfterSeconds = Math.max(1, Math.ceil((Math.floor(nowMs / windowMs) * windowMs + windowMs - nowMs) / 1000));
  const since = new Date(nowMs - REUSE_WINDOW_MINUTES * 60_000).toISOString();
  const [row] = await selectRows<VisitRow>(sql`
    with found as (
      select i.id as item_id, i.tenant_id, i.slug, i.title, i.description, i.price_minor, i.currency, i.active, i.whop_product_id,
             i.billing_period_days, case when i.billing_period_days is null then null else i.trial_period_days end as trial_period_days,
             t.environment, t.whop_api_key_ciphertext,
             (t.whop_company_id is not null and t.whop_api_key_ciphertext is not null) as connected, t.key_rejected_at is not null as key_rejected
      from item_slugs s
      join items i on i.tenant_id = s.tenant_id and i.id = s.item_id
      join tenants t on t.id = s.tenant_id
      where s.slug = ${input.slug}
      limit 1
    ),
    per_ip as (
      insert into rate_limit_buckets (key, window_start, count) values (${`checkout:ip:${input.ip ?? "unknown"}`}, ${windowStart}::timestamptz, 1)
      on conflict (key, window_start) do update set count = rate_limit_buckets.count + 1
      returning count
    ),
    reusable as (
      select o.id, o.purchase_url from orders o join found f on o.tenant_id = f.tenant_id and o.item_id = f.item_id
      where ${input.returningBrowser} and o.attempt_id = ${input.attemptId} and o.created_at > ${since}::timestamptz
        and o.status = 'pending' and o.purchase_url is not null
        -- A price or billing change since then means a new checkout on the new terms.
        and o.amount_minor = f.price_minor and o.currency = f.currency
        and o.billing_period_days is not distinct from f.billing_period_days and o.trial_period_days is not distinct from f.trial_period_days
      order by o.created_at desc
      limit 1
    ),
    per_tenant as (
      insert into rate_limit_buckets (key, window_start, count)
      select 'checkout:tenant:' || f.tenant_id, ${windowStart}::timestamptz, 1 from found f
      where f.active and f.connected and not f.key_rejected
        and (select count from per_ip) <= ${CHECKOUT_VISITS_PER_MINUTE_PER_IP} and not exists (select 1 from reusable)
      on conflict (key, window_start) do update set count = rate_limit_buckets.count + 1
      returning count
    ),
    new_order as (
      insert into orders (id, tenant_id, item_id, amount_minor, currency, attempt_id, billing_period_days, trial_period_days)
      select ${input.orderId}, f.tenant_id, f.item_id, f.price_minor, f.currency, ${input.attemptId}, f.billing_period_days, f.trial_period_days
      from found f
      where (select count from per_tenant) <= ${CHECKOUTS_PER_MINUTE_PER_TENANT}
      returning id
    )
    select (select count from per_ip) as ip_count, (select count from per_tenant) as tenant_count, f.*,
           r.id as reuse_id, r.purchase_url as reuse_url, (select id from new_order) as order_id
    from (select 1) as visit
    left join found f on true
    left join reusable r on true`);
  // The per-IP limit's old windows are useless: a rare sweep keeps the table small without a scheduler.
  if (Math.random() < 0.01) await sweepRateLimitBuckets(nowMs);
  if (!row) throw new Error("the checkout statement answered no row");
  const ipAllowed = Number(row.ip_count) <= CHECKOUT_VISITS_PER_MINUTE_PER_IP;
  if (!row.item_id) return { ipAllowed, retryAfterSeconds, connected: false, keyRejected: false };
  const item: CheckoutItem = {
    id: row.item_id,
    slug: row.slug,
    title: row.title,
    description: row.description,
    priceMinor: Number(row.price_minor),
    currency: row.currency,
    active: row.active,
    whopProductId: row.whop_product_id,
    billingPeriodDays: row.billing_period_days,
    trialPeriodDays: row.trial_period_days,
  };
  return {
    ipAllowed,
    retryAfterSeconds,
    found: { item, tenant: { id: row.tenant_id, environment: row.environment, whopApiKeyCiphertext: row.whop_api_key_ciphertext } },
    connected: row.connected,
    keyRejected: row.key_rejected,
    ...(row.reuse_id && row.reuse_url ? { reuse: { id: row.reuse_id, purchaseUrl: row.reuse_url } } : {}),
    ...(row.order_id ? { order: { id: row.order_id, amountMinor: item.priceMinor, currency: item.currency, billingPeriodDays: item.billingPeriodDays, trialPeriodDays: item.trialPeriodDays } } : {}),
  };
}

async function openWhopCheckout(tenant: CheckoutTenant, item: CheckoutItem, order: CheckoutOrder): Promise<BuyerCheckoutResult> {
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

async function recordCheckoutFailure(tenant: CheckoutTenant, order: CheckoutOrder, error: unknown, message: string): Promise<BuyerCheckoutResult> {
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
