import { invalidParameter, isPlainObject, missingParameter, badRequest } from "./http";
import type { PlanFields } from "./state";

/** Lowercase ISO 4217 codes the sandbox accepts, with their number of minor-unit decimals. */
export const CURRENCY_DECIMALS: Readonly<Record<string, number>> = {
  usd: 2, eur: 2, gbp: 2, cad: 2, aud: 2, nzd: 2, chf: 2, sek: 2, nok: 2, dkk: 2, pln: 2, czk: 2,
  huf: 2, ron: 2, bgn: 2, try: 2, ils: 2, aed: 2, sar: 2, qar: 2, inr: 2, sgd: 2, hkd: 2, myr: 2,
  thb: 2, idr: 2, php: 2, twd: 2, cny: 2, mxn: 2, brl: 2, ars: 2, cop: 2, pen: 2, uyu: 2, zar: 2,
  egp: 2, mad: 2, kes: 2, ngn: 2, ghs: 2, pkr: 2, lkr: 2, kzt: 2, rub: 2,
  jpy: 0, krw: 0, vnd: 0, clp: 0, pyg: 0, xof: 0, xaf: 0, rwf: 0, ugx: 0, isk: 0,
  kwd: 3, bhd: 3, jod: 3, omr: 3, tnd: 3,
};

export const PLAN_TITLE_MAX = 30;
export const PLAN_DESCRIPTION_MAX = 500;
export const PRODUCT_TITLE_MAX = 80;

export interface InlineProductInput {
  externalIdentifier: string;
  title: string;
  description: string | null;
}

export interface PlanInput extends PlanFields {
  /** `company_id` (undated) or `account_id` (dated); undefined = the key's own company. */
  companyRef: string | undefined;
  productId: string | undefined;
  inlineProduct: InlineProductInput | undefined;
  forceCreateNewPlan: boolean;
}

export interface ProductInput {
  companyRef: string | undefined;
  title: string;
  description: string | null;
  externalIdentifier: string | null;
  visibility: string;
  metadata: Record<string, unknown>;
}

export interface CheckoutInput {
  companyRef: string | undefined;
  plan: PlanInput | undefined;
  planId: string | undefined;
  metadata: Record<string, unknown>;
  redirectUrl: string | null;
  affiliateCode: string | null;
}

export interface WebhookInput {
  url: string;
  apiVersion: "v1" | "v5";
  enabled: boolean;
  events: string[];
  resourceId: string;
  childResourceEvents: boolean;
}

// Fields Whop accepts per request shape. Anything else is rejected like Whop does.
const UNDATED_INLINE_PLAN_FIELDS = [
  "company_id", "product", "product_id", "currency", "plan_type", "initial_price", "renewal_price",
  "billing_period", "expiration_days", "trial_period_days", "title", "description", "visibility",
  "release_method", "internal_notes", "metadata", "stock", "unlimited_stock",
];
const DATED_INLINE_PLAN_FIELDS = [
  "account_id", "currency", "plan_type", "initial_price", "renewal_price", "billing_period",
  "expiration_days", "trial_period_days", "title", "description", "visibility", "release_method",
  "product_id", "metadata", "force_create_new_plan", "override_tax_type", "payment_method_configuration",
  "stock", "unlimited_stock",
];
const UNDATED_PLAN_CREATE_FIELDS = UNDATED_INLINE_PLAN_FIELDS.filter((f) => f !== "product");
const DATED_PLAN_CREATE_FIELDS = [
  ...DATED_INLINE_PLAN_FIELDS.filter((f) => f !== "force_create_new_plan"),
  "internal_notes", "adaptive_pricing_enabled", "checkout_styling", "custom_fields", "image",
  "legacy_payment_method_controls", "split_pay_required_payments", "three_ds_level",
];
const INLINE_PRODUCT_FIELDS = ["external_identifier", "title", "description"];
const UNDATED_PRODUCT_FIELDS = ["company_id", "title", "external_identifier", "description", "visibility", "metadata", "headline", "route"];
const DATED_PRODUCT_FIELDS = [
  "account_id", "title", "description", "visibility", "metadata", "headline", "route", "collect_shipping_address",
  "custom_cta", "custom_cta_url", "custom_statement_descriptor", "global_affiliate_percentage",
  "global_affiliate_status", "member_affiliate_percentage", "member_affiliate_status", "product_tax_code_id",
  "redirect_purchase_url", "send_welcome_message",
];
const CHECKOUT_COMMON_FIELDS = [
  "plan", "plan_id", "metadata", "redirect_url", "affiliate_code", "mode", "currency",
  "payment_method_configuration", "three_ds_level",
];
const WEBHOOK_FIELDS = ["url", "api_version", "enabled", "events", "resource_id", "child_resource_events"];
const WEBHOOK_UPDATE_FIELDS = WEBHOOK_FIELDS.filter((f) => f !== "resource_id");

