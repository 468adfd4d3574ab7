import type { NormalizedDispute, NormalizedEvent, NormalizedMembership, NormalizedPayment, NormalizedRefund } from "@/lib/whop/events";
import { disputePhaseOf, type DisputePhase, type PaymentStatus, type RefundStatus } from "./derive";

/*
 * What the ledger learns, whoever told it: a webhook event (fromEvent below) or reconciliation
 * reading Whop's API. Both feed the same apply path, so neither can double-apply what the other
 * already recorded. Amounts stay Whop's decimal text; apply.ts converts them in the order's currency.
 */

/** How to find the order an observation is about, in this order of trust. */
export interface Locator {
  orderId: string | null;
  checkoutId: string | null;
  paymentId: string | null;
  membershipId: string | null;
  planId: string | null;
}

export interface PaymentFact {
  id: string;
  status: PaymentStatus;
  totalMajor: string | null;
  subtotalMajor: string | null;
  currency: string | null;
  whopStatus: string | null;
  whopSubstatus: string | null;
  billingReason: string | null;
  paidAt: Date | null;
  createdAt: Date | null;
  membershipId: string | null;
  membershipStatus: string | null;
  userId: string | null;
  userEmail: string | null;
}

export interface RefundFact {
  id: string;
  paymentId: string;
  status: RefundStatus;
  amountMajor: string | null;
  currency: string | null;
  createdAt: Date | null;
}

export interface DisputeFact {
  id: string;
  paymentId: string;
  phase: DisputePhase;
  whopStatus: string;
  amountMajor: string | null;
  currency: string | null;
  reason: string | null;
  needsResponseBy: Date | null;
}

export interface MembershipFact {
  id: string;
  /** activated / deactivated events say so; other reports carry only a status. */
  valid: boolean | null;
  status: string | null;
  expiresAt: Date | null;
  cancelAtPeriodEnd: boolean | null;
  renewalPeriodEnd: Date | null;
  licenseKey: string | null;
  userId: string | null;
  userEmail: string | null;
}

export type Observation =
  | { kind: "payment"; payment: PaymentFact; locator: Locator }
  | { kind: "refund"; refund: RefundFact; locator: Locator }
  | { kind: "dispute"; dispute: DisputeFact; locator: Locator }
  | { kind: "membership"; membership: MembershipFact; occurredAt: Date | null; locator: Locator }
  | { kind: "none"; reason: string };

const PAYMENT_EVENT_STATUS: Record<string, PaymentStatus> = {
  "payment.succeeded": "succeeded",
  "payment.failed": "failed",
  "payment.pending": "pending",
  "payment.created": "pending",
};
/** Membership events that report the membership's state (activated / deactivated also say whether it is valid). */
const MEMBERSHIP_EVENTS: ReadonlySet<string> = new Set([
  "membership.activated",
  "membership.deactivated",
  "membership.cancel_at_period_end_changed",
  "membership.trial_ending_soon",
  "membership.updated",
]);
const REFUND_STATUSES: ReadonlySet<string> = new Set(["pending", "requires_action", "succeeded", "failed", "canceled"]);

/** What one webhook event tells the ledger. */
export function observationOf(event: NormalizedEvent): Observation {
  const family = event.name.split(".")[0];
  if (family === "payment") {
    const status = PAYMENT_EVENT_STATUS[event.name];
    if (!status) return { kind: "none", reason: `${event.name} does not change orders` };
    if (!event.payment) return { kind: "none", reason: "payment event without a payment id" };
    return { kind: "payment", payment: paymentFact(event.payment, status), locator: paymentLocator(event.payment) };
  }
  if (event.name === "refund.created" || event.name === "refund.updated") {
    if (!event.refund) return { kind: "none", reason: "refund event without a refund" };
    return refundObservation(event.refund, event.payment);
  }
  if (event.name === "dispute.created" || event.name === "dispute.updated") {
    if (!event.dispute) return { kind: "none", reason: "dispute event without a dispute" };
    return disputeObservation(event.dispute, event.payment);
  }
  if (MEMBERSHIP_EVENTS.has(event.name)) {
    if (!event.membership) return { kind: "none", reason: "membership event without a membership id" };
    const valid = event.name === "membership.activated" ? true : event.name === "membership.deactivated" ? false : null;
    return { kind: "membership", membership: membershipFact(event.membership, valid), occurredAt: event.occurredAt, locator: membershipLocator(event.membership) };
  }
  return { kind: "none", reason: `${event.name} does not change orders` };
}

