import { and, asc, eq, isNull, lt, notExists } from "drizzle-orm";
import { db } from "@/db/client";
import { ledgerPayments, orders } from "@/db/schema";
import { rederiveOrder } from "@/lib/ledger/apply";

/** A checkout still pending this long after the order was created is abandoned. */
export const CHECKOUT_EXPIRES_AFTER_HOURS = 24;

export interface ExpireReport {
  checked: number;
  expired: number;
  /** True when the run stopped at its bound (the next run goes on). */
  more: boolean;
}

/**
 * The `orders.expire` job: an order pending for {@link CHECKOUT_EXPIRES_AFTER_HOURS} hours with no
 * payment row at all gets `expired_at`, and its status is derived again (lib/ledger/derive.ts:
 * no payment and `expired_at` set → expired). An order with any payment — even one Whop still
 * processes — is never expired, and a payment that arrives after expiry still makes the order
 * paid, since a succeeded payment outranks `expired_at` in the derivation. Oldest first, at most
 * `limit` a run; each order in its own short transaction, re-checked under the order's lock.
 */
export async function expireAbandonedCheckouts({
  now = new Date(),
  limit = 500,
  tenantId,
}: { now?: Date; limit?: number; /** One tenant's orders only. */ tenantId?: string } = {}): Promise<ExpireReport> {
  const cutoff = new Date(now.getTime() - CHECKOUT_EXPIRES_AFTER_HOURS * 60 * 60_000);
  const noPayment = notExists(
    db()
      .select({ id: ledgerPayments.id })
      .from(ledgerPayments)
      .where(and(eq(ledgerPayments.tenantId, orders.tenantId), eq(ledgerPayments.orderId, orders.id))),
  );
  const candidates = await db()
    .select({ tenantId: orders.tenantId, id: orders.id })
    .from(orders)
    .where(
      and(
        tenantId === undefined ? undefined : eq(orders.tenantId, tenantId),
        eq(orders.status, "pending"),
        isNull(orders.expiredAt),
        isNull(orders.whopPaymentId),
        // A free trial's membership comes without a payment: the checkout was not abandoned.
        isNull(orders.whopMembershipId),
        lt(orders.createdAt, cutoff),
        noPayment,
      ),
    )
    .orderBy(asc(orders.createdAt))
    .limit(limit);

  const report: ExpireReport = { checked: candidates.length, expired: 0, more: candidates.length === limit };
  for (const candidate of candidates) {
    const expired = await db().transaction(async (tx) => {
      const [order] = await tx
        .select()
        .from(orders)
        .where(and(eq(orders.tenantId, candidate.tenantId), eq(orders.id, candidate.id), eq(orders.status, "pending"), isNull(orders.expiredAt), isNull(orders.whopPaymentId), isNull(orders.whopMembershipId)))
        .for("update");
      if (!order) return false;
      const [payment] = await tx
        .select({ id: ledgerPayments.id })
        .from(ledgerPayments)
        .where(and(eq(ledgerPayments.tenantId, order.tenantId), eq(ledgerPayments.orderId, order.id)))
        .limit(1);
      if (payment) return false;
      await tx
        .update(orders)
        .set({ expiredAt: now })
        .where(and(eq(orders.tenantId, order.tenantId), eq(orders.id, order.id)));
      await rederiveOrder(tx, order.tenantId, { ...order, expiredAt: now });
      return true;
    });
    if (expired) report.expired++;
  }
  return report;
}