export const WEBHOOK_EVENTS: ReadonlySet<string> = new Set([
  "invoice.created", "invoice.marked_uncollectible", "invoice.paid", "invoice.past_due", "invoice.voided",
  "membership.activated", "membership.deactivated", "membership.trial_ending_soon",
  "membership.cancel_at_period_end_changed", "membership.went_valid", "membership.went_invalid", "membership.updated",
  "payment.created", "payment.succeeded", "payment.failed", "payment.pending", "payment.authorized", "payment.requires_action",
  "dispute.created", "dispute.updated", "refund.created", "refund.updated", "dispute_alert.created",
  "entry.created", "entry.approved", "entry.denied", "entry.deleted",
  "setup_intent.requires_action", "setup_intent.succeeded", "setup_intent.canceled",
  "withdrawal.created", "withdrawal.updated", "chat.message.created", "chat.reaction.created",
]);

type Body = Record<string, unknown>;

function rejectUnknownFields(body: Body, allowed: readonly string[], prefix: string): void {
  for (const key of Object.keys(body)) {
    if (!allowed.includes(key)) throw invalidParameter(prefix + key);
  }
}

function optionalString(body: Body, key: string, prefix: string): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw invalidParameter(prefix + key);
  return value;
}

function requiredString(body: Body, key: string, prefix: string): string {
  const value = optionalString(body, key, prefix);
  if (value === undefined || value.trim() === "") throw missingParameter(prefix + key);
  return value;
}

function optionalInteger(body: Body, key: string, prefix: string): number | null {
  const value = body[key];
  if (value === undefined || value === null) return null;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) throw invalidParameter(prefix + key);
  return value;
}

function optionalBoolean(body: Body, key: string, prefix: string, fallback: boolean): boolean {
  const value = body[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== "boolean") throw invalidParameter(prefix + key);
  return value;
}

function oneOf<T extends string>(body: Body, key: string, prefix: string, allowed: readonly T[], fallback: T): T {
  const value = optionalString(body, key, prefix);
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) throw invalidParameter(prefix + key);
  return value as T;
}

export function parseMetadata(value: unknown, name: string): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (!isPlainObject(value)) throw invalidParameter(name);
  return value;
}

function checkLength(value: string | undefined, max: number, label: string): void {
  if (value !== undefined && value.length > max) throw badRequest(`${label} is too long (maximum is ${max} characters)`);
}

export function parseCurrency(body: Body, prefix: string): string {
  const value = body.currency;
  if (value === undefined || value === null) return "usd";
  if (typeof value !== "string" || !(value in CURRENCY_DECIMALS)) {
    throw invalidParameter(`${prefix}currency`, "expected a lowercase ISO 4217 currency code such as 'usd'");
  }
  return value;
}

/**
 * Prices are decimal major units; zero-decimal currencies take whole numbers. A price the plan type
 * does not require may be 0 (a renewal plan's `initial_price`); a required one must be above 0.
 */
export function parsePrice(value: unknown, name: string, currency: string, required: boolean): number {
  if (value === undefined || value === null) {
    if (required) throw missingParameter(name);
    return 0;
  }
  if (typeof value !== "number" || !Number.isFinite(value)) throw invalidParameter(name, "must be a number");
  if (value < 0 || (required && value === 0)) throw invalidParameter(name, "must be greater than 0");
  const decimals = CURRENCY_DECIMALS[currency] ?? 2;
  if (Number(value.toFixed(decimals)) !== value) {
    throw invalidParameter(
      name,
      decimals === 0 ? `${currency} amounts must be whole numbers` : `${currency} amounts take at most ${decimals} decimals`,
    );
  }
  return value;
}

