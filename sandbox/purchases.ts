// What a buyer (or a control call) does on the hosted checkout: pay, decline, get refunded.
import { newId, newLicenseKey } from "./ids";
import { badRequest, notFound } from "./http";
import { membershipJson, paymentJson, refundJson, v5MembershipData, v5PaymentData, v5RefundData } from "./serializers";
import { CURRENCY_DECIMALS } from "./validation";
import type { CheckoutConfiguration, Membership, Payment, Plan, Refund, SandboxState } from "./state";
import type { WebhookDispatcher } from "./webhooks";

/** Rough, fixed conversion rates so that `usd_total` looks plausible. */
const USD_PER_UNIT: Record<string, number> = {
  usd: 1, eur: 1.08, gbp: 1.27, cad: 0.73, aud: 0.66, chf: 1.12, sek: 0.095, nok: 0.093, dkk: 0.145,
  jpy: 0.0067, krw: 0.00073, kwd: 3.25, bhd: 2.65, jod: 1.41, omr: 2.6, inr: 0.012, brl: 0.18, mxn: 0.055,
};

export interface PurchaseContext {
  state: SandboxState;
  dispatcher: WebhookDispatcher;
  publicUrl: string;
}

export interface CheckoutTarget {
  plan: Plan;
  checkout: CheckoutConfiguration | null;
}

/** The plan and (optional) session a checkout URL points at; a hand-built URL has no session. */
export function resolveCheckoutTarget(state: SandboxState, planId: string, sessionId: string | null): CheckoutTarget | null {
  const plan = state.plans.get(planId);
  if (!plan) return null;
  if (!sessionId) return { plan, checkout: null };
  const checkout = state.checkoutConfigurations.get(sessionId);
  if (!checkout || checkout.planId !== plan.id) return null;
  return { plan, checkout };
}

function roundTo(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}

function chargedAmount(plan: Plan): number {
  return plan.planType === "one_time" || plan.initialPrice > 0 ? plan.initialPrice : plan.renewalPrice;
}

function newPayment(target: CheckoutTarget, userId: string, now: Date): Payment {
  const { plan, checkout } = target;
  const total = chargedAmount(plan);
  const rate = USD_PER_UNIT[plan.currency];
  return {
    id: newId("pay"),
    companyId: plan.companyId,
    planId: plan.id,
    productId: plan.productId,
    userId,
    membershipId: null,
    checkoutConfigurationId: checkout?.id ?? null,
    currency: plan.currency,
    total,
    subtotal: total,
    usdTotal: rate === undefined ? total : roundTo(total * rate, 2),
    refundedAmount: 0,
    status: "paid",
    substatus: "succeeded",
    failureMessage: null,
    metadata: { ...(checkout?.metadata ?? {}) },
    createdAt: now,
    paidAt: now,
    refundedAt: null,
    updatedAt: now,
  };
}

export function payCheckout(context: PurchaseContext, target: CheckoutTarget, email: string): Payment {
  const { state, dispatcher, publicUrl } = context;
  const now = new Date();
  const user = state.findOrCreateUser(email);
  const payment = newPayment(target, user.id, now);
  const membership: Membership = {
    id: newId("mem"),
    companyId: payment.companyId,
    planId: payment.planId,
    productId: payment.productId,
    userId: user.id,
    checkoutConfigurationId: payment.checkoutConfigurationId,
    status: "active",
    cancelAtPeriodEnd: false,
    canceledAt: null,
    licenseKey: newLicenseKey(),
    metadata: { ...payment.metadata },
    currency: payment.currency,
    createdAt: now,
  };
  payment.membershipId = membership.id;
  state.payments.set(payment.id, payment);
  state.memberships.set(membership.id, membership);
  if (target.checkout) target.checkout.paidPaymentId = payment.id;

  dispatcher.dispatch({
    type: "payment.succeeded",
    companyId: payment.companyId,
    v1Data: paymentJson(payment, state),
    v5Data: v5PaymentData(payment),
  });
  dispatcher.dispatch({
    type: "membership.activated",
    companyId: membership.companyId,
    v1Data: membershipJson(membership, state, publicUrl),
    v5Data: v5MembershipData(membership),
  });
  return payment;
}

/** A declined card: the payment stays open with substatus `failed`; no membership. */
export function declineCheckout(context: PurchaseContext, target: CheckoutTarget, email: string): Payment {
  const { state, dispatcher } = context;
  const user = state.findOrCreateUser(email);
  const payment = newPayment(target, user.id, new Date());
  payment.status = "open";
  payment.substatus = "failed";
  payment.paidAt = null;
  payment.failureMessage = "Your card was declined.";
  state.payments.set(payment.id, payment);
  dispatcher.dispatch({
    type: "payment.failed",
    companyId: payment.companyId,
    v1Data: paymentJson(payment, state),
    v5Data: v5PaymentData(payment),
  });
  return payment;
}

/** Refunds settle asynchronously on Whop; here `refund.created` then `refund.updated` follow at once. */
export function refundPayment(context: PurchaseContext, paymentId: string, amount: unknown): Payment {
  const { state, dispatcher } = context;
  const payment = state.payments.get(paymentId);
  if (!payment) throw notFound(`Payment ${paymentId} not found`);
  if (payment.status !== "paid") throw badRequest("Only paid payments can be refunded");
  const decimals = CURRENCY_DECIMALS[payment.currency] ?? 2;
  const refundable = roundTo(payment.total - payment.refundedAmount, decimals);
  const requested = amount === undefined || amount === null ? refundable : amount;
  if (typeof requested !== "number" || !Number.isFinite(requested) || requested <= 0 || requested > refundable) {
    throw badRequest(`Refund amount must be greater than 0 and at most ${refundable}`);
  }
  const now = new Date();
  payment.refundedAmount = roundTo(payment.refundedAmount + requested, decimals);
  payment.substatus = payment.refundedAmount >= payment.total ? "refunded" : "partially_refunded";
  payment.refundedAt = now;
  payment.updatedAt = now;

  const refund: Refund = { id: newId("rfnd"), paymentId, amount: requested, currency: payment.currency, status: "pending", createdAt: now };
  state.refunds.set(refund.id, refund);
  dispatcher.dispatch({ type: "refund.created", companyId: payment.companyId, v1Data: refundJson(refund, state), v5Data: v5RefundData(refund) });
  refund.status = "succeeded";
  dispatcher.dispatch({ type: "refund.updated", companyId: payment.companyId, v1Data: refundJson(refund, state), v5Data: v5RefundData(refund) });
  return payment;
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
  if (membership.status === "canceled") return membership;
  const event = (type: string) => ({
    type,
    companyId: membership.companyId,
    v1Data: membershipJson(membership, state, publicUrl),
    v5Data: v5MembershipData(membership),
  });
  if (mode === "immediate") {
    membership.status = "canceled";
    membership.canceledAt = new Date();
    dispatcher.dispatch(event("membership.deactivated"));
  } else if (!membership.cancelAtPeriodEnd) {
    membership.cancelAtPeriodEnd = true;
    dispatcher.dispatch(event("membership.cancel_at_period_end_changed"));
  }
  return membership;
}
