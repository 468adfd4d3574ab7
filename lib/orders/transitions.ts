import type { Order } from "@/db/schema";
import { fromMajorString, isCurrency } from "@/lib/money";
import { hashLicenseKey, licenseKeyHint } from "@/lib/orders/license-key";
import type { NormalizedEvent, NormalizedPayment } from "@/lib/whop/events";

/**
 * The order state machine, as a pure function of the current row and one Whop event. States only
 * move forward (a late or out-of-order event never moves an order backwards), so applying the
 * same facts twice — a webhook and reconciliation, say — changes nothing the second time.
 */

type Status = Order["status"];

const RANK: Record<Status, number> = {
  pending: 0,
  checkout_failed: 0,
  failed: 1,
  paid: 2,
  partially_refunded: 3,
  refunded: 4,
  disputed: 5,
};

export type OrderChange = Partial<
  Pick<
    Order,
    | "status"
    | "whopPaymentId"
    | "whopMembershipId"
    | "membershipValid"
    | "membershipStatus"
    | "membershipExpiresAt"
    | "licenseKeyHash"
    | "licenseKeyHint"
    | "membershipEventAt"
    | "whopUserId"
    | "buyerEmail"
    | "paidMinor"
    | "paidCurrency"
    | "refundedMinor"
    | "amountMismatch"
    | "paidAt"
  >
>;

export type Transition =
  | { kind: "change"; change: OrderChange; summary: string; amountMismatch: boolean }
  | { kind: "ignored"; reason: string };

const REFUND_EVENTS = new Set(["refund.created", "refund.updated", "payment.refunded"]);
const DISPUTE_EVENTS = new Set(["dispute.created"]);
/** Membership events that carry its current state; only activation and deactivation change validity. */
const MEMBERSHIP_EVENTS = new Set(["membership.activated", "membership.deactivated", "membership.cancel_at_period_end_changed"]);

export function planTransition(order: Order, event: NormalizedEvent, now = new Date()): Transition {
  const change: OrderChange = {};
  const notes: string[] = [];
  let amountMismatch = false;
  const moveTo = (status: Status) => {
    if (RANK[status] > RANK[order.status] && (change.status === undefined || RANK[status] > RANK[change.status])) {
      change.status = status;
      notes.push(`${order.status} → ${status}`);
    }
  };

  if (event.payment) Object.assign(change, paymentIdentity(order, event.payment));

  if (event.name === "payment.succeeded" && event.payment) {
    moveTo("paid");
    if (order.paidAt === null) change.paidAt = event.occurredAt ?? now;
    const check = checkAmount(order, event.payment);
    if (check) {
      change.paidMinor = check.paidMinor;
      change.paidCurrency = check.paidCurrency;
      if (check.mismatch && !order.amountMismatch) {
        amountMismatch = true;
        change.amountMismatch = true;
        notes.push(`amount mismatch: Whop reported ${event.payment.totalMajor} ${event.payment.currency}`);
      }
    }
    applyRefundedTotal(order, minorOf(order, event.payment.refundedMajor), change, moveTo);
  } else if (event.name === "payment.failed") {
    moveTo("failed");
  } else if (REFUND_EVENTS.has(event.name)) {
    if (event.refund?.status && /fail|cancel/i.test(event.refund.status)) return { kind: "ignored", reason: `refund ${event.refund.status}` };
    // The payment's refunded_amount is cumulative; a lone refund's amount adds up only on creation.
    const thisRefund = event.name === "refund.created" ? minorOf(order, event.refund?.amountMajor ?? null) : null;
    const cumulative = minorOf(order, event.payment?.refundedMajor ?? null) ?? (thisRefund === null ? null : order.refundedMinor + thisRefund);
    if (cumulative === null) moveTo("partially_refunded");
    else applyRefundedTotal(order, cumulative, change, moveTo);
  } else if (DISPUTE_EVENTS.has(event.name)) {
    moveTo("disputed");
  } else if (MEMBERSHIP_EVENTS.has(event.name)) {
    const membership = event.membership;
    if (!membership) return { kind: "ignored", reason: "membership event without a membership" };
    const at = event.occurredAt ?? now;
    if (order.membershipEventAt && at < order.membershipEventAt) {
      return { kind: "ignored", reason: "older than the membership state already recorded" };
    }
    change.whopMembershipId = order.whopMembershipId ?? membership.id;
    change.membershipEventAt = at;
    if (event.name !== "membership.cancel_at_period_end_changed") {
      const valid = event.name === "membership.activated";
      if (order.membershipValid !== valid) {
        change.membershipValid = valid;
        notes.push(`membership ${valid ? "valid" : "invalid"}`);
      }
    }
    if (membership.status) change.membershipStatus = membership.status;
    if (!sameValue(order.membershipExpiresAt, membership.expiresAt)) {
      change.membershipExpiresAt = membership.expiresAt;
      if (membership.expiresAt) notes.push(`membership ends ${membership.expiresAt.toISOString()}`);
    }
    if (membership.licenseKey) {
      change.licenseKeyHash = hashLicenseKey(membership.licenseKey);
      change.licenseKeyHint = licenseKeyHint(membership.licenseKey);
    }
    if (membership.userId && !order.whopUserId) change.whopUserId = membership.userId;
    if (membership.userEmail && !order.buyerEmail) change.buyerEmail = membership.userEmail;
  } else if (!event.payment) {
    return { kind: "ignored", reason: `${event.name} does not change orders` };
  }

  const effective = Object.entries(change).filter(([key, value]) => !sameValue(order[key as keyof Order], value));
  if (effective.length === 0) return { kind: "ignored", reason: `no change (order already ${order.status})` };
  return { kind: "change", change: Object.fromEntries(effective) as OrderChange, summary: notes.join("; ") || "details recorded", amountMismatch };
}

function paymentIdentity(order: Order, payment: NormalizedPayment): OrderChange {
  const change: OrderChange = {};
  if (!order.whopPaymentId) change.whopPaymentId = payment.id;
  if (payment.membershipId && !order.whopMembershipId) change.whopMembershipId = payment.membershipId;
  if (payment.userId && !order.whopUserId) change.whopUserId = payment.userId;
  if (payment.userEmail && !order.buyerEmail) change.buyerEmail = payment.userEmail;
  return change;
}

function checkAmount(order: Order, payment: NormalizedPayment) {
  if (payment.totalMajor === null && payment.currency === null) return null;
  const paidCurrency = payment.currency ?? order.currency;
  const paidMinor = payment.totalMajor !== null && isCurrency(paidCurrency) ? fromMajorString(payment.totalMajor, paidCurrency) : undefined;
  const mismatch = paidCurrency !== order.currency || paidMinor !== order.amountMinor;
  return { paidMinor: paidMinor ?? null, paidCurrency, mismatch };
}

/** Whop's decimal text in the order's currency as minor units; null when absent or not exact. */
function minorOf(order: Order, major: string | null): number | null {
  if (major === null || !isCurrency(order.currency)) return null;
  return fromMajorString(major, order.currency) ?? null;
}

function applyRefundedTotal(order: Order, refunded: number | null, change: OrderChange, moveTo: (status: Status) => void) {
  if (refunded === null || refunded <= 0) return;
  const total = Math.max(refunded, order.refundedMinor);
  if (total !== order.refundedMinor) change.refundedMinor = total;
  moveTo(total >= order.amountMinor ? "refunded" : "partially_refunded");
}

function sameValue(current: unknown, next: unknown): boolean {
  if (current instanceof Date && next instanceof Date) return current.getTime() === next.getTime();
  return current === next;
}