function parseInlineProduct(value: unknown, prefix: string): InlineProductInput {
  if (!isPlainObject(value)) throw invalidParameter(prefix.slice(0, -1));
  rejectUnknownFields(value, INLINE_PRODUCT_FIELDS, prefix);
  const title = requiredString(value, "title", prefix);
  checkLength(title, PRODUCT_TITLE_MAX, "Title");
  return {
    externalIdentifier: requiredString(value, "external_identifier", prefix),
    title,
    description: optionalString(value, "description", prefix) ?? null,
  };
}

function parsePlanFields(body: Body, prefix: string, dated: boolean, inline: boolean): PlanInput {
  const allowed = inline
    ? dated ? DATED_INLINE_PLAN_FIELDS : UNDATED_INLINE_PLAN_FIELDS
    : dated ? DATED_PLAN_CREATE_FIELDS : UNDATED_PLAN_CREATE_FIELDS;
  rejectUnknownFields(body, allowed, prefix);

  const companyRef = dated ? optionalString(body, "account_id", prefix) : requiredString(body, "company_id", prefix);
  const productId = optionalString(body, "product_id", prefix);
  const inlineProduct = body.product === undefined ? undefined : parseInlineProduct(body.product, `${prefix}product.`);
  if (!dated && !productId && !inlineProduct) throw missingParameter(`${prefix}product_id`);
  if (productId && inlineProduct) throw invalidParameter(`${prefix}product`, "give either product or product_id");

  const title = optionalString(body, "title", prefix);
  checkLength(title, PLAN_TITLE_MAX, "Title");
  const description = optionalString(body, "description", prefix);
  checkLength(description, PLAN_DESCRIPTION_MAX, "Description");

  const planType = oneOf(body, "plan_type", prefix, ["one_time", "renewal"] as const, "one_time");
  const currency = parseCurrency(body, prefix);
  const initialPrice = parsePrice(body.initial_price, `${prefix}initial_price`, currency, planType === "one_time");
  const renewalPrice = parsePrice(body.renewal_price, `${prefix}renewal_price`, currency, planType === "renewal");
  return {
    companyRef,
    productId,
    inlineProduct,
    title: title ?? null,
    description: description ?? null,
    planType,
    currency,
    initialPrice,
    renewalPrice,
    billingPeriod: planType === "renewal" ? billingPeriodOf(body, prefix) : null,
    expirationDays: optionalInteger(body, "expiration_days", prefix),
    trialPeriodDays: optionalInteger(body, "trial_period_days", prefix),
    visibility: oneOf(body, "visibility", prefix, ["visible", "hidden", "archived", "quick_link"] as const, "visible"),
    releaseMethod: oneOf(body, "release_method", prefix, ["buy_now", "waitlist"] as const, "buy_now"),
    internalNotes: optionalString(body, "internal_notes", prefix) ?? null,
    metadata: parseMetadata(body.metadata, `${prefix}metadata`),
    forceCreateNewPlan: optionalBoolean(body, "force_create_new_plan", prefix, false),
  };
}

/** Days per period of a renewal plan: a whole number above 0 (Whop's default is 30). */
function billingPeriodOf(body: Body, prefix: string): number {
  const days = optionalInteger(body, "billing_period", prefix) ?? 30;
  if (days === 0) throw invalidParameter(`${prefix}billing_period`, "must be greater than 0");
  return days;
}

export function parsePlanCreate(body: Body, dated: boolean): PlanInput {
  return parsePlanFields(body, "", dated, false);
}

