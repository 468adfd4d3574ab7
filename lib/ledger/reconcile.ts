import { and, asc, desc, eq, gte, isNotNull, isNull, lt, lte, notInArray, or, sql } from "drizzle-orm";
import { recordAudit } from "@/lib/audit/log";
import type { Actor } from "@/lib/auth/actor";
import { authorize } from "@/lib/auth/roles";
import { db } from "@/db/client";
import { orders, tenants, type Order, type Tenant } from "@/db/schema";
import { logger } from "@/lib/logger";
import { isConnected } from "@/lib/tenants/queries";
import { whopClientForTenant } from "@/lib/tenants/whop";
import type { WhopClient, WhopPayment } from "@/lib/whop/client";
import { parseWhopDispute, parseWhopMembership, parseWhopPayment, parseWhopRefund } from "@/lib/whop/events";
import { recordAndApply } from "./record";
import { disputeObservation, membershipFact, membershipLocator, paymentFact, paymentLocator, paymentStatusOf, refundObservation, type Observation } from "./observations";
import { scrubPayload } from "./scrub";

/*
 * Missed-webhook recovery. Whop retries a delivery for about 70 s and then gives up. An order still
 * unsettled after that — pending, a refund Whop has not settled, an open dispute — is read from
 * Whop's API: its payment, the payment's refunds and disputes, and its membership. Each resource
 * goes through the same recording and ledger path as a webhook (recorded once per state read, so
 * the same state read twice changes nothing), never through a made-up webhook envelope.
 */

export const RECONCILE_AFTER_MINUTES = 10;
/** Payments are listed from a little before the oldest order, in pages, up to this many. */
const MAX_PAGES = 20;
const PAGE_SIZE = 100;

export type ReconcileOutcome = "applied" | "unchanged" | "no_payment_yet";

/** Reads the tenant's payments created since `since` and returns those that belong to one of `wanted`. */
async function findPayments(client: WhopClient, tenant: Tenant, wanted: Order[], since: Date): Promise<Map<string, WhopPayment>> {
  const byOrder = new Map<string, WhopPayment>();
  const byCheckout = new Map(wanted.filter((o) => o.whopCheckoutId).map((o) => [o.whopCheckoutId!, o.id]));
  const ids = new Set(wanted.map((o) => o.id));
  let after: string | undefined;
  for (let page = 0; page < MAX_PAGES && byOrder.size < wanted.length; page++) {
    const result = await client.listPayments({ companyId: tenant.whopCompanyId!, createdAfter: since, first: PAGE_SIZE, after });
    for (const payment of result.data) {
      const orderId =
        typeof payment.metadata.order_id === "string" && ids.has(payment.metadata.order_id)
          ? payment.metadata.order_id
          : payment.checkoutConfigurationId
            ? byCheckout.get(payment.checkoutConfigurationId)
            : undefined;
      // A later, settled payment for the same order wins over an earlier failed attempt.
      if (orderId && (!byOrder.has(orderId) || payment.status === "paid")) byOrder.set(orderId, payment);
    }
    if (!result.pageInfo.hasNextPage || !result.pageInfo.endCursor) break;
    after = result.pageInfo.endCursor;
  }
  return byOrder;
}

/** One resource read from Whop, recorded once per state (`key`) and applied. */
async function record(tenant: Tenant, key: string, eventType: string, raw: unknown, observation: Observation): Promise<boolean> {
  const outcome = await recordAndApply(tenant, { key: `reconcile:${key}`, eventType, scheme: "reconcile", payload: JSON.stringify(scrubPayload(raw)), observation });
  return outcome.result === "applied";
}

async function recordPayment(tenant: Tenant, raw: unknown): Promise<boolean> {
  const payment = parseWhopPayment(raw);
  if (!payment) throw new Error("Whop answered a payment without an id");
  const status = paymentStatusOf(payment);
  const key = `payment:${payment.id}:${payment.status ?? ""}:${payment.substatus ?? ""}`;
  return record(tenant, key, `payment.${status === "succeeded" ? "succeeded" : status} (read from Whop)`, raw, { kind: "payment", payment: paymentFact(payment, status), locator: paymentLocator(payment) });
}

