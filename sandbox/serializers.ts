// Turns sandbox records into the JSON shapes Whop answers with (v1 unless named v5).
import type {
  CheckoutConfiguration,
  Company,
  Membership,
  Payment,
  Plan,
  Product,
  Refund,
  SandboxState,
  User,
  WebhookEndpoint,
} from "./state";

const iso = (date: Date | null) => (date ? date.toISOString() : null);
const unix = (date: Date | null) => (date ? Math.floor(date.getTime() / 1000) : null);

export function purchaseUrl(publicUrl: string, planId: string, checkoutId?: string): string {
  const base = `${publicUrl}/checkout/${planId}/`;
  return checkoutId ? `${base}?session=${checkoutId}` : base;
}

/** `company_id` in the 2025-01-01 shape, `account_id` in the dated one. */
function ownerField(companyId: string, dated: boolean): Record<string, string> {
  return dated ? { account_id: companyId } : { company_id: companyId };
}

export function accountJson(company: Company) {
  return {
    id: company.id,
    title: company.title,
    route: company.route,
    created_at: iso(company.createdAt),
    description: null,
    email: null,
    logo_url: null,
    banner_image_url: null,
    country: "US",
    status: "active",
    business_type: null,
    parent_account_id: null,
    metadata: {},
    send_customer_emails: true,
  };
}

export function v5CompanyJson(company: Company) {
  return {
    id: company.id,
    title: company.title,
    route: company.route,
    created_at: unix(company.createdAt),
    image_url: null,
    authorized_user: null,
  };
}

export function productJson(product: Product, company: Company, dated: boolean) {
  return {
    id: product.id,
    ...ownerField(company.id, dated),
    company: { id: company.id, title: company.title, route: company.route },
    title: product.title,
    description: product.description,
    external_identifier: product.externalIdentifier,
    visibility: product.visibility,
    route: product.route,
    headline: null,
    custom_cta: "join",
    custom_cta_url: null,
    custom_statement_descriptor: null,
    member_count: 0,
    verified: false,
    metadata: product.metadata,
    created_at: iso(product.createdAt),
    updated_at: iso(product.createdAt),
  };
}

export function planJson(plan: Plan, state: SandboxState, publicUrl: string, dated: boolean) {
  const product = state.products.get(plan.productId);
  return {
    id: plan.id,
    ...ownerField(plan.companyId, dated),
    title: plan.title,
    description: plan.description,
    plan_type: plan.planType,
    currency: plan.currency,
    initial_price: plan.initialPrice,
    renewal_price: plan.renewalPrice,
    billing_period: plan.billingPeriod,
    expiration_days: plan.expirationDays,
    trial_period_days: plan.trialPeriodDays,
    visibility: plan.visibility,
    release_method: plan.releaseMethod,
    internal_notes: plan.internalNotes,
    adaptive_pricing_enabled: false,
    three_ds_level: null,
    tax_type: "unspecified",
    unlimited_stock: true,
    stock: null,
    member_count: 0,
    metadata: plan.metadata,
    product: product ? { id: product.id, title: product.title } : null,
    purchase_url: purchaseUrl(publicUrl, plan.id),
    created_at: iso(plan.createdAt),
    updated_at: iso(plan.createdAt),
  };
}

export function checkoutJson(checkout: CheckoutConfiguration, state: SandboxState, publicUrl: string, dated = checkout.dated) {
  const plan = state.plans.get(checkout.planId);
  return {
    id: checkout.id,
    ...ownerField(checkout.companyId, dated),
    mode: "payment",
    metadata: checkout.metadata,
    redirect_url: checkout.redirectUrl,
    affiliate_code: checkout.affiliateCode,
    currency: null,
    three_ds_level: null,
    payment_method_configuration: null,
    purchase_url: purchaseUrl(publicUrl, checkout.planId, checkout.id),
    plan: plan
      ? {
          id: plan.id,
          plan_type: plan.planType,
          visibility: plan.visibility,
          currency: plan.currency,
          initial_price: plan.initialPrice,
          renewal_price: plan.renewalPrice,
          billing_period: plan.billingPeriod,
          expiration_days: plan.expirationDays,
          trial_period_days: plan.trialPeriodDays,
          release_method: plan.releaseMethod,
          title: plan.title,
          adaptive_pricing_enabled: false,
          three_ds_level: null,
        }
      : null,
    created_at: iso(checkout.createdAt),
    updated_at: iso(checkout.createdAt),
  };
}

function userJson(user: User | undefined) {
  return user ? { id: user.id, username: user.username, name: user.name, email: user.email } : null;
}

