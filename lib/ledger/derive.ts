import type { LedgerDispute, LedgerPayment, LedgerRefund, Order } from "@/db/schema";
import { expectedChargeMinor } from "@/lib/subscriptions/billing";
import { deriveSubscription, type SubscriptionState } from "@/lib/subscriptions/lifecycle";

/*
 * An order's status and amounts as a pure function of its ledger rows. Nothing is tallied from
 * event amounts: whatever order the events arrived in, and however often, the same rows give the
 * same order. Each row moves only forward in its own lifecycle (the ranks below), so the rows
 * themselves are order-independent too.
 */

export type OrderStatus = Order["status"];
export type PaymentStatus = LedgerPayment["status"];
export type RefundStatus = LedgerRefund["status"];
export type DisputePhase = LedgerDispute["phase"];

/** Lifecycle ranks: a row takes a reported state only if it ranks higher than the one it holds. */
export const PAYMENT_RANK: Record<PaymentStatus, number> = { pending: 0, failed: 1, succeeded: 2 };
/** Settled refunds are final: the first settled state reported wins. */
export const REFUND_RANK: Record<RefundStatus, number> = { pending: 0, requires_action: 1, succeeded: 2, failed: 2, canceled: 2 };
export const DISPUTE_RANK: Record<DisputePhase, number> = { open: 0, won: 1, lost: 1, closed: 1 };

/** Whop's dispute statuses: `won` and `lost` decide it; `closed` without an outcome keeps the money. */
export function disputePhaseOf(whopStatus: string): DisputePhase {
  if (whopStatus === "won") return "won";
  if (whopStatus === "lost") return "lost";
  if (whopStatus === "closed" || whopStatus === "warning_closed") return "closed";
  return "open"; // warning_needs_response, warning_under_review, needs_response, under_review, other
}

/** A payment's next status when Whop reports `reported`: only forward. */
export function advancePayment(current: PaymentStatus | undefined, reported: PaymentStatus): PaymentStatus {
  return current === undefined || PAYMENT_RANK[reported] > PAYMENT_RANK[current] ? reported : current;
}

/** A refund's next status: forward only, and the first settled state is final. */
export function advanceRefund(current: RefundStatus | undefined, reported: RefundStatus): RefundStatus {
  return current === undefined || REFUND_RANK[reported] > REFUND_RANK[current] ? reported : current;
}

export interface DisputeState {
  phase: DisputePhase;
  whopStatus: string;
}

/** A dispute's next state: while open, Whop's latest word stands; once decided, nothing changes it. */
export function advanceDispute(current: DisputeState | undefined, reported: DisputeState): DisputeState {
  if (current === undefined) return reported;
  return current.phase === "open" && DISPUTE_RANK[reported.phase] >= DISPUTE_RANK[current.phase] ? reported : current;
}

export type PaymentRow = Pick<LedgerPayment, "status" | "amountMinor" | "subtotalMinor" | "currency" | "paidAt"> & Partial<Pick<LedgerPayment, "billingReason" | "whopCreatedAt">>;
export type RefundRow = Pick<LedgerRefund, "paymentId" | "status" | "amountMinor" | "currency" | "migrated">;
export type DisputeRow = Pick<LedgerDispute, "phase" | "amountMinor" | "currency">;

export interface OrderLedger {
  payments: readonly PaymentRow[];
  refunds: readonly RefundRow[];
  disputes: readonly DisputeRow[];
  /** Refunds the merchant asked Whop for that no refund row answers yet. */
  outstandingRequests: number;
}

/** A subscription order also carries its membership's latest report (one-time orders may leave these out). */
export type OrderBasis = Pick<Order, "amountMinor" | "currency" | "failureReason" | "expiredAt"> &
  Partial<Pick<Order, "billingPeriodDays" | "membershipEventAt" | "membershipStatus" | "membershipValid" | "cancelAtPeriodEnd" | "currentPeriodEnd" | "subscriptionEndedAt">>;

export interface DerivedOrder {
  status: OrderStatus;
  /** Succeeded payments in `paidCurrency` (null before any). */
  paidMinor: number | null;
  /** The currency Whop charged: the first succeeded payment's (the order's when Whop did not say). */
  paidCurrency: string | null;
  /** Succeeded refunds in `paidCurrency`. */
  refundedMinor: number;
  refundPending: boolean;
  /** A succeeded payment whose subtotal or currency is not the order's. */
  amountMismatch: boolean;
  paidAt: Date | null;
  /** A subscription's lifecycle (null for a one-time order, or before Whop reported anything). */
  subscriptionState: SubscriptionState | null;
  subscriptionEndedAt: Date | null;
}

