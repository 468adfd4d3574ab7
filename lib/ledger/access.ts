import type { Order } from "@/db/schema";
import { displayState, SUBSCRIBED_STATES } from "@/lib/subscriptions/lifecycle";

/*
 * The one rule for whether a buyer's order grants access: the order page, `/api/v1/access` and
 * license validation all ask this function. Access needs a membership Whop reports valid (trialing,
 * active, canceling until its period ends — or a succeeded payment whose membership Whop has not
 * reported yet, since Whop activates it with the payment), an order not fully refunded, no lost
 * dispute, and no amount difference the merchant has not accepted.
 */

/** Membership statuses under which Whop keeps the buyer's access. */
const VALID_MEMBERSHIP_STATUSES: ReadonlySet<string> = new Set(["trialing", "active", "canceling", "completed"]);
/** Statuses that mean a succeeded payment exists. */
const PAID_STATUSES: ReadonlySet<Order["status"]> = new Set(["paid", "partially_refunded", "refunded", "disputed", "dispute_lost"]);

export type AccessState = "valid" | "invalid" | "expired" | "none";

/** Why there is no access, when there is none. */
export type NoAccessReason = "not_paid" | "membership_ended" | "membership_expired" | "subscription_past_due" | "refunded" | "dispute_lost" | "amount_differs";

export type AccessFields = Pick<Order, "status" | "membershipValid" | "membershipStatus" | "membershipExpiresAt" | "amountMismatch" | "amountAcceptedAt"> &
  Partial<Pick<Order, "subscriptionState" | "currentPeriodEnd">>;

export interface OrderAccess {
  access: boolean;
  /** The membership as the API describes it. */
  state: AccessState;
  reason: NoAccessReason | null;
}

/** Whether Whop's membership status keeps access (null: Whop said nothing). */
export function membershipStatusValid(status: string | null): boolean | null {
  if (status === null) return null;
  return VALID_MEMBERSHIP_STATUSES.has(status);
}

export function orderAccess(order: AccessFields, now = new Date()): OrderAccess {
  const membership = membershipState(order, now);
  if (membership !== "valid") {
    const reason =
      membership === "expired" ? "membership_expired" : order.subscriptionState === "past_due" ? "subscription_past_due" : membership === "invalid" ? "membership_ended" : "not_paid";
    return { access: false, state: membership, reason };
  }
  if (order.status === "refunded") return { access: false, state: "invalid", reason: "refunded" };
  if (order.status === "dispute_lost") return { access: false, state: "invalid", reason: "dispute_lost" };
  if (order.amountMismatch && order.amountAcceptedAt === null) return { access: false, state: "invalid", reason: "amount_differs" };
  return { access: true, state: "valid", reason: null };
}

function membershipState(order: AccessFields, now: Date): AccessState {
  if (order.membershipExpiresAt && order.membershipExpiresAt <= now) return "expired";
  // A subscription: its lifecycle decides (trialing, active, canceling until the period ends).
  if (order.subscriptionState) {
    const state = displayState({ subscriptionState: order.subscriptionState, currentPeriodEnd: order.currentPeriodEnd ?? null }, now);
    if (state === "expired") return "expired";
    return state !== null && SUBSCRIBED_STATES.includes(state) ? "valid" : "invalid";
  }
  if (order.membershipValid === true) return "valid";
  if (order.membershipValid === false) return "invalid";
  return PAID_STATUSES.has(order.status) ? "valid" : "none";
}

export const NO_ACCESS_TEXT: Record<NoAccessReason, string> = {
  not_paid: "No confirmed payment",
  membership_ended: "Membership ended",
  membership_expired: "Membership expired",
  subscription_past_due: "Subscription past due: a renewal charge failed",
  refunded: "Fully refunded",
  dispute_lost: "Dispute lost",
  amount_differs: "Waiting for you to accept the payment's amount",
};
