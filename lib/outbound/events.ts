import type { Order } from "@/db/schema";
import { randomBase62 } from "@/lib/ids";

/*
 * The events the merchant's own app receives (README, "Webhooks to your own app"). Each one is
 * derived from an order's state before and after one committed change; one change may give more
 * than one event, and no change gives none.
 */

export const ORDER_EVENT_TYPES = [
  "order.paid",
  "order.refund_pending",
  "order.partially_refunded",
  "order.refunded",
  "order.refund_failed",
  "order.disputed",
  "order.dispute_won",
  "order.dispute_lost",
  "order.expired",
  "membership.activated",
  "membership.deactivated",
  "subscription.trialing",
  "subscription.activated",
  "subscription.renewed",
  "subscription.past_due",
  "subscription.canceling",
  "subscription.canceled",
  "subscription.resumed",
] as const;
export type OrderEventType = (typeof ORDER_EVENT_TYPES)[number];

/** Sent by "Send test event" to one endpoint only; never in the events feed. */
export const TEST_EVENT_TYPE = "webhook.test";

export const EVENT_TYPE_DESCRIPTIONS: Record<OrderEventType, string> = {
  "order.paid": "A payment succeeded: the order is paid.",
  "order.refund_pending": "A refund was asked for and Whop has not settled it yet.",
  "order.partially_refunded": "A refund succeeded and covers part of what was paid.",
  "order.refunded": "Refunds cover everything that was paid.",
  "order.refund_failed": "A pending refund failed or was canceled: nothing came back.",
  "order.disputed": "The buyer opened a dispute.",
  "order.dispute_won": "The dispute was decided for the merchant (or closed): the order is paid again.",
  "order.dispute_lost": "The dispute was lost: the money is gone and access ends.",
  "order.expired": "The buyer abandoned the checkout.",
  "membership.activated": "Whop reported the buyer's membership valid: access begins.",
  "membership.deactivated": "Whop reported the buyer's membership ended.",
  "subscription.trialing": "A subscription's free trial began: the buyer has access.",
  "subscription.activated": "A subscription is active: it began, its trial converted, or a charge succeeded after it was past due.",
  "subscription.renewed": "A renewal payment succeeded: the subscription runs another period.",
  "subscription.past_due": "A renewal charge failed: no access until a charge succeeds.",
  "subscription.canceling": "The subscription was canceled at period end: access continues until the period ends.",
  "subscription.canceled": "The subscription ended (canceled, or expired without renewing): access ends.",
  "subscription.resumed": "A cancellation at period end was withdrawn: the subscription renews again.",
};

export function isOrderEventType(value: string): value is OrderEventType {
  return (ORDER_EVENT_TYPES as readonly string[]).includes(value);
}

export function newEventId(): string {
  return `evt_${randomBase62(24)}`;
}

type OrderState = Pick<Order, "status" | "refundPending" | "refundedMinor" | "membershipValid"> &
  Partial<Pick<Order, "billingPeriodDays" | "subscriptionState" | "paidMinor">>;

const UNPAID: ReadonlySet<Order["status"]> = new Set(["pending", "expired", "failed"]);

/** The events one change of an order gives, in the order they happened. */
export function orderEventTypes(before: OrderState, after: OrderState): OrderEventType[] {
  const types: OrderEventType[] = [];
  const statusChanged = before.status !== after.status;
  const refundedMore = after.refundedMinor > before.refundedMinor;

  // A payment that lands after its refund or dispute (Whop's events arrive in any order) takes the
  // order from unpaid straight to refunded or disputed: it was paid all the same, and says so first.
  if (statusChanged && UNPAID.has(before.status) && !UNPAID.has(after.status) && after.status !== "paid") types.push("order.paid");
  if (!before.refundPending && after.refundPending) types.push("order.refund_pending");
  if (statusChanged) {
    switch (after.status) {
      case "paid":
        types.push(before.status === "disputed" ? "order.dispute_won" : "order.paid");
        break;
      case "partially_refunded":
        types.push(before.status === "disputed" && !refundedMore ? "order.dispute_won" : "order.partially_refunded");
        break;
      case "refunded":
        types.push(before.status === "disputed" && !refundedMore ? "order.dispute_won" : "order.refunded");
        break;
      case "disputed":
        types.push("order.disputed");
        break;
      case "dispute_lost":
        types.push("order.dispute_lost");
        break;
      case "expired":
        types.push("order.expired");
        break;
      default:
        break; // pending, failed: nothing the merchant's app is told
    }
  } else if (refundedMore && after.status === "partially_refunded") {
    types.push("order.partially_refunded"); // a further partial refund
  }
  if (before.refundPending && !after.refundPending && !statusChanged && !refundedMore) types.push("order.refund_failed");
  if (before.membershipValid !== true && after.membershipValid === true) types.push("membership.activated");
  if (before.membershipValid === true && after.membershipValid !== true) types.push("membership.deactivated");
  types.push(...subscriptionEventTypes(before, after));
  return types;
}

const ENDED: ReadonlySet<string> = new Set(["canceled", "expired"]);

function subscriptionEventTypes(before: OrderState, after: OrderState): OrderEventType[] {
  if (after.billingPeriodDays === null || after.billingPeriodDays === undefined) return [];
  const types: OrderEventType[] = [];
  const was = before.subscriptionState ?? null;
  const now = after.subscriptionState ?? null;
  // A further payment of a subscription already paid once is a renewal.
  if (before.paidMinor !== null && before.paidMinor !== undefined && (after.paidMinor ?? 0) > before.paidMinor) types.push("subscription.renewed");
  if (was === now || now === null) return types;
  if (was === "canceling" && (now === "active" || now === "trialing")) types.push("subscription.resumed");
  else if (now === "trialing") types.push("subscription.trialing");
  else if (now === "active") types.push("subscription.activated");
  else if (now === "past_due") types.push("subscription.past_due");
  else if (now === "canceling") types.push("subscription.canceling");
  else if (ENDED.has(now) && (was === null || !ENDED.has(was))) types.push("subscription.canceled");
  return types;
}
