import { and, desc, eq, inArray, isNull, ne, sql } from "drizzle-orm";
import type { Actor } from "@/lib/auth/actor";
import { authorize } from "@/lib/auth/roles";
import { z } from "zod";
import { db, type Executor } from "@/db/client";
import { ledgerPayments, ledgerRefunds, orders, refundRequests, type Order, type Tenant } from "@/db/schema";
import { recordAudit } from "@/lib/audit/log";
import { newId } from "@/lib/ids";
import { logger } from "@/lib/logger";
import { formatMoney, isCurrency, parsePrice, toMajorUnits } from "@/lib/money";
import { isConnected } from "@/lib/tenants/queries";
import { whopClientForTenant } from "@/lib/tenants/whop";
import { isWhopApiError } from "@/lib/whop/client";
import { describeWhopProblem } from "@/lib/whop/messages";
import { recordOrderChange } from "@/lib/outbound/outbox";
import { rederiveOrder } from "./apply";
import { recordWhopRefunds } from "./reconcile";

/*
 * A refund from the dashboard, exactly once. Whop declares no idempotency for refunds, so the
 * product never sends the same refund twice: the request is reserved first, against the refunded
 * total the page showed (a double click, a second tab or a replayed form post finds it reserved),
 * then one POST goes to Whop per reservation. When that POST times out or Whop answers 5xx, nobody
 * knows whether Whop refunded: the payment's refunds are read back from Whop and the request
 * settles by what Whop says, never by trying again.
 */

export type RefundResult = { ok: true; message: string } | { ok: false; message: string; field?: "amount" | "reason" };

export const refundFormSchema = z.object({
  orderId: z.string().trim().min(1).max(64),
  amount: z.string().max(40),
  reason: z.string().trim().max(200, "Keep the reason under 200 characters.").optional().default(""),
  /** The committed refund total the page showed: the reservation is made against it. */
  baseMinor: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
});
export type RefundForm = z.output<typeof refundFormSchema>;

const REFUNDABLE: ReadonlySet<Order["status"]> = new Set(["paid", "partially_refunded"]);

/** Refunded, pending at Whop, or asked of Whop and not answered yet (minor units). */
export interface RefundPosition {
  committedMinor: number;
  /** Pending at Whop or asked of Whop. */
  pendingMinor: number;
  leftMinor: number;
}

/** The refund position of a (locked, or merely read) order, from its ledger rows and open requests. */
export async function refundPosition(executor: Executor | undefined, order: Pick<Order, "tenantId" | "id" | "amountMinor" | "paidMinor" | "refundedMinor">): Promise<RefundPosition> {
  const run = executor ?? db();
  const [[pendingRefunds], [openRequests]] = await Promise.all([
    run
      .select({ minor: sql<string>`coalesce(sum(${ledgerRefunds.amountMinor}), 0)` })
      .from(ledgerRefunds)
      .where(and(eq(ledgerRefunds.tenantId, order.tenantId), eq(ledgerRefunds.orderId, order.id), inArray(ledgerRefunds.status, ["pending", "requires_action"]))),
    run
      .select({ minor: sql<string>`coalesce(sum(${refundRequests.amountMinor}), 0)` })
      .from(refundRequests)
      .where(and(eq(refundRequests.tenantId, order.tenantId), eq(refundRequests.orderId, order.id), isNull(refundRequests.whopRefundId), ne(refundRequests.state, "failed"))),
  ]);
  const pendingMinor = Number(pendingRefunds?.minor ?? 0) + Number(openRequests?.minor ?? 0);
  const committedMinor = order.refundedMinor + pendingMinor;
  const paid = order.paidMinor ?? order.amountMinor;
  return { committedMinor, pendingMinor, leftMinor: Math.max(0, paid - committedMinor) };
}

export function canRefund(order: Pick<Order, "whopPaymentId" | "status">, position: RefundPosition): boolean {
  return order.whopPaymentId !== null && REFUNDABLE.has(order.status) && position.leftMinor > 0;
}

/** parsePrice speaks of prices; here the merchant types a refund amount. */
function asAmountMessage(message: string): string {
  return message.replace(/\bprices\b/g, "amounts").replace(/\bprice\b/g, "amount").replace(/^Enter a amount/, "Enter an amount");
}

type Reservation =
  | { kind: "reserved"; requestId: string; order: Order; paymentId: string; amountMinor: number; full: boolean }
  | { kind: "done"; result: RefundResult };

/**
 * Which payment a refund goes to. Whop refunds one payment at a time: a one-time order has one; a
 * subscription's refund goes to its latest succeeded payment (the renewal the buyer complains
 * about, usually) that still has that much left, and a refund of all that is left on that payment
 * is sent as a full refund of it.
 */