export function deriveOrder(order: OrderBasis, ledger: OrderLedger): DerivedOrder {
  const succeeded = ledger.payments.filter((p) => p.status === "succeeded");
  // Money is counted in the currency Whop charged, so a payment in another currency than the
  // order's (amount differs) still shows what was paid and what of it came back.
  const first = [...succeeded].sort((a, b) => (a.paidAt?.getTime() ?? Infinity) - (b.paidAt?.getTime() ?? Infinity) || (a.currency ?? "").localeCompare(b.currency ?? ""))[0];
  const paidCurrency = first === undefined ? null : (first.currency ?? order.currency);
  const inPaidCurrency = (row: { currency: string | null }) => (row.currency ?? order.currency) === paidCurrency;

  const paidMinor = succeeded.length === 0 ? null : sum(succeeded.filter(inPaidCurrency).map((p) => p.amountMinor ?? p.subtotalMinor ?? 0));
  const refundedMinor = refundedTotal(ledger.refunds.filter(inPaidCurrency));
  // Each payment against what it should be: a renewal against the renewal price.
  const amountMismatch = succeeded.some((p) => (p.currency ?? order.currency) !== order.currency || (p.subtotalMinor ?? p.amountMinor) !== expectedChargeMinor(order, p.billingReason ?? null));
  const paidAt = succeeded.reduce<Date | null>((first, p) => (p.paidAt && (!first || p.paidAt < first) ? p.paidAt : first), null);
  const refundPending = ledger.refunds.some((r) => r.status === "pending" || r.status === "requires_action") || ledger.outstandingRequests > 0;

  return {
    status: statusOf(order, ledger, paidMinor, refundedMinor),
    paidMinor,
    paidCurrency,
    refundedMinor,
    refundPending,
    amountMismatch,
    paidAt,
    ...subscriptionOf(order, ledger.payments),
  };
}

function subscriptionOf(order: OrderBasis, payments: readonly PaymentRow[]): { subscriptionState: SubscriptionState | null; subscriptionEndedAt: Date | null } {
  if (order.billingPeriodDays === null || order.billingPeriodDays === undefined) return { subscriptionState: null, subscriptionEndedAt: null };
  const renewals = payments
    .filter((p) => p.billingReason === "subscription_cycle")
    .map((p) => ({ status: p.status, at: p.status === "succeeded" ? (p.paidAt ?? p.whopCreatedAt ?? null) : (p.whopCreatedAt ?? null) }));
  const { state, endedAt } = deriveSubscription(
    {
      at: order.membershipEventAt ?? null,
      status: order.membershipStatus ?? null,
      valid: order.membershipValid ?? null,
      cancelAtPeriodEnd: order.cancelAtPeriodEnd ?? false,
      periodEnd: order.currentPeriodEnd ?? null,
    },
    renewals,
    order.subscriptionEndedAt ?? null,
  );
  return { subscriptionState: state, subscriptionEndedAt: endedAt };
}

function statusOf(order: OrderBasis, ledger: OrderLedger, paidMinor: number | null, refundedMinor: number): OrderStatus {
  if (paidMinor !== null) {
    if (ledger.disputes.some((d) => d.phase === "lost")) return "dispute_lost";
    if (ledger.disputes.some((d) => d.phase === "open")) return "disputed";
    if (refundedMinor > 0) return refundedMinor >= paidMinor ? "refunded" : "partially_refunded";
    return "paid";
  }
  if (ledger.payments.some((p) => p.status === "pending")) return "pending";
  if (ledger.payments.some((p) => p.status === "failed") || order.failureReason !== null) return "failed";
  return order.expiredAt !== null ? "expired" : "pending";
}

/**
 * Succeeded refunds, per payment. The tally carried over from before the ledger (a migrated row)
 * stands for refunds Whop also reports one by one: per payment it counts as the larger of itself
 * and Whop's own succeeded refunds, never on top of them.
 */
function refundedTotal(refunds: readonly RefundRow[]): number {
  const byPayment = new Map<string, { real: number; migrated: number }>();
  for (const refund of refunds) {
    if (refund.status !== "succeeded") continue;
    const entry = byPayment.get(refund.paymentId) ?? { real: 0, migrated: 0 };
    if (refund.migrated) entry.migrated += refund.amountMinor ?? 0;
    else entry.real += refund.amountMinor ?? 0;
    byPayment.set(refund.paymentId, entry);
  }
  return sum([...byPayment.values()].map(({ real, migrated }) => Math.max(real, migrated)));
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
