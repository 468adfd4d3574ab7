import { and, asc, eq, isNotNull, lt } from "drizzle-orm";
import { db } from "@/db/client";
import { orders, tenants, type Order, type Tenant } from "@/db/schema";
import { logger } from "@/lib/logger";
import { isConnected } from "@/lib/tenants/queries";
import { whopClientForTenant } from "@/lib/tenants/whop";
import type { WhopPayment } from "@/lib/whop/client";
import { recordAndApply } from "@/lib/webhooks/ingest";
import { normalizeWhopEvent } from "@/lib/whop/events";

/**
 * Missed-webhook recovery. Whop retries a delivery for about 70 s and then gives up; an order still
 * pending after that is settled by reading its payment from Whop and applying it through the same
 * recording and state machine as a webhook, so the two never double-apply.
 */

export const RECONCILE_AFTER_MINUTES = 10;
/** Payments are listed from a little before the oldest order, in pages, up to this many. */
const MAX_PAGES = 20;

export type ReconcileOutcome = "applied" | "unchanged" | "no_payment_yet";

/** Reads the tenant's payments created since `since` and returns those that belong to one of `wanted`. */
async function findPayments(tenant: Tenant, wanted: Order[], since: Date): Promise<Map<string, WhopPayment>> {
  const byOrder = new Map<string, WhopPayment>();
  const byCheckout = new Map(wanted.filter((o) => o.whopCheckoutId).map((o) => [o.whopCheckoutId!, o.id]));
  const ids = new Set(wanted.map((o) => o.id));
  const client = whopClientForTenant(tenant);
  let after: string | undefined;
  for (let page = 0; page < MAX_PAGES && byOrder.size < wanted.length; page++) {
    const result = await client.listPayments({ companyId: tenant.whopCompanyId!, createdAfter: since, first: 100, after });
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

function eventNameFor(payment: WhopPayment): string | undefined {
  if (payment.status === "paid") return "payment.succeeded";
  if (payment.status === "failed" || payment.substatus === "failed") return "payment.failed";
  return undefined;
}

async function applyPayment(tenant: Tenant, payment: WhopPayment): Promise<ReconcileOutcome> {
  const name = eventNameFor(payment);
  if (!name) return "no_payment_yet";
  const normalized = normalizeWhopEvent({ api_version: "v1", type: name, data: payment.raw });
  if (!normalized.ok) throw new Error(`unexpected payment from Whop: ${normalized.error}`);
  // The key names the payment's state: the same state read twice is recorded once.
  const key = `reconcile:${payment.id}:${payment.status}:${payment.substatus ?? ""}:${String((payment.raw as { refunded_amount?: unknown }).refunded_amount ?? "")}`;
  const outcome = await recordAndApply(tenant, normalized.event, key, "reconcile", JSON.stringify(payment.raw));
  return outcome.result === "applied" ? "applied" : "unchanged";
}

/** The button on an order: reconcile this one order now. */
export async function reconcileOrder(tenant: Tenant, orderId: string): Promise<{ ok: true; outcome: ReconcileOutcome } | { ok: false; message: string }> {
  if (!isConnected(tenant)) return { ok: false, message: "Connect Whop first." };
  const [order] = await db().select().from(orders).where(and(eq(orders.tenantId, tenant.id), eq(orders.id, orderId))).limit(1);
  if (!order) return { ok: false, message: "That order does not exist." };
  const payments = await findPayments(tenant, [order], new Date(order.createdAt.getTime() - 5 * 60_000));
  const payment = payments.get(order.id);
  return { ok: true, outcome: payment ? await applyPayment(tenant, payment) : "no_payment_yet" };
}

export interface ReconcileReport {
  tenants: number;
  ordersChecked: number;
  applied: number;
  unchanged: number;
  noPaymentYet: number;
  failedTenants: string[];
}

/** `npm run reconcile`: every order still pending after `olderThanMinutes`, tenant by tenant. */
export async function reconcilePendingOrders({ olderThanMinutes = RECONCILE_AFTER_MINUTES, now = new Date() } = {}): Promise<ReconcileReport> {
  const report: ReconcileReport = { tenants: 0, ordersChecked: 0, applied: 0, unchanged: 0, noPaymentYet: 0, failedTenants: [] };
  const cutoff = new Date(now.getTime() - olderThanMinutes * 60_000);
  const pending = await db()
    .select({ order: orders, tenant: tenants })
    .from(orders)
    .innerJoin(tenants, eq(tenants.id, orders.tenantId))
    .where(and(eq(orders.status, "pending"), lt(orders.createdAt, cutoff), isNotNull(orders.whopCheckoutId)))
    .orderBy(asc(orders.tenantId), asc(orders.createdAt))
    .limit(5_000);

  const byTenant = new Map<string, { tenant: Tenant; orders: Order[] }>();
  for (const row of pending) {
    const group = byTenant.get(row.tenant.id) ?? { tenant: row.tenant, orders: [] };
    group.orders.push(row.order);
    byTenant.set(row.tenant.id, group);
  }

  for (const { tenant, orders: group } of byTenant.values()) {
    if (!isConnected(tenant)) continue;
    report.tenants++;
    report.ordersChecked += group.length;
    try {
      const since = new Date(group[0]!.createdAt.getTime() - 5 * 60_000);
      const payments = await findPayments(tenant, group, since);
      for (const order of group) {
        const payment = payments.get(order.id);
        const outcome = payment ? await applyPayment(tenant, payment) : "no_payment_yet";
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
