// What a buyer (or a control call) does on the hosted checkout: pay or decline.
import { newId, newLicenseKey } from "./ids";
import { membershipJson, paymentJson, v5MembershipData, v5PaymentData } from "./serializers";
import { roundTo } from "./standing";
import type { CheckoutConfiguration, Membership, Payment, Plan, SandboxState } from "./state";
import type { ScaledTimers } from "./timers";
import type { WebhookDispatcher } from "./webhooks";

/** Rough, fixed conversion rates so that `usd_total` looks plausible. */
const USD_PER_UNIT: Record<string, number> = {
  usd: 1, eur: 1.08, gbp: 1.27, cad: 0.73, aud: 0.66, chf: 1.12, sek: 0.095, nok: 0.093, dkk: 0.145,
  jpy: 0.0067, krw: 0.00073, kwd: 3.25, bhd: 2.65, jod: 1.41, omr: 2.6, inr: 0.012, brl: 0.18, mxn: 0.055,
};

export interface PurchaseContext {
  state: SandboxState;
  dispatcher: WebhookDispatcher;
  /** Delayed work on the sandbox's time scale (refunds settling). */
  timers: ScaledTimers;
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
    status: "paid",
    charge: "succeeded",
    billingReason: plan.planType === "renewal" ? "subscription_create" : "one_time",
    failureMessage: null,
    metadata: { ...(checkout?.metadata ?? {}) },
    createdAt: now,
    paidAt: now,
    updatedAt: now,
  };
}

export function payCheckout(context: PurchaseContext, target: CheckoutTarget, email: string): Payment {
  const { state, dispatcher, publicUrl } = context;
  const now = new Date();
  const user = state.findOrCreateUser(email);
  const payment = newPayment(target, user.id, now);
  const product = state.products.get(payment.productId);
  const billingDays = target.plan.planType === "renewal" ? (target.plan.billingPeriod ?? 30) : null;
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
    licenseKey: product?.licensing ? newLicenseKey() : null,
    metadata: { ...payment.metadata },
    currency: payment.currency,
    renewalPeriodStart: billingDays === null ? null : now,
    renewalPeriodEnd: billingDays === null ? null : new Date(now.getTime() + billingDays * 86_400_000),
    createdAt: now,
    updatedAt: now,
  };
  payment.membershipId = membership.id;
  state.payments.set(payment.id, payment);
  state.memberships.set(membership.id, membership);
  if (target.checkout) target.checkout.paidPaymentId = payment.id;

  dispatcher.dispatch({
    type: "payment.succeeded",
    companyId: payment.companyId,
    v1Data: paymentJson(payment, state),
    v5Data: v5PaymentData(payment, state),
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
  payment.charge = "failed";
  payment.paidAt = null;
  payment.failureMessage = "Your card was declined.";
  state.payments.set(payment.id, payment);
  dispatcher.dispatch({
    type: "payment.failed",
    companyId: payment.companyId,
    v1Data: paymentJson(payment, state),
    v5Data: v5PaymentData(payment, state),
  });
  return payment;
}
