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

/**
 * What the first purchase charges. On a renewal plan `initial_price` is an amount charged on top of
 * the renewal price at the first purchase (the newer SDK's reading, which the connector follows);
 * a free trial defers the renewal price to the trial's end.
 */
function firstCharge(plan: Plan): number {
  if (plan.planType === "one_time") return plan.initialPrice;
  return plan.trialPeriodDays ? plan.initialPrice : roundTo(plan.initialPrice + plan.renewalPrice, 6);
}

/** The metadata a purchase carries: the plan's (Whop includes it in payment and membership events), then the checkout's. */
function purchaseMetadata(target: CheckoutTarget): Record<string, unknown> {
  return { ...target.plan.metadata, ...(target.checkout?.metadata ?? {}) };
}

export function newPayment(
  fields: Pick<Payment, "companyId" | "planId" | "productId" | "userId" | "membershipId" | "checkoutConfigurationId" | "currency" | "billingReason" | "metadata">,
  total: number,
  now: Date,
): Payment {
  const rate = USD_PER_UNIT[fields.currency];
  return {
    id: newId("pay"),
    ...fields,
    total,
    subtotal: total,
    usdTotal: rate === undefined ? total : roundTo(total * rate, 2),
    status: "paid",
    charge: "succeeded",
    failureMessage: null,
    createdAt: now,
    paidAt: now,
    updatedAt: now,
  };
}

function checkoutPayment(target: CheckoutTarget, userId: string, total: number, now: Date): Payment {
  const { plan, checkout } = target;
  return newPayment(
    {
      companyId: plan.companyId,
      planId: plan.id,
      productId: plan.productId,
      userId,
      membershipId: null,
      checkoutConfigurationId: checkout?.id ?? null,
      currency: plan.currency,
      billingReason: plan.planType === "renewal" ? "subscription_create" : "one_time",
      metadata: purchaseMetadata(target),
    },
    total,
    now,
  );
}

/**
 * Pay: the payment (none during a free trial without an initial fee) and the membership
 * (`trialing` during a trial, else `active`; a renewal plan's membership has a current period),
 * then `payment.succeeded` and `membership.activated`.
 */
export function payCheckout(context: PurchaseContext, target: CheckoutTarget, email: string): { payment: Payment | null; membership: Membership } {
  const { state, dispatcher, publicUrl } = context;
  const { plan } = target;
  const now = new Date();
  const user = state.findOrCreateUser(email);
  const charge = firstCharge(plan);
  const payment = charge > 0 ? checkoutPayment(target, user.id, charge, now) : null;
  const product = state.products.get(plan.productId);
  const renewal = plan.planType === "renewal";
  const billingDays = renewal ? (plan.billingPeriod ?? 30) : null;
  const trialDays = renewal && plan.trialPeriodDays ? plan.trialPeriodDays : null;
  const periodDays = trialDays ?? billingDays;
  const membership: Membership = {
    id: newId("mem"),
    companyId: plan.companyId,
    planId: plan.id,
    productId: plan.productId,
    userId: user.id,
    checkoutConfigurationId: target.checkout?.id ?? null,
    status: trialDays ? "trialing" : "active",
    cancelAtPeriodEnd: false,
    canceledAt: null,
    licenseKey: product?.licensing ? newLicenseKey() : null,
    metadata: purchaseMetadata(target),
    currency: plan.currency,
    billingPeriodDays: billingDays,
    renewalPrice: plan.renewalPrice,
    renewalPeriodStart: periodDays === null ? null : now,
    renewalPeriodEnd: periodDays === null ? null : new Date(now.getTime() + periodDays * 86_400_000),
    createdAt: now,
    updatedAt: now,
  };
  state.memberships.set(membership.id, membership);
  if (target.checkout) target.checkout.membershipId = membership.id;
  if (payment) {
    payment.membershipId = membership.id;
    state.payments.set(payment.id, payment);
    if (target.checkout) target.checkout.paidPaymentId = payment.id;
    dispatcher.dispatch({
      type: "payment.succeeded",
      companyId: payment.companyId,
      v1Data: paymentJson(payment, state),
      v5Data: v5PaymentData(payment, state),
    });
  }
  dispatcher.dispatch({
    type: "membership.activated",
    companyId: membership.companyId,
    v1Data: membershipJson(membership, state, publicUrl),
    v5Data: v5MembershipData(membership),
  });
  return { payment, membership };
}

/** A declined card: the payment stays open with substatus `failed`; no membership. */
export function declineCheckout(context: PurchaseContext, target: CheckoutTarget, email: string): Payment {
  const { state, dispatcher } = context;
  const user = state.findOrCreateUser(email);
  const payment = checkoutPayment(target, user.id, firstCharge(target.plan) || target.plan.renewalPrice, new Date());
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
