import { and, eq, sql } from "drizzle-orm";
import { z } from "zod";
import { db } from "@/db/client";
import { orders, type Order, type Tenant } from "@/db/schema";
import { recordAudit } from "@/lib/audit/log";
import { env } from "@/lib/env";
import { logger } from "@/lib/logger";
import { formatMoney, isCurrency, parsePrice, toMajorUnits } from "@/lib/money";
import { isConnected } from "@/lib/tenants/queries";
import { whopClientForTenant } from "@/lib/tenants/whop";
import type { MembershipCancellationMode } from "@/lib/whop/client";
import { describeWhopProblem } from "@/lib/whop/messages";

/**
 * What a merchant does after the sale, from the order page: refund (full or partial) and cancel
 * the buyer's membership. Both only *ask* Whop: the order records the request ("Refund requested",
 * "Cancellation requested"), and its status and membership change only when Whop's webhook (or
 * reconciliation) reports the fact, through the same state machine as everything else.
 */

export interface AfterSaleActor {
  tenant: Tenant;
  userId: string;
  ip: string | null;
}

export type AfterSaleResult =
  | { ok: true; message: string }
  | { ok: false; message: string; field?: "amount" | "reason" | "mode" };

const ORDER_NOT_FOUND = "That order does not exist.";
const REFUNDABLE_STATUSES: ReadonlySet<Order["status"]> = new Set(["paid", "partially_refunded"]);

export const refundFormSchema = z.object({
  orderId: z.string().trim().min(1).max(64),
  amount: z.string().max(40),
  reason: z.string().trim().max(200, "Keep the reason under 200 characters.").optional().default(""),
  /** The refunded-or-requested total the form was rendered with: makes a double submit recognisable. */
  baseMinor: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
});
export type RefundForm = z.output<typeof refundFormSchema>;

export const cancelMembershipFormSchema = z.object({
  orderId: z.string().trim().min(1).max(64),
  mode: z.enum(["immediate", "at_period_end"], { message: "Choose when the membership ends." }),
});
export type CancelMembershipForm = z.output<typeof cancelMembershipFormSchema>;

/** How much of an order is refunded, asked for, and still refundable (minor units). */
export function refundPosition(order: Pick<Order, "amountMinor" | "refundedMinor" | "refundRequestedMinor">) {
  const committedMinor = Math.max(order.refundedMinor, order.refundRequestedMinor ?? 0);
  return {
    /** Refunded by Whop or asked of Whop. */
    committedMinor,
    /** Asked of Whop, not confirmed yet. */
    pendingMinor: committedMinor - order.refundedMinor,
    leftMinor: Math.max(0, order.amountMinor - committedMinor),
  };
}

export function canRefund(order: Order): boolean {
  return order.whopPaymentId !== null && REFUNDABLE_STATUSES.has(order.status) && refundPosition(order).leftMinor > 0;
}

export function canCancelMembership(order: Order): boolean {
  return order.whopMembershipId !== null && order.membershipValid !== false;
}

async function findOrder(tenantId: string, orderId: string): Promise<Order | undefined> {
  const [order] = await db().select().from(orders).where(and(eq(orders.tenantId, tenantId), eq(orders.id, orderId))).limit(1);
  return order;
}

/** parsePrice speaks of prices; here the merchant types a refund amount. */
function asAmountMessage(message: string): string {
  return message.replace(/\bprices\b/g, "amounts").replace(/\bprice\b/g, "amount").replace(/^Enter a amount/, "Enter an amount");
}

export async function requestRefund(actor: AfterSaleActor, form: RefundForm): Promise<AfterSaleResult> {
  const { tenant } = actor;
  if (!isConnected(tenant)) return { ok: false, message: "Connect Whop first." };
  const order = await findOrder(tenant.id, form.orderId);
  if (!order) return { ok: false, message: ORDER_NOT_FOUND };
  if (!order.whopPaymentId || !REFUNDABLE_STATUSES.has(order.status)) {
    return { ok: false, message: "Only a paid order can be refunded." };
  }
  const currency = order.currency;
  if (!isCurrency(currency)) return { ok: false, message: `Refunds in ${currency.toUpperCase()} are not supported.` };

  const parsed = parsePrice(form.amount, currency);
  if (!parsed.ok) return { ok: false, field: "amount", message: asAmountMessage(parsed.message) };
  const amountMinor = parsed.minor;
  const { committedMinor, leftMinor } = refundPosition(order);
  const targetMinor = form.baseMinor + amountMinor;

  if (form.baseMinor !== committedMinor) {
    // The same form submitted twice: its refund is already on its way.
    if (form.baseMinor < committedMinor && targetMinor <= committedMinor) {
      return { ok: true, message: `A refund of ${formatMoney(amountMinor, currency)} was already requested from Whop.` };
    }
    return { ok: false, message: "This order changed since the page was loaded. Reload it and check the amount." };
  }
  if (leftMinor === 0) return { ok: false, message: "Nothing is left to refund on this order." };
  if (amountMinor > leftMinor) {
    return { ok: false, field: "amount", message: `At most ${formatMoney(leftMinor, currency)} can still be refunded.` };
  }

  const fullRefund = committedMinor === 0 && amountMinor === order.amountMinor;
  try {
    await whopClientForTenant(tenant).refundPayment({
      paymentId: order.whopPaymentId,
      ...(fullRefund ? {} : { partialAmount: toMajorUnits(amountMinor, currency) }),
      // Order + requested cumulative total: a repeat of this very request refunds once on Whop.
      idempotencyKey: `refund_${order.id}_${targetMinor}`,
    });
  } catch (error) {
    logger.warn({ err: error, tenantId: tenant.id, orderId: order.id }, "refund request failed");
    return { ok: false, message: describeWhopProblem(error, { environment: env().whopEnvironment, operation: "refund" }) };
  }

  const now = new Date();
  await db().transaction(async (tx) => {
    await tx
      .update(orders)
      .set({
        refundRequestedMinor: sql`greatest(coalesce(${orders.refundRequestedMinor}, 0), ${targetMinor})`,
        refundRequestedAt: now,
        updatedAt: now,
      })
      .where(and(eq(orders.tenantId, tenant.id), eq(orders.id, order.id)));
    await recordAudit(tx, {
      tenantId: tenant.id,
      actorUserId: actor.userId,
      action: "order.refund_requested",
      ip: actor.ip,
      detail: {
        orderId: order.id,
        paymentId: order.whopPaymentId,
        amount: formatMoney(amountMinor, currency),
        amountMinor,
        currency,
        full: fullRefund,
        ...(form.reason ? { reason: form.reason } : {}),
      },
    });
  });
  return { ok: true, message: `Refund of ${formatMoney(amountMinor, currency)} requested. The order updates when Whop confirms it.` };
}

const MODE_TEXT: Record<MembershipCancellationMode, string> = {
  immediate: "immediately",
  at_period_end: "at the end of the current period",
};

export async function requestMembershipCancel(actor: AfterSaleActor, form: CancelMembershipForm): Promise<AfterSaleResult> {
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
    return { ok: false, message: describeWhopProblem(error, { environment: env().whopEnvironment, operation: "membership_cancel" }) };
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