async function refundTarget(tx: Executor, order: Order, amountMinor: number, position: RefundPosition): Promise<{ paymentId: string; full: boolean } | { leftMinor: number }> {
  if (order.billingPeriodDays === null) {
    return { paymentId: order.whopPaymentId!, full: position.committedMinor === 0 && amountMinor === (order.paidMinor ?? order.amountMinor) };
  }
  const [payments, refunds, requests] = await Promise.all([
    tx
      .select({ id: ledgerPayments.id, amountMinor: ledgerPayments.amountMinor, currency: ledgerPayments.currency, paidAt: ledgerPayments.paidAt })
      .from(ledgerPayments)
      .where(and(eq(ledgerPayments.tenantId, order.tenantId), eq(ledgerPayments.orderId, order.id), eq(ledgerPayments.status, "succeeded")))
      .orderBy(desc(ledgerPayments.paidAt), desc(ledgerPayments.id)),
    tx
      .select({ paymentId: ledgerRefunds.paymentId, minor: sql<string>`coalesce(sum(${ledgerRefunds.amountMinor}), 0)` })
      .from(ledgerRefunds)
      .where(and(eq(ledgerRefunds.tenantId, order.tenantId), eq(ledgerRefunds.orderId, order.id), inArray(ledgerRefunds.status, ["pending", "requires_action", "succeeded"])))
      .groupBy(ledgerRefunds.paymentId),
    tx
      .select({ paymentId: refundRequests.paymentId, minor: sql<string>`coalesce(sum(${refundRequests.amountMinor}), 0)` })
      .from(refundRequests)
      .where(and(eq(refundRequests.tenantId, order.tenantId), eq(refundRequests.orderId, order.id), isNull(refundRequests.whopRefundId), ne(refundRequests.state, "failed")))
      .groupBy(refundRequests.paymentId),
  ]);
  const committed = (paymentId: string) =>
    Number(refunds.find((r) => r.paymentId === paymentId)?.minor ?? 0) + Number(requests.find((r) => r.paymentId === paymentId)?.minor ?? 0);
  let most = 0;
  for (const payment of payments) {
    if ((payment.currency ?? order.currency) !== (order.paidCurrency ?? order.currency)) continue;
    const total = payment.amountMinor ?? 0;
    const left = Math.max(0, total - committed(payment.id));
    most = Math.max(most, left);
    if (left >= amountMinor && amountMinor > 0) return { paymentId: payment.id, full: left === total && amountMinor === total };
  }
  return { leftMinor: most };
}

async function reserve(actor: Actor, form: RefundForm): Promise<Reservation> {
  const { tenant } = actor;
  return db().transaction(async (tx): Promise<Reservation> => {
    const [order] = await tx
      .select()
      .from(orders)
      .where(and(eq(orders.tenantId, tenant.id), eq(orders.id, form.orderId)))
      .limit(1)
      .for("update");
    const fail = (message: string, field?: "amount"): Reservation => ({ kind: "done", result: { ok: false, message, ...(field ? { field } : {}) } });
    if (!order) return fail("That order does not exist.");
    if (!order.whopPaymentId || !REFUNDABLE.has(order.status)) return fail("Only a paid order can be refunded.");
    const currency = order.currency;
    if (!isCurrency(currency)) return fail(`Refunds in ${currency.toUpperCase()} are not supported.`);
    const parsed = parsePrice(form.amount, currency);
    if (!parsed.ok) return fail(asAmountMessage(parsed.message), "amount");
    const amountMinor = parsed.minor;

    const position = await refundPosition(tx, order);
    if (form.baseMinor !== position.committedMinor) {
      // The same form submitted again (a double click, a replayed post, a second tab showing the same
      // state): its refund is already reserved. Anything else saw an order that has changed since.
      if (form.baseMinor < position.committedMinor && form.baseMinor + amountMinor <= position.committedMinor) {
        return { kind: "done", result: { ok: true, message: `A refund of ${formatMoney(amountMinor, currency)} was already requested from Whop.` } };
      }
      return fail("This order changed since the page was loaded. Reload it and check the amount.");
    }
    if (position.leftMinor === 0) return fail("Nothing is left to refund on this order.");
    if (amountMinor > position.leftMinor) return fail(`At most ${formatMoney(position.leftMinor, currency)} can still be refunded.`, "amount");

    const target = await refundTarget(tx, order, amountMinor, position);
    if (!("paymentId" in target)) {
      return fail(`Whop refunds one payment at a time: at most ${formatMoney(target.leftMinor, currency)} can be refunded from one of this subscription's payments.`, "amount");
    }
    const { paymentId, full } = target;
    const requestId = newId("rrq");
    await tx.insert(refundRequests).values({
      tenantId: tenant.id,
      id: requestId,
      orderId: order.id,
      paymentId,
      amountMinor,
      currency,
      reason: form.reason || null,
      requestedByUserId: actor.userId,
    });
    await Promise.all([
      tx
        .update(orders)
        .set({ refundPending: true, updatedAt: new Date() })
        .where(and(eq(orders.tenantId, tenant.id), eq(orders.id, order.id)))
        .returning()
        // order.refund_pending for the merchant's own webhooks, in this transaction.
        .then(([written]) => (written ? recordOrderChange(tx, tenant.id, order, written) : undefined)),
      recordAudit(tx, {
        tenantId: tenant.id,
        actorUserId: actor.userId,
        action: "order.refund_requested",
        ip: actor.ip,
        detail: { orderId: order.id, paymentId, requestId, amount: formatMoney(amountMinor, currency), amountMinor, currency, full, ...(form.reason ? { reason: form.reason } : {}) },
      }),
    ]);
    return { kind: "reserved", requestId, order, paymentId, amountMinor, full };
  });
}

