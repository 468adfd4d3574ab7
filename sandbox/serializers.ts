// Turns sandbox records into the JSON shapes Whop answers with (v1 unless named v5).
import { disputesOf, paymentStanding, refundsOf } from "./standing";
import type {
  CheckoutConfiguration,
  Company,
  Dispute,
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

/** The fields every embedded copy of a payment shares (refunds and disputes embed one). */
function paymentCore(payment: Payment, state: SandboxState) {
  const membership = payment.membershipId ? state.memberships.get(payment.membershipId) : undefined;
  return {
    id: payment.id,
    billing_reason: payment.billingReason,
    card_brand: "visa",
    card_last4: "4242",
    created_at: iso(payment.createdAt),
    currency: payment.currency,
    dispute_alerted_at: null,
    member: null,
    membership: membership ? { id: membership.id, status: membership.status } : null,
    paid_at: iso(payment.paidAt),
    payment_method_type: "card",
    subtotal: payment.subtotal,
    total: payment.total,
    usd_total: payment.usdTotal,
    user: userJson(state.users.get(payment.userId)),
  };
}

function disputeSummaryJson(dispute: Dispute) {
  return {
    id: dispute.id,
    amount: dispute.amount,
    currency: dispute.currency,
    editable: dispute.status === "needs_response",
    needs_response_by: iso(dispute.needsResponseBy),
    notes: null,
    reason: dispute.reason,
    status: dispute.status,
  };
}

export function paymentJson(payment: Payment, state: SandboxState) {
  const company = state.companies.get(payment.companyId);
  const product = state.products.get(payment.productId);
  const plan = state.plans.get(payment.planId);
  const membership = payment.membershipId ? state.memberships.get(payment.membershipId) : undefined;
  const standing = paymentStanding(state, payment);
  return {
    ...paymentCore(payment, state),
    status: payment.status,
    substatus: standing.substatus,
    amount_after_fees: payment.status === "paid" ? payment.total : 0,
    refunded_amount: standing.refundedAmount,
    refunded_at: iso(standing.refundedAt),
    settlement_currency: payment.currency,
    updated_at: iso(payment.updatedAt),
    failure_message: payment.failureMessage,
    auto_refunded: false,
    refundable: standing.refundable > 0,
    retryable: false,
    voidable: false,
    tax_amount: null,
    tax_refunded_amount: null,
    refunds: refundsOf(state, payment.id).map((r) => ({
      id: r.id,
      amount: r.amount,
      created_at: iso(r.createdAt),
      currency: r.currency,
      status: r.status,
    })),
    disputes: disputesOf(state, payment.id).map(disputeSummaryJson),
    plan: plan ? { id: plan.id, internal_notes: plan.internalNotes, metadata: plan.metadata } : { id: payment.planId },
    product: product ? { id: product.id, title: product.title, route: product.route, metadata: product.metadata } : null,
    membership: membership ? { id: membership.id, status: membership.status, phone_number: null } : null,
    company: company ? { id: company.id, title: company.title, route: company.route } : { id: payment.companyId },
    checkout_configuration_id: payment.checkoutConfigurationId,
    promo_code: null,
    metadata: payment.metadata,
  };
}

/** v1 Membership: no `valid`, no `expires_at` (those are v5). */
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
    cancel_option: null,
    canceled_at: iso(membership.canceledAt),
    cancellation_reason: membership.canceledAt ? "canceled_by_company" : null,
    custom_field_responses: [],
    joined_at: iso(membership.createdAt),
    payment_collection_paused: false,
    renewal_period_start: iso(membership.renewalPeriodStart),
    renewal_period_end: iso(membership.renewalPeriodEnd),
    manage_url: `${publicUrl}/memberships/${membership.id}`,
    promo_code: null,
    created_at: iso(membership.createdAt),
    updated_at: iso(membership.updatedAt),
  };
}

/**
 * v1 Refund (GET /refunds/{id}, `refund.*` webhooks). Its payment carries no `status`, `substatus`
 * or `refunded_amount`: read the payment for those.
 */