/** Every refund Whop lists for the payment, through the ledger; returns how many were read. */
export async function recordWhopRefunds(tenant: Tenant, paymentId: string, client: WhopClient = whopClientForTenant(tenant)): Promise<number> {
  let count = 0;
  let after: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const result = await client.listRefunds({ paymentId, first: PAGE_SIZE, after });
    for (const refund of result.data) {
      const parsed = parseWhopRefund(refund.raw);
      if (!parsed) continue;
      const withPayment = { ...parsed, paymentId: parsed.paymentId ?? paymentId };
      await record(tenant, `refund:${refund.id}:${parsed.status ?? ""}`, "refund (read from Whop)", refund.raw, refundObservation(withPayment, null));
      count++;
    }
    if (!result.pageInfo.hasNextPage || !result.pageInfo.endCursor) break;
    after = result.pageInfo.endCursor;
  }
  return count;
}

async function recordWhopDisputes(client: WhopClient, tenant: Tenant, paymentId: string): Promise<boolean> {
  let applied = false;
  let after: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const result = await client.listDisputes({ companyId: tenant.whopCompanyId!, paymentId, first: PAGE_SIZE, after });
    for (const dispute of result.data) {
      const parsed = parseWhopDispute(dispute.raw);
      if (!parsed || (parsed.paymentId ?? paymentId) !== paymentId) continue;
      const observation = disputeObservation({ ...parsed, paymentId }, null);
      applied = (await record(tenant, `dispute:${dispute.id}:${parsed.status ?? ""}`, "dispute (read from Whop)", dispute.raw, observation)) || applied;
    }
    if (!result.pageInfo.hasNextPage || !result.pageInfo.endCursor) break;
    after = result.pageInfo.endCursor;
  }
  return applied;
}

async function recordWhopMembership(client: WhopClient, tenant: Tenant, membershipId: string): Promise<boolean> {
  const membership = await client.getMembership(membershipId);
  const parsed = parseWhopMembership(membership.raw);
  if (!parsed) return false;
  const key = `membership:${parsed.id}:${parsed.status ?? ""}:${parsed.expiresAt?.toISOString() ?? ""}:${parsed.cancelAtPeriodEnd ?? ""}:${parsed.renewalPeriodEnd?.toISOString() ?? ""}`;
  return record(tenant, key, "membership (read from Whop)", membership.raw, { kind: "membership", membership: membershipFact(parsed, null), occurredAt: null, locator: membershipLocator(parsed) });
}

/** The payments of a subscription's plan besides `firstPaymentId` (its renewals, succeeded or failed), through the ledger. */
async function recordRenewals(client: WhopClient, tenant: Tenant, order: Order, firstPaymentId: string): Promise<boolean> {
  let applied = false;
  let after: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const result = await client.listPayments({ companyId: tenant.whopCompanyId!, planId: order.whopPlanId!, createdAfter: new Date(order.createdAt.getTime() - 5 * 60_000), first: PAGE_SIZE, after });
    for (const payment of result.data) {
      if (payment.id !== firstPaymentId) applied = (await recordPayment(tenant, payment.raw)) || applied;
    }
    if (!result.pageInfo.hasNextPage || !result.pageInfo.endCursor) break;
    after = result.pageInfo.endCursor;
  }
  return applied;
}

/** Everything Whop knows about one order's money and membership, through the ledger. */
async function reconcileWith(client: WhopClient, tenant: Tenant, order: Order, payment: WhopPayment | undefined): Promise<ReconcileOutcome> {
  if (!payment) {
    // A free trial has a membership and no payment yet.
    if (!order.whopMembershipId) return "no_payment_yet";
    return (await recordWhopMembership(client, tenant, order.whopMembershipId)) ? "applied" : "unchanged";
  }
  let applied = await recordPayment(tenant, payment.raw);
  // A subscription's renewals: every payment of the order's own plan.
  if (order.billingPeriodDays !== null && order.whopPlanId) applied = (await recordRenewals(client, tenant, order, payment.id)) || applied;
  await recordWhopRefunds(tenant, payment.id, client);
  applied = (await recordWhopDisputes(client, tenant, payment.id)) || applied;
  const [current] = await db().select({ whopMembershipId: orders.whopMembershipId }).from(orders).where(and(eq(orders.tenantId, tenant.id), eq(orders.id, order.id)));
  const membershipId = current?.whopMembershipId ?? payment.membershipId;
  if (membershipId) applied = (await recordWhopMembership(client, tenant, membershipId)) || applied;
  const [after] = await db().select({ updatedAt: orders.updatedAt }).from(orders).where(and(eq(orders.tenantId, tenant.id), eq(orders.id, order.id)));
  return applied || (after && after.updatedAt.getTime() !== order.updatedAt.getTime()) ? "applied" : "unchanged";
}