/** A refund, from an event or read from Whop; `payment` is the embedded payment when there is one. */
export function refundObservation(refund: NormalizedRefund, payment: NormalizedPayment | null): Observation {
  const paymentId = refund.paymentId ?? payment?.id ?? null;
  if (!refund.id || !paymentId) return { kind: "none", reason: "refund without a refund id and its payment id" };
  const status = refund.status && REFUND_STATUSES.has(refund.status) ? (refund.status as RefundStatus) : "pending";
  return {
    kind: "refund",
    refund: { id: refund.id, paymentId, status, amountMajor: refund.amountMajor, currency: refund.currency, createdAt: refund.createdAt },
    locator: { ...(payment ? paymentLocator(payment) : emptyLocator()), paymentId },
  };
}

/** A dispute; its embedded payment carries no metadata, so the order is found by the payment id. */
export function disputeObservation(dispute: NormalizedDispute, payment: NormalizedPayment | null): Observation {
  const paymentId = dispute.paymentId ?? payment?.id ?? null;
  if (!dispute.id || !paymentId) return { kind: "none", reason: "dispute without a dispute id and its payment id" };
  const whopStatus = dispute.status ?? "needs_response";
  return {
    kind: "dispute",
    dispute: {
      id: dispute.id,
      paymentId,
      phase: disputePhaseOf(whopStatus),
      whopStatus,
      amountMajor: dispute.amountMajor,
      currency: dispute.currency,
      reason: dispute.reason,
      needsResponseBy: dispute.needsResponseBy,
    },
    locator: { ...(payment ? paymentLocator(payment) : emptyLocator()), paymentId },
  };
}

export function emptyLocator(): Locator {
  return { orderId: null, checkoutId: null, paymentId: null, membershipId: null, planId: null };
}

export function paymentFact(payment: NormalizedPayment, status: PaymentStatus): PaymentFact {
  return {
    id: payment.id,
    status,
    totalMajor: payment.totalMajor,
    subtotalMajor: payment.subtotalMajor,
    currency: payment.currency,
    whopStatus: payment.status,
    whopSubstatus: payment.substatus,
    billingReason: payment.billingReason,
    paidAt: payment.paidAt,
    createdAt: payment.createdAt,
    membershipId: payment.membershipId,
    membershipStatus: payment.membershipStatus,
    userId: payment.userId,
    userEmail: payment.userEmail,
  };
}

/** A payment as Whop's API reads it: `paid` has succeeded; a failed substatus or a void payment failed. */
export function paymentStatusOf(payment: Pick<NormalizedPayment, "status" | "substatus">): PaymentStatus {
  if (payment.status === "paid") return "succeeded";
  if (payment.substatus === "failed" || payment.status === "failed" || payment.status === "void" || payment.status === "uncollectible") return "failed";
  return "pending";
}

export function paymentLocator(payment: NormalizedPayment): Locator {
  return {
    orderId: payment.metadata.order_id ?? null,
    checkoutId: payment.checkoutId,
    paymentId: payment.id,
    // A renewal carries the plan's metadata, else it is found by its membership.
    membershipId: payment.membershipId,
    planId: payment.planId,
  };
}

export function membershipFact(membership: NormalizedMembership, valid: boolean | null): MembershipFact {
  return {
    id: membership.id,
    valid,
    status: membership.status,
    expiresAt: membership.expiresAt,
    cancelAtPeriodEnd: membership.cancelAtPeriodEnd,
    renewalPeriodEnd: membership.renewalPeriodEnd,
    licenseKey: membership.licenseKey,
    userId: membership.userId,
    userEmail: membership.userEmail,
  };
}

export function membershipLocator(membership: NormalizedMembership): Locator {
  return {
    orderId: membership.metadata.order_id ?? null,
    checkoutId: membership.checkoutId,
    paymentId: null,
    membershipId: membership.id,
    planId: membership.planId,
  };
}