export function refundJson(refund: Refund, state: SandboxState) {
  const payment = state.payments.get(refund.paymentId);
  const plan = payment ? state.plans.get(payment.planId) : undefined;
  const product = payment ? state.products.get(payment.productId) : undefined;
  return {
    ...refundListJson(refund),
    payment: payment
      ? {
          ...paymentCore(payment, state),
          metadata: payment.metadata,
          plan: plan ? { id: plan.id, metadata: plan.metadata } : { id: payment.planId, metadata: null },
          product: product ? { id: product.id, metadata: product.metadata } : null,
          tax_amount: null,
          tax_behavior: null,
          tax_refunded_amount: null,
        }
      : null,
  };
}

/** A refund in GET /refunds: its payment is only `{ id }`. */
export function refundListJson(refund: Refund) {
  return {
    id: refund.id,
    amount: refund.amount,
    currency: refund.currency,
    status: refund.status,
    created_at: iso(refund.createdAt),
    provider: "stripe",
    provider_created_at: iso(refund.createdAt),
    reference_status: null,
    reference_type: null,
    reference_value: null,
    payment: { id: refund.paymentId },
  };
}

/** v1 Dispute (GET /disputes/{id}, `dispute.*` webhooks). Its payment carries no metadata. */
export function disputeJson(dispute: Dispute, state: SandboxState) {
  const payment = state.payments.get(dispute.paymentId);
  return {
    ...disputeListJson(dispute, state),
    access_activity_log: null,
    billing_address: null,
    cancellation_policy_attachment: null,
    cancellation_policy_disclosure: null,
    customer_communication_attachment: null,
    customer_email_address: payment ? (state.users.get(payment.userId)?.email ?? null) : null,
    customer_name: payment ? (state.users.get(payment.userId)?.name ?? null) : null,
    notes: null,
    product_description: null,
    refund_policy_attachment: null,
    refund_policy_disclosure: null,
    refund_refusal_explanation: null,
    service_date: null,
    uncategorized_attachment: null,
    payment: payment ? paymentCore(payment, state) : null,
  };
}

/** A dispute in GET /disputes: its payment is only `{ id }`. */
export function disputeListJson(dispute: Dispute, state: SandboxState) {
  const company = state.companies.get(dispute.companyId);
  const payment = state.payments.get(dispute.paymentId);
  const product = payment ? state.products.get(payment.productId) : undefined;
  return {
    id: dispute.id,
    status: dispute.status,
    amount: dispute.amount,
    currency: dispute.currency,
    reason: dispute.reason,
    needs_response_by: iso(dispute.needsResponseBy),
    editable: dispute.status === "needs_response",
    visa_rdr: false,
    created_at: iso(dispute.createdAt),
    company: company ? { id: company.id, title: company.title } : null,
    plan: payment ? { id: payment.planId } : null,
    product: product ? { id: product.id, title: product.title } : null,
    payment: { id: dispute.paymentId },
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

// v5 webhook payload `data`: flat ids, `final_amount`, unix timestamps.
export function v5PaymentData(payment: Payment, state: SandboxState) {
  const standing = paymentStanding(state, payment);
  return {
    id: payment.id,
    membership_id: payment.membershipId,
    plan_id: payment.planId,
    product_id: payment.productId,
    user_id: payment.userId,
    company_id: payment.companyId,
    final_amount: payment.total,
    subtotal: payment.subtotal,
    refunded_amount: standing.refundedAmount,
    currency: payment.currency,
    status: payment.status,
    substatus: standing.substatus,
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
    valid: membership.status === "active" || membership.status === "trialing",
    status: membership.status,
    metadata: membership.metadata,
    checkout_id: membership.checkoutConfigurationId,
    license_key: membership.licenseKey,
    cancel_at_period_end: membership.cancelAtPeriodEnd,
    expires_at: unix(membership.renewalPeriodEnd),
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

export function v5DisputeData(dispute: Dispute) {
  return {
    id: dispute.id,
    payment_id: dispute.paymentId,
    company_id: dispute.companyId,
    amount: dispute.amount,
    currency: dispute.currency,
    status: dispute.status,
    reason: dispute.reason,
    needs_response_by: unix(dispute.needsResponseBy),
    created_at: unix(dispute.createdAt),
  };
}