async function paymentOf(client: WhopClient, tenant: Tenant, order: Order): Promise<WhopPayment | undefined> {
  if (order.whopPaymentId) return client.getPayment(order.whopPaymentId);
  const payments = await findPayments(client, tenant, [order], new Date(order.createdAt.getTime() - 5 * 60_000));
  return payments.get(order.id);
}

/**
 * **Check with Whop** on an order (Admin and Owner): reconcile it now, audited. Whop is read
 * before anything is written, and what is written commits in its own transactions, so the entry
 * is recorded once the outcome is known.
 */
export async function checkOrderWithWhop(actor: Actor, orderId: string): Promise<{ ok: true; outcome: ReconcileOutcome } | { ok: false; message: string }> {
  authorize(actor, "admin");
  const result = await reconcileOrder(actor.tenant, orderId);
  if (result.ok) {
    await recordAudit(db(), { tenantId: actor.tenant.id, actorUserId: actor.userId, action: "order.reconciled", ip: actor.ip, detail: { orderId, outcome: result.outcome } });
  }
  return result;
}

/** Reconciles this one order now (the button's use case above, and scripts). */
export async function reconcileOrder(tenant: Tenant, orderId: string): Promise<{ ok: true; outcome: ReconcileOutcome } | { ok: false; message: string }> {
  if (!isConnected(tenant)) return { ok: false, message: "Connect Whop first." };
  const [order] = await db().select().from(orders).where(and(eq(orders.tenantId, tenant.id), eq(orders.id, orderId))).limit(1);
  if (!order) return { ok: false, message: "That order does not exist." };
  const client = whopClientForTenant(tenant);
  return { ok: true, outcome: await reconcileWith(client, tenant, order, await paymentOf(client, tenant, order)) };
}

export interface ReconcileReport {
  tenants: number;
  ordersChecked: number;
  applied: number;
  unchanged: number;
  noPaymentYet: number;
  failedTenants: string[];
}

/** The recent pass looks at orders last changed within this many hours; the daily pass at older ones. */
export const RECONCILE_RECENT_HOURS = 24;
/** Per tenant and run, so that one tenant's backlog cannot crowd out the others. */
export const RECONCILE_PER_TENANT = 50;
/** All tenants together, per run. */
export const RECONCILE_MAX_ORDERS = 2_000;

export interface ReconcileSelection {
  olderThanMinutes?: number;
  now?: Date;
  /**
   * `recent` (the 5-minute job): orders last changed within {@link RECONCILE_RECENT_HOURS} hours,
   * newest first per tenant. `older` (the daily job): those changed before that, in an order that
   * changes every day so that a backlog larger than the bound is worked through over the days.
   */
  window?: "recent" | "older";
  perTenant?: number;
  maxOrders?: number;
}

const unsettled = or(
  eq(orders.status, "pending"),
  eq(orders.refundPending, true),
  eq(orders.status, "disputed"),
  // A subscription whose period ended without word of a renewal or its end, or with a cancel or resume Whop has not confirmed.
  and(isNotNull(orders.billingPeriodDays), or(isNull(orders.subscriptionState), notInArray(orders.subscriptionState, ["canceled", "expired"])), lt(orders.currentPeriodEnd, sql`now()`)),
  isNotNull(orders.subscriptionActionState),
);

/**
 * Which orders a run reconciles, fair across tenants: each tenant's unsettled orders ranked on
 * their own (at most `perTenant` each), then taken rank by rank across tenants up to `maxOrders`
 * — every tenant's newest unsettled order comes before any tenant's second one. Only connected
 * tenants' orders that reached Whop (a checkout id) count.
 */
