// Subscriptions over time: what Whop does when a renewal membership's period ends. The sandbox has
// no clock of its own, so controls (control.ts) play each moment: renew now, fail a renewal, end
// a trial, reach the period end. Each sends the webhooks Whop sends at that moment.
import { badRequest, notFound } from "./http";
import { newPayment, type PurchaseContext } from "./purchases";
import { membershipJson, paymentJson, v5MembershipData, v5PaymentData } from "./serializers";
import type { Membership, Payment } from "./state";

const DAY_MS = 86_400_000;

function renewalMembership(context: PurchaseContext, membershipId: string): Membership {
  const membership = context.state.memberships.get(membershipId);
  if (!membership) throw notFound(`Membership ${membershipId} not found`);
  if (membership.billingPeriodDays === null) throw badRequest(`Membership ${membershipId} is not a subscription (its plan is one_time)`);
  return membership;
}

/** A subscription that renews at its period end: not ended, not set to cancel at period end. */
function renewingMembership(context: PurchaseContext, membershipId: string, hint = ""): Membership {
  const membership = renewalMembership(context, membershipId);
  if (membership.status === "canceled" || membership.status === "expired") throw badRequest(`Membership ${membershipId} is ${membership.status}`);
  if (membership.cancelAtPeriodEnd) throw badRequest(`Membership ${membershipId} cancels at period end: it does not renew${hint}`);
  return membership;
}

function membershipEvent(context: PurchaseContext, type: string, membership: Membership): void {
  context.dispatcher.dispatch({
    type,
    companyId: membership.companyId,
    v1Data: membershipJson(membership, context.state, context.publicUrl),
    v5Data: v5MembershipData(membership),
  });
}

function paymentEvent(context: PurchaseContext, type: string, payment: Payment): void {
  context.dispatcher.dispatch({ type, companyId: payment.companyId, v1Data: paymentJson(payment, context.state), v5Data: v5PaymentData(payment, context.state) });
}

function renewalCharge(membership: Membership, now: Date): Payment {
  return newPayment(
    {
      companyId: membership.companyId,
      planId: membership.planId,
      productId: membership.productId,
      userId: membership.userId,
      membershipId: membership.id,
      checkoutConfigurationId: null,
      currency: membership.currency,
      billingReason: "subscription_cycle",
      metadata: { ...membership.metadata },
    },
    membership.renewalPrice,
    now,
  );
}

/**
 * The period (or the trial) ends and Whop charges the renewal price: `payment.succeeded` with
 * `billing_reason: "subscription_cycle"` on the same membership, which moves to the next period
 * (`active` again after a trial or a failed renewal: `membership.activated` when access comes
 * back, `membership.updated` otherwise). A membership set to cancel at period end does not renew.
 */
export function renewNow(context: PurchaseContext, membershipId: string): Payment {
  const membership = renewingMembership(context, membershipId, " (reach its period end instead)");
  const now = new Date();
  const payment = renewalCharge(membership, now);
  context.state.payments.set(payment.id, payment);
  const wasValid = membership.status !== "past_due";
  const start = membership.status === "past_due" || !membership.renewalPeriodEnd || membership.renewalPeriodEnd < now ? now : membership.renewalPeriodEnd;
  membership.status = "active";
  membership.renewalPeriodStart = start;
  membership.renewalPeriodEnd = new Date(start.getTime() + membership.billingPeriodDays! * DAY_MS);
  membership.updatedAt = now;
  paymentEvent(context, "payment.succeeded", payment);
  membershipEvent(context, wasValid ? "membership.updated" : "membership.activated", membership);
  return payment;
}

/** A renewal charge fails: `payment.failed` (`subscription_cycle`), and the membership is `past_due` (`membership.updated`). */
export function failRenewal(context: PurchaseContext, membershipId: string): Payment {
  const membership = renewingMembership(context, membershipId);
  const now = new Date();
  const payment = renewalCharge(membership, now);
  payment.status = "open";
  payment.charge = "failed";
  payment.paidAt = null;
  payment.failureMessage = "Your card was declined.";
  context.state.payments.set(payment.id, payment);
  membership.status = "past_due";
  membership.updatedAt = now;
  paymentEvent(context, "payment.failed", payment);
  membershipEvent(context, "membership.updated", membership);
  return payment;
}

/** A free trial ends: `membership.trial_ending_soon`, then the first charge as a renewal. */
export function endTrial(context: PurchaseContext, membershipId: string): Payment {
  const membership = renewalMembership(context, membershipId);
  if (membership.status !== "trialing") throw badRequest(`Membership ${membershipId} is ${membership.status}, not trialing`);
  if (membership.cancelAtPeriodEnd) throw badRequest(`Membership ${membershipId} cancels when its trial ends: reach its period end instead`);
  membershipEvent(context, "membership.trial_ending_soon", membership);
  return renewNow(context, membershipId);
}

/**
 * Time reaches the end of the current period of a membership that will not renew: one set to
 * cancel at period end ends `canceled`, a past due one `expired`; `membership.deactivated` either way.
 */
export function reachPeriodEnd(context: PurchaseContext, membershipId: string): Membership {
  const membership = renewalMembership(context, membershipId);
  if (!membership.cancelAtPeriodEnd && membership.status !== "past_due") {
    throw badRequest(`Membership ${membershipId} renews at its period end: renew it, fail its renewal, or cancel it at period end first`);
  }
  const now = new Date();
  membership.status = membership.cancelAtPeriodEnd ? "canceled" : "expired";
  if (membership.cancelAtPeriodEnd) membership.canceledAt = now;
  membership.renewalPeriodEnd = now;
  membership.updatedAt = now;
  membershipEvent(context, "membership.deactivated", membership);
  return membership;
}

/**
 * `POST /memberships/{id}/uncancel`: a cancellation at period end is withdrawn
 * (`membership.cancel_at_period_end_changed`); an ended membership cannot come back.
 */
export function uncancelMembership(context: PurchaseContext, membershipId: string): Membership {
  const membership = context.state.memberships.get(membershipId);
  if (!membership) throw notFound(`Membership ${membershipId} not found`);
  if (membership.status === "canceled" || membership.status === "expired") throw badRequest(`Membership ${membershipId} is ${membership.status} and cannot be uncanceled`);
  if (membership.cancelAtPeriodEnd) {
    membership.cancelAtPeriodEnd = false;
    membership.updatedAt = new Date();
    membershipEvent(context, "membership.cancel_at_period_end_changed", membership);
  }
  return membership;
}
