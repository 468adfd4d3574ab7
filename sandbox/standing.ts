// A payment's refund and dispute standing, derived from its refund and dispute records: only
// succeeded refunds move money; pending ones only hold back what can still be refunded.
import { CURRENCY_DECIMALS } from "./validation";
import type { Dispute, Payment, Refund, SandboxState } from "./state";

export function roundTo(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}

export const currencyDecimals = (currency: string) => CURRENCY_DECIMALS[currency] ?? 2;

/** Oldest first. */
export function refundsOf(state: SandboxState, paymentId: string): Refund[] {
  return [...state.refunds.values()].filter((r) => r.paymentId === paymentId);
}

/** Oldest first. */
export function disputesOf(state: SandboxState, paymentId: string): Dispute[] {
  return [...state.disputes.values()].filter((d) => d.paymentId === paymentId);
}

/** Refunds that hold money back from another refund: everything not failed or canceled. */
const COMMITTED: ReadonlySet<Refund["status"]> = new Set(["pending", "requires_action", "succeeded"]);
/** Dispute states that outrank a refund in the payment's substatus. */
const DISPUTE_FIRST: ReadonlySet<Dispute["status"]> = new Set(["needs_response", "under_review", "lost"]);

export interface PaymentStanding {
  /** Sum of succeeded refunds. */
  refundedAmount: number;
  /** When the last succeeded refund settled. */
  refundedAt: Date | null;
  /** What is left to refund once pending refunds settle. */
  refundable: number;
  substatus: string;
}

export function paymentStanding(state: SandboxState, payment: Payment): PaymentStanding {
  const decimals = currencyDecimals(payment.currency);
  const refunds = refundsOf(state, payment.id);
  const succeeded = refunds.filter((r) => r.status === "succeeded");
  const refundedAmount = roundTo(succeeded.reduce((sum, r) => sum + r.amount, 0), decimals);
  const committed = roundTo(refunds.filter((r) => COMMITTED.has(r.status)).reduce((sum, r) => sum + r.amount, 0), decimals);
  const refundedAt = succeeded.reduce<Date | null>((last, r) => (!last || r.updatedAt > last ? r.updatedAt : last), null);
  const dispute = disputesOf(state, payment.id).at(-1);

  let substatus: string = payment.charge;
  if (payment.status === "paid") {
    if (dispute && DISPUTE_FIRST.has(dispute.status)) substatus = `dispute_${dispute.status}`;
    else if (refundedAmount > 0) substatus = refundedAmount >= payment.total ? "refunded" : "partially_refunded";
    else if (dispute) substatus = `dispute_${dispute.status}`;
  }
  return {
    refundedAmount,
    refundedAt,
    refundable: payment.status === "paid" ? roundTo(Math.max(0, payment.total - committed), decimals) : 0,
    substatus,
  };
}