export async function requestRefund(actor: Actor, form: RefundForm): Promise<RefundResult> {
  authorize(actor, "admin");
  const { tenant } = actor;
  if (!isConnected(tenant)) return { ok: false, message: "Connect Whop first." };
  const reservation = await reserve(actor, form);
  if (reservation.kind === "done") return reservation.result;
  const { order, requestId, paymentId, amountMinor, full } = reservation;
  const currency = order.currency as Parameters<typeof formatMoney>[1];
  const amountText = formatMoney(amountMinor, currency);

  try {
    await whopClientForTenant(tenant).refundPayment({
      paymentId,
      ...(full ? {} : { partialAmount: toMajorUnits(amountMinor, currency) }),
    });
  } catch (error) {
    logger.warn({ err: error, tenantId: tenant.id, orderId: order.id }, "refund request failed");
    const ambiguous = isWhopApiError(error) && (error.kind === "timeout" || error.kind === "server_error" || error.kind === "unreachable");
    if (!ambiguous) {
      const message = describeWhopProblem(error, { tenant, operation: "refund" });
      await settleRequest(tenant.id, order.id, requestId, "failed", message);
      return { ok: false, message };
    }
    return settleFromWhop(tenant, order, paymentId, requestId, amountText);
  }
  await settleRequest(tenant.id, order.id, requestId, "requested");
  return { ok: true, message: `Refund of ${amountText} requested. The order updates when Whop confirms it.` };
}

/** After an answer nobody can trust: read the payment's refunds back and settle by what Whop says. */
async function settleFromWhop(tenant: Tenant, order: Order, paymentId: string, requestId: string, amountText: string): Promise<RefundResult> {
  let matched: boolean;
  try {
    const recorded = await recordWhopRefunds(tenant, paymentId);
    const [request] = await db()
      .select({ whopRefundId: refundRequests.whopRefundId })
      .from(refundRequests)
      .where(and(eq(refundRequests.tenantId, tenant.id), eq(refundRequests.id, requestId)));
    matched = request?.whopRefundId != null;
    logger.info({ tenantId: tenant.id, orderId: order.id, refundsRead: recorded, matched }, "refund read back after an uncertain answer");
  } catch (error) {
    logger.warn({ err: error, tenantId: tenant.id, orderId: order.id }, "refund read-back failed");
    await settleRequest(tenant.id, order.id, requestId, "unknown", "Whop did not confirm the refund and could not be asked again.");
    return {
      ok: false,
      message: `Whop did not confirm the refund of ${amountText}. It stays reserved on this order and the order updates once Whop reports it (reconciliation asks Whop again); do not refund it again in Whop's dashboard meanwhile.`,
    };
  }
  if (matched) return { ok: true, message: `Refund of ${amountText} requested. The order updates when Whop confirms it.` };
  await settleRequest(tenant.id, order.id, requestId, "failed", "Whop did not answer, and lists no such refund: nothing was refunded.");
  return { ok: false, message: `Whop did not answer, and lists no refund of ${amountText} for this payment: nothing was refunded. You can try again.` };
}

async function settleRequest(tenantId: string, orderId: string, requestId: string, state: "requested" | "unknown" | "failed", failure?: string): Promise<void> {
  await db().transaction(async (tx) => {
    const [order] = await tx
      .select()
      .from(orders)
      .where(and(eq(orders.tenantId, tenantId), eq(orders.id, orderId)))
      .limit(1)
      .for("update");
    await tx
      .update(refundRequests)
      .set({ state, failure: failure ?? null, settledAt: state === "requested" ? null : new Date() })
      .where(and(eq(refundRequests.tenantId, tenantId), eq(refundRequests.id, requestId), isNull(refundRequests.whopRefundId)));
    if (order) await rederiveOrder(tx, tenantId, order);
  });
}
