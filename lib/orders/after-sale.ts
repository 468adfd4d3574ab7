import { and, eq, isNull } from "drizzle-orm";
import type { Actor } from "@/lib/auth/actor";
import { authorize } from "@/lib/auth/roles";
import { z } from "zod";
import { db } from "@/db/client";
import { orders, type Order } from "@/db/schema";
import { recordAudit } from "@/lib/audit/log";
import { logger } from "@/lib/logger";
import { formatMoney, isCurrency } from "@/lib/money";
import { isConnected } from "@/lib/tenants/queries";
import { whopClientForTenant } from "@/lib/tenants/whop";
import type { MembershipCancellationMode } from "@/lib/whop/client";
import { describeWhopProblem } from "@/lib/whop/messages";

/**
 * What a merchant does after the sale on the order page, besides refunds (lib/ledger/refunds.ts):
 * cancel the buyer's membership — which only *asks* Whop; the membership changes when Whop's
 * webhook (or reconciliation) reports it — and accept a payment whose amount differs from the
 * order's, which lets it grant access.
 */

export type AfterSaleResult =
  | { ok: true; message: string }
  | { ok: false; message: string; field?: "mode" };

const ORDER_NOT_FOUND = "That order does not exist.";

export const cancelMembershipFormSchema = z.object({
  orderId: z.string().trim().min(1).max(64),
  mode: z.enum(["immediate", "at_period_end"], { message: "Choose when the membership ends." }),
});
export type CancelMembershipForm = z.output<typeof cancelMembershipFormSchema>;

export const acceptPaymentFormSchema = z.object({ orderId: z.string().trim().min(1).max(64) });
export type AcceptPaymentForm = z.output<typeof acceptPaymentFormSchema>;

export function canCancelMembership(order: Order): boolean {
  return order.whopMembershipId !== null && order.membershipValid !== false;
}

async function findOrder(tenantId: string, orderId: string): Promise<Order | undefined> {
  const [order] = await db().select().from(orders).where(and(eq(orders.tenantId, tenantId), eq(orders.id, orderId))).limit(1);
  return order;
}

const MODE_TEXT: Record<MembershipCancellationMode, string> = {
  immediate: "immediately",
  at_period_end: "at the end of the current period",
};

export async function requestMembershipCancel(actor: Actor, form: CancelMembershipForm): Promise<AfterSaleResult> {
  authorize(actor, "admin");
  const { tenant } = actor;
  if (!isConnected(tenant)) return { ok: false, message: "Connect Whop first." };
  const order = await findOrder(tenant.id, form.orderId);
  if (!order) return { ok: false, message: ORDER_NOT_FOUND };
  if (!order.whopMembershipId) return { ok: false, message: "This order has no Whop membership to cancel." };
  if (order.membershipValid === false) return { ok: false, message: "The membership has already ended." };
  if (order.cancelRequestedAt && order.cancelRequestedMode === form.mode) {
    return { ok: true, message: `Cancellation (${MODE_TEXT[form.mode]}) was already requested from Whop.` };
  }

  try {
    await whopClientForTenant(tenant).cancelMembership({
      membershipId: order.whopMembershipId,
      mode: form.mode,
      idempotencyKey: `cancel_${order.id}_${form.mode}`,
    });
  } catch (error) {
    logger.warn({ err: error, tenantId: tenant.id, orderId: order.id }, "membership cancellation failed");
    return { ok: false, message: describeWhopProblem(error, { tenant, operation: "membership_cancel" }) };
  }

  const now = new Date();
  await db().transaction(async (tx) => {
    await tx
      .update(orders)
      .set({ cancelRequestedAt: now, cancelRequestedMode: form.mode, updatedAt: now })
      .where(and(eq(orders.tenantId, tenant.id), eq(orders.id, order.id)));
    await recordAudit(tx, {
      tenantId: tenant.id,
      actorUserId: actor.userId,
      action: "order.membership_cancel_requested",
      ip: actor.ip,
      detail: { orderId: order.id, membershipId: order.whopMembershipId, mode: form.mode },
    });
  });
  return {
    ok: true,
    message:
      form.mode === "immediate"
        ? "Cancellation requested: Whop ends the buyer's access now. The order updates when Whop confirms it."
        : "Cancellation requested: the membership ends at the end of the current period.",
  };
}

/**
 * "Accept this payment": Whop charged a different amount or currency than the order's, and the
 * merchant decides it is fine. Recorded (who, when) and audited; from then on the order grants access.
 */
export async function acceptPayment(actor: Actor, form: AcceptPaymentForm): Promise<AfterSaleResult> {
  authorize(actor, "admin");
  const { tenant } = actor;
  return db().transaction(async (tx): Promise<AfterSaleResult> => {
    const [order] = await tx
      .select()
      .from(orders)
      .where(and(eq(orders.tenantId, tenant.id), eq(orders.id, form.orderId)))
      .limit(1)
      .for("update");
    if (!order) return { ok: false, message: ORDER_NOT_FOUND };
    if (!order.amountMismatch) return { ok: false, message: "This order's payment matches its amount: there is nothing to accept." };
    if (order.amountAcceptedAt) return { ok: true, message: "This payment was already accepted." };
    const now = new Date();
    await tx
      .update(orders)
      .set({ amountAcceptedAt: now, amountAcceptedBy: actor.userId, updatedAt: now })
      .where(and(eq(orders.tenantId, tenant.id), eq(orders.id, order.id), isNull(orders.amountAcceptedAt)));
    const paid = order.paidMinor !== null && order.paidCurrency && isCurrency(order.paidCurrency) ? formatMoney(order.paidMinor, order.paidCurrency) : null;
    await recordAudit(tx, {
      tenantId: tenant.id,
      actorUserId: actor.userId,
      action: "order.payment_accepted",
      ip: actor.ip,
      detail: { orderId: order.id, paymentId: order.whopPaymentId, ...(paid ? { paid } : {}), expected: isCurrency(order.currency) ? formatMoney(order.amountMinor, order.currency) : String(order.amountMinor) },
    });
    return { ok: true, message: "Payment accepted: the order now grants access." };
  });
}