export function parseProductCreate(body: Body, dated: boolean): ProductInput {
  rejectUnknownFields(body, dated ? DATED_PRODUCT_FIELDS : UNDATED_PRODUCT_FIELDS, "");
  const companyRef = dated ? optionalString(body, "account_id", "") : requiredString(body, "company_id", "");
  const title = requiredString(body, "title", "");
  checkLength(title, PRODUCT_TITLE_MAX, "Title");
  return {
    companyRef,
    title,
    description: optionalString(body, "description", "") ?? null,
    externalIdentifier: optionalString(body, "external_identifier", "") ?? null,
    visibility: oneOf(body, "visibility", "", ["visible", "hidden", "archived", "quick_link"] as const, "visible"),
    metadata: parseMetadata(body.metadata, "metadata"),
  };
}

export function parseCheckoutCreate(body: Body, dated: boolean): CheckoutInput {
  rejectUnknownFields(body, [...CHECKOUT_COMMON_FIELDS, dated ? "account_id" : "company_id"], "");
  const mode = oneOf(body, "mode", "", ["payment", "setup"] as const, "payment");
  if (mode === "setup") throw invalidParameter("mode", "the local sandbox only emulates mode 'payment'");
  const planId = optionalString(body, "plan_id", "");
  const planBody = body.plan;
  if (planBody !== undefined && planBody !== null && !isPlainObject(planBody)) throw invalidParameter("plan");
  if (!planId && !planBody) throw missingParameter("plan");
  if (planId && planBody) throw invalidParameter("plan_id", "give either plan or plan_id");
  return {
    companyRef: optionalString(body, dated ? "account_id" : "company_id", ""),
    plan: planBody ? parsePlanFields(planBody, "plan.", dated, true) : undefined,
    planId,
    metadata: parseMetadata(body.metadata, "metadata"),
    redirectUrl: parseUrl(body, "redirect_url", false) ?? null,
    affiliateCode: optionalString(body, "affiliate_code", "") ?? null,
  };
}

/** Undefined when absent. */
function parseWebhookApiVersion(body: Body): "v1" | "v5" | undefined {
  if (body.api_version === undefined || body.api_version === null) return undefined;
  const apiVersion = oneOf(body, "api_version", "", ["v1", "v2", "v5"] as const, "v1");
  if (apiVersion === "v2") throw invalidParameter("api_version", "the local sandbox emulates v1 and v5 webhooks only");
  return apiVersion;
}

function parseWebhookEvents(value: unknown): string[] {
  if (!Array.isArray(value) || value.some((e) => typeof e !== "string" || !WEBHOOK_EVENTS.has(e))) throw invalidParameter("events");
  return value as string[];
}

export function parseWebhookCreate(body: Body): WebhookInput {
  rejectUnknownFields(body, WEBHOOK_FIELDS, "");
  const url = parseUrl(body, "url", true) as string;
  return {
    url,
    apiVersion: parseWebhookApiVersion(body) ?? "v1",
    enabled: optionalBoolean(body, "enabled", "", true),
    events: parseWebhookEvents(body.events ?? []),
    resourceId: requiredString(body, "resource_id", ""),
    childResourceEvents: optionalBoolean(body, "child_resource_events", "", false),
  };
}

/** PATCH /webhooks/{id}: each field optional (absent or null = unchanged); the secret cannot be changed. */
export function parseWebhookUpdate(body: Body): Partial<Omit<WebhookInput, "resourceId">> {
  rejectUnknownFields(body, WEBHOOK_UPDATE_FIELDS, "");
  const present = (key: string) => body[key] !== undefined && body[key] !== null;
  return {
    url: parseUrl(body, "url", false),
    apiVersion: parseWebhookApiVersion(body),
    enabled: present("enabled") ? optionalBoolean(body, "enabled", "", true) : undefined,
    events: present("events") ? parseWebhookEvents(body.events) : undefined,
    childResourceEvents: present("child_resource_events") ? optionalBoolean(body, "child_resource_events", "", false) : undefined,
  };
}

function parseUrl(body: Body, key: string, required: boolean): string | undefined {
  const value = required ? requiredString(body, key, "") : optionalString(body, key, "");
  if (value === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw invalidParameter(key, "must be an absolute URL");
  }
  // Real Whop wants https; the sandbox also takes http so that local apps work.
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") throw invalidParameter(key, "must be an http(s) URL");
  return value;
}
