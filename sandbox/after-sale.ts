// After the sale: refunds (created pending, settled later), disputes, membership cancellation.
import { badRequest, notFound } from "./http";
import { newId } from "./ids";
import type { PurchaseContext } from "./purchases";
import { disputeJson, membershipJson, refundJson, v5DisputeData, v5MembershipData, v5RefundData } from "./serializers";
import { currencyDecimals, disputesOf, paymentStanding } from "./standing";
import type { Dispute, DisputeStatus, Membership, Payment, Refund } from "./state";

/** A refund created with settle `auto` succeeds this long after it was created (× the time scale). */
export const REFUND_SETTLE_DELAY_MS = 5_000;
/** How long the merchant has to answer a new dispute. */
export const DISPUTE_RESPONSE_DAYS = 7;

export type RefundSettling = "auto" | "hold";
export type RefundOutcome = "succeeded" | "failed";
export type DisputeOutcome = "won" | "lost" | "closed";

const OPEN_DISPUTE: ReadonlySet<DisputeStatus> = new Set(["needs_response", "under_review"]);

function paidPayment(context: PurchaseContext, paymentId: string, action: string): Payment {
  const payment = context.state.payments.get(paymentId);
  if (!payment) throw notFound(`Payment ${paymentId} not found`);
  if (payment.status !== "paid") throw badRequest(`Only paid payments can be ${action}`);
  return payment;
}

/** An amount in the payment's currency: a number > 0, at most `max`, with the currency's decimals. */
function checkedAmount(value: unknown, max: number, currency: string, what: string): number {
  const amount = value === undefined || value === null ? max : value;
  if (typeof amount !== "number" || !Number.isFinite(amount) || amount <= 0 || amount > max) {
    throw badRequest(`${what} amount must be greater than 0 and at most ${max}`);
  }
  const decimals = currencyDecimals(currency);
  if (Number(amount.toFixed(decimals)) !== amount) throw badRequest(`${what} amount takes at most ${decimals} decimals in ${currency}`);
  return amount;
}

function refundEvent(context: PurchaseContext, type: "refund.created" | "refund.updated", refund: Refund) {
  context.dispatcher.dispatch({ type, companyId: refund.companyId, v1Data: refundJson(refund, context.state), v5Data: v5RefundData(refund) });
}

function disputeEvent(context: PurchaseContext, type: "dispute.created" | "dispute.updated", dispute: Dispute) {
  context.dispatcher.dispatch({ type, companyId: dispute.companyId, v1Data: disputeJson(dispute, context.state), v5Data: v5DisputeData(dispute) });
}

/**
 * Creates a `pending` refund (`refund.created`) of `amount` (default: all that is not already
 * refunded or pending). With settle `auto` it succeeds after REFUND_SETTLE_DELAY_MS (scaled);
 * with `hold` it stays pending until settleRefund. No deduplication: each call is a new refund.
 */
export function refundPayment(context: PurchaseContext, paymentId: string, amount: unknown, settle: RefundSettling = "auto"): Refund {
  const payment = paidPayment(context, paymentId, "refunded");
  const { refundable } = paymentStanding(context.state, payment);
  const requested = checkedAmount(amount, refundable, payment.currency, "Refund");
  const now = new Date();
  const refund: Refund = {
    id: newId("rfnd"),
    companyId: payment.companyId,
    paymentId,
    amount: requested,
    currency: payment.currency,
    status: "pending",
    createdAt: now,
    updatedAt: now,
  };
  context.state.refunds.set(refund.id, refund);
  refundEvent(context, "refund.created", refund);
  if (settle === "auto") {
    context.timers.after(REFUND_SETTLE_DELAY_MS, () => {
      if (context.state.refunds.get(refund.id) === refund && refund.status === "pending") settleRefund(context, refund.id, "succeeded");
    });
  }
  return refund;
}