export async function selectUnsettledOrders({
  olderThanMinutes = RECONCILE_AFTER_MINUTES,
  now = new Date(),
  window = "recent",
  perTenant = RECONCILE_PER_TENANT,
  maxOrders = RECONCILE_MAX_ORDERS,
}: ReconcileSelection = {}): Promise<{ order: Order; tenant: Tenant }[]> {
  const cutoff = new Date(now.getTime() - olderThanMinutes * 60_000);
  const recentSince = new Date(now.getTime() - RECONCILE_RECENT_HOURS * 60 * 60_000);
  const rankOrder =
    window === "recent"
      ? sql`${orders.updatedAt} desc, ${orders.id} desc`
      : // A different, stable order each day (UTC): md5 of the order id and the date.
        sql`md5(${orders.id} || ${now.toISOString().slice(0, 10)})`;
  const ranked = db()
    .select({
      tenantId: orders.tenantId,
      id: orders.id,
      rank: sql<number>`row_number() over (partition by ${orders.tenantId} order by ${rankOrder})`.as("rank"),
    })
    .from(orders)
    .innerJoin(tenants, eq(tenants.id, orders.tenantId))
    .where(
      and(
        unsettled,
        lt(orders.updatedAt, cutoff),
        window === "recent" ? gte(orders.updatedAt, recentSince) : lt(orders.updatedAt, recentSince),
        isNotNull(orders.whopCheckoutId),
        isNotNull(tenants.whopCompanyId),
        isNotNull(tenants.whopApiKeyCiphertext),
      ),
    )
    .as("ranked");
  return db()
    .select({ order: orders, tenant: tenants })
    .from(ranked)
    .innerJoin(orders, and(eq(orders.tenantId, ranked.tenantId), eq(orders.id, ranked.id)))
    .innerJoin(tenants, eq(tenants.id, ranked.tenantId))
    .where(lte(ranked.rank, perTenant))
    .orderBy(asc(ranked.rank), desc(orders.updatedAt), asc(orders.tenantId))
    .limit(maxOrders);
}

/**
 * The scheduled reconciliation (`ledger.reconcile` every 5 minutes with `window: "recent"`,
 * `ledger.reconcile_older` daily with `window: "older"`; `npm run reconcile` runs both): orders
 * still unsettled after `olderThanMinutes` — pending, a refund Whop has not settled, an open
 * dispute — read from Whop tenant by tenant, a bounded number per tenant and per run.
 */
export async function reconcilePendingOrders({
  olderThanMinutes = RECONCILE_AFTER_MINUTES,
  now = new Date(),
  window = "recent",
  perTenant = RECONCILE_PER_TENANT,
  maxOrders = RECONCILE_MAX_ORDERS,
}: ReconcileSelection = {}): Promise<ReconcileReport> {
  const report: ReconcileReport = { tenants: 0, ordersChecked: 0, applied: 0, unchanged: 0, noPaymentYet: 0, failedTenants: [] };
  const selected = await selectUnsettledOrders({ olderThanMinutes, now, window, perTenant, maxOrders });

  const byTenant = new Map<string, { tenant: Tenant; orders: Order[] }>();
  for (const row of selected) {
    const group = byTenant.get(row.tenant.id) ?? { tenant: row.tenant, orders: [] };
    group.orders.push(row.order);
    byTenant.set(row.tenant.id, group);
  }

  for (const { tenant, orders: group } of byTenant.values()) {
    if (!isConnected(tenant)) continue;
    report.tenants++;
    report.ordersChecked += group.length;
    try {
      const client = whopClientForTenant(tenant);
      const withoutPayment = group.filter((order) => !order.whopPaymentId);
      const since = new Date(Math.min(...withoutPayment.map((order) => order.createdAt.getTime()), now.getTime()) - 5 * 60_000);
      const found = withoutPayment.length > 0 ? await findPayments(client, tenant, withoutPayment, since) : new Map<string, WhopPayment>();
      for (const order of group) {
        const payment = order.whopPaymentId ? await client.getPayment(order.whopPaymentId) : found.get(order.id);
        const outcome = await reconcileWith(client, tenant, order, payment);
        if (outcome === "applied") report.applied++;
        else if (outcome === "unchanged") report.unchanged++;
        else report.noPaymentYet++;
      }
    } catch (error) {
      logger.warn({ err: error, tenantId: tenant.id }, "reconciliation failed for a tenant");
      report.failedTenants.push(tenant.id);
    }
  }
  return report;
}