export function paymentJson(payment: Payment, state: SandboxState) {
  const company = state.companies.get(payment.companyId);
  const product = state.products.get(payment.productId);
  const plan = state.plans.get(payment.planId);
  const membership = payment.membershipId ? state.memberships.get(payment.membershipId) : undefined;
  return {
    id: payment.id,
    status: payment.status,
    substatus: payment.substatus,
    total: payment.total,
    subtotal: payment.subtotal,
    usd_total: payment.usdTotal,
    amount_after_fees: payment.status === "paid" ? payment.total : 0,
    refunded_amount: payment.refundedAmount,
    refunded_at: iso(payment.refundedAt),
    currency: payment.currency,
    settlement_currency: payment.currency,
    paid_at: iso(payment.paidAt),
    created_at: iso(payment.createdAt),
    updated_at: iso(payment.updatedAt),
    failure_message: payment.failureMessage,
    billing_reason: "one_time",
    payment_method_type: "card",
    card_brand: "visa",
    refundable: payment.status === "paid" && payment.refundedAmount < payment.total,
    retryable: false,
    voidable: false,
    plan: plan ? { id: plan.id, internal_notes: plan.internalNotes, metadata: plan.metadata } : { id: payment.planId },
    product: product ? { id: product.id, title: product.title, route: product.route, metadata: product.metadata } : null,
    membership: membership ? { id: membership.id, status: membership.status, phone_number: null } : null,
    user: userJson(state.users.get(payment.userId)),
    member: null,
    company: company ? { id: company.id, title: company.title, route: company.route } : { id: payment.companyId },
    checkout_configuration_id: payment.checkoutConfigurationId,
    promo_code: null,
    metadata: payment.metadata,
  };
}

export function membershipJson(membership: Membership, state: SandboxState, publicUrl: string) {
  const company = state.companies.get(membership.companyId);
  const product = state.products.get(membership.productId);
  return {
    id: membership.id,
    status: membership.status,
    license_key: membership.licenseKey,
    metadata: membership.metadata,
    currency: membership.currency,
    plan: { id: membership.planId },
    product: product ? { id: product.id, title: product.title } : { id: membership.productId },
    user: userJson(state.users.get(membership.userId)),
    member: null,
    company: company ? { id: company.id, title: company.title } : { id: membership.companyId },
    checkout_configuration_id: membership.checkoutConfigurationId,
    cancel_at_period_end: membership.cancelAtPeriodEnd,
    canceled_at: iso(membership.canceledAt),
    cancellation_reason: membership.canceledAt ? "canceled_by_company" : null,
    joined_at: iso(membership.createdAt),
    renewal_period_start: null,
    renewal_period_end: null,
    manage_url: `${publicUrl}/memberships/${membership.id}`,
    promo_code: null,
    created_at: iso(membership.createdAt),
    updated_at: iso(membership.createdAt),
  };
}

export function refundJson(refund: Refund, state: SandboxState) {
  const payment = state.payments.get(refund.paymentId);
  return {
    id: refund.id,
    amount: refund.amount,
    currency: refund.currency,
    status: refund.status,
    created_at: iso(refund.createdAt),
    payment: payment ? paymentJson(payment, state) : { id: refund.paymentId },
  };
}

export function webhookJson(hook: WebhookEndpoint, includeSecret: boolean) {
  return {
    id: hook.id,
    url: hook.url,
    api_version: hook.apiVersion,
    enabled: hook.enabled,
    events: hook.events,
    resource_id: hook.companyId,
    child_resource_events: hook.childResourceEvents,
    testable_events: hook.events,
    created_at: iso(hook.createdAt),
    ...(includeSecret ? { webhook_secret: hook.secret } : {}),
  };
}

// v5 webhook payload `data` (see whop-api.md "Webhook payloads").
export function v5PaymentData(payment: Payment) {
  return {
    id: payment.id,
    membership_id: payment.membershipId,
    plan_id: payment.planId,
    product_id: payment.productId,
    user_id: payment.userId,
    company_id: payment.companyId,
    final_amount: payment.total,
    subtotal: payment.subtotal,
    refunded_amount: payment.refundedAmount,
    currency: payment.currency,
    status: payment.status,
    substatus: payment.substatus,
    checkout_id: payment.checkoutConfigurationId,
    metadata: payment.metadata,
    created_at: unix(payment.createdAt),
    paid_at: unix(payment.paidAt),
  };
}

export function v5MembershipData(membership: Membership) {
  return {
    id: membership.id,
    plan_id: membership.planId,
    product_id: membership.productId,
    user_id: membership.userId,
    company_id: membership.companyId,
    valid: membership.status === "active",
    status: membership.status,
    metadata: membership.metadata,
    checkout_id: membership.checkoutConfigurationId,
    license_key: membership.licenseKey,
    created_at: unix(membership.createdAt),
  };
}

export function v5RefundData(refund: Refund) {
  return {
    id: refund.id,
    payment_id: refund.paymentId,
    amount: refund.amount,
    currency: refund.currency,
    status: refund.status,
    created_at: unix(refund.createdAt),
  };
}