/** A pending refund succeeds (the payment's refunded_amount grows) or fails; `refund.updated` either way. */
export function settleRefund(context: PurchaseContext, refundId: string, outcome: RefundOutcome): Refund {
  const refund = context.state.refunds.get(refundId);
  if (!refund) throw notFound(`Refund ${refundId} not found`);
  if (refund.status !== "pending") throw badRequest(`Refund ${refundId} is ${refund.status}, not pending`);
  const now = new Date();
  refund.status = outcome;
  refund.updatedAt = now;
  const payment = context.state.payments.get(refund.paymentId);
  if (payment && outcome === "succeeded") payment.updatedAt = now;
  refundEvent(context, "refund.updated", refund);
  return refund;
}

/** The buyer's bank opens a chargeback: status `needs_response` (`dispute.created`). One open dispute per payment. */
export function openDispute(context: PurchaseContext, paymentId: string, amount: unknown, reason: unknown): Dispute {
  const payment = paidPayment(context, paymentId, "disputed");
  if (disputesOf(context.state, paymentId).some((d) => OPEN_DISPUTE.has(d.status))) {
    throw badRequest(`Payment ${paymentId} already has an open dispute`);
  }
  if (reason !== undefined && reason !== null && (typeof reason !== "string" || reason.trim() === "")) {
    throw badRequest("reason must be a non-empty string");
  }
  const now = new Date();
  const dispute: Dispute = {
    id: newId("dspt"),
    companyId: payment.companyId,
    paymentId,
    amount: checkedAmount(amount, payment.total, payment.currency, "Dispute"),
    currency: payment.currency,
    reason: typeof reason === "string" ? reason.trim() : "fraudulent",
    status: "needs_response",
    needsResponseBy: new Date(now.getTime() + DISPUTE_RESPONSE_DAYS * 86_400_000),
    createdAt: now,
    updatedAt: now,
  };
  context.state.disputes.set(dispute.id, dispute);
  payment.updatedAt = now;
  disputeEvent(context, "dispute.created", dispute);
  return dispute;
}

/** An open dispute ends `won` (the merchant keeps the money), `lost` (it is gone) or `closed`; `dispute.updated`. */
export function resolveDispute(context: PurchaseContext, disputeId: string, outcome: DisputeOutcome): Dispute {
  const dispute = context.state.disputes.get(disputeId);
  if (!dispute) throw notFound(`Dispute ${disputeId} not found`);
  if (!OPEN_DISPUTE.has(dispute.status)) throw badRequest(`Dispute ${disputeId} is already ${dispute.status}`);
  const now = new Date();
  dispute.status = outcome;
  dispute.updatedAt = now;
  const payment = context.state.payments.get(dispute.paymentId);
  if (payment) payment.updatedAt = now;
  disputeEvent(context, "dispute.updated", dispute);
  return dispute;
}

/**
 * `immediate` ends access now (`membership.deactivated`, v5 `membership.went_invalid`);
 * `at_period_end` only flags it (`membership.cancel_at_period_end_changed`). Canceling an already
 * canceled membership answers it unchanged and sends nothing.
 */
export function cancelMembership(context: PurchaseContext, membershipId: string, mode: "immediate" | "at_period_end"): Membership {
  const { state, dispatcher, publicUrl } = context;
  const membership = state.memberships.get(membershipId);
  if (!membership) throw notFound(`Membership ${membershipId} not found`);
  if (membership.status === "canceled" || membership.status === "expired") return membership;
  const event = (type: string) => ({
    type,
    companyId: membership.companyId,
    v1Data: membershipJson(membership, state, publicUrl),
    v5Data: v5MembershipData(membership),
  });
  if (mode === "immediate") {
    membership.status = "canceled";
    membership.canceledAt = new Date();
    membership.updatedAt = membership.canceledAt;
    dispatcher.dispatch(event("membership.deactivated"));
  } else if (!membership.cancelAtPeriodEnd) {
    membership.cancelAtPeriodEnd = true;
    membership.updatedAt = new Date();
    dispatcher.dispatch(event("membership.cancel_at_period_end_changed"));
  }
  return membership;
}
