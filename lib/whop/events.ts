import { createHash } from "node:crypto";
import { z } from "zod";

/**
 * Turns any of Whop's three webhook envelopes (docs/whop.md, "Webhooks: envelopes and event
 * names") into one typed event. Pure and tolerant: unknown fields are ignored, missing optional
 * ones become null, and amounts stay decimal strings exactly as Whop sent them (conversion to
 * minor units belongs to whoever compares them with an order).
 */

/** Normalised event name: lower-case, dotted, v2/v5 membership aliases mapped to the v1 names. */
export type WhopEventName = string;

/**
 * Every v1 event the ledger applies, and so every event the webhook the product creates subscribes
 * to (and the list an existing webhook is brought up to date with). Anything else is recorded as
 * ignored.
 */
export const WHOP_EVENTS_APPLIED = [
  "payment.succeeded",
  "payment.failed",
  "payment.pending",
  "membership.activated",
  "membership.deactivated",
  "membership.cancel_at_period_end_changed",
  "membership.trial_ending_soon",
  "membership.updated",
  "refund.created",
  "refund.updated",
  "dispute.created",
  "dispute.updated",
] as const;

export type WebhookEnvelope = "v1" | "v2" | "v5";

export interface NormalizedPayment {
  id: string;
  status: string | null;
  substatus: string | null;
  /** Decimal major units as sent ("29.99"), from `total` | `final_amount` | `amount`. */
  totalMajor: string | null;
  /** Lower-case ISO currency code. */
  currency: string | null;
  /** `subtotal`: the price before Whop's fees and taxes, compared with the order's. */
  subtotalMajor: string | null;
  refundedMajor: string | null;
  /** `one_time`, `subscription_create`, `subscription_cycle`… (v1 only). */
  billingReason: string | null;
  paidAt: Date | null;
  /** When Whop made the payment (a renewal's charge, or its failure). */
  createdAt: Date | null;
  checkoutId: string | null;
  planId: string | null;
  membershipId: string | null;
  /** The embedded membership's status, when the payment carries one (`membership { id, status }`). */
  membershipStatus: string | null;
  userId: string | null;
  userEmail: string | null;
  metadata: Record<string, string>;
}

export interface NormalizedMembership {
  id: string;
  status: string | null;
  valid: boolean | null;
  planId: string | null;
  userId: string | null;
  userEmail: string | null;
  licenseKey: string | null;
  /** When access ends: `expires_at`, or the current period's end once it cancels at period end. */
  expiresAt: Date | null;
  /** `cancel_at_period_end`; null when the envelope does not say. */
  cancelAtPeriodEnd: boolean | null;
  /** `renewal_period_end`: the current period's (or the trial's) end; v5's `expires_at` stands in. */
  renewalPeriodEnd: Date | null;
  checkoutId: string | null;
  metadata: Record<string, string>;
}

export interface NormalizedRefund {
  id: string | null;
  paymentId: string | null;
  amountMajor: string | null;
  currency: string | null;
  status: string | null;
  createdAt: Date | null;
}

export interface NormalizedDispute {
  id: string | null;
  paymentId: string | null;
  status: string | null;
  amountMajor: string | null;
  currency: string | null;
  reason: string | null;
  needsResponseBy: Date | null;
}

export interface NormalizedEvent {
  name: WhopEventName;
  rawName: string;
  envelope: WebhookEnvelope;
  /** v1 top-level message id (`msg_…`). */
  bodyId: string | null;
  /** `data.id`: the resource the event is about. */
  dataId: string | null;
  occurredAt: Date | null;
  companyId: string | null;
  payment: NormalizedPayment | null;
  membership: NormalizedMembership | null;
  refund: NormalizedRefund | null;
  dispute: NormalizedDispute | null;
}

export type NormalizeResult = { ok: true; event: NormalizedEvent } | { ok: false; error: string };

type Json = Record<string, unknown>;

/** Any JSON object; every field is read tolerantly one by one below. */
const objectSchema = z.record(z.string(), z.unknown());

const NAME_ALIASES: Record<string, string> = {
  "membership.went_valid": "membership.activated",
  "membership.went_invalid": "membership.deactivated",
};

const DECIMAL = /^-?\d+(\.\d+)?$/;

/**
 * `payment_succeeded` → `payment.succeeded`. Only the separator after the resource becomes a
 * dot: the rest of the name keeps its underscores (`membership_went_valid` →
 * `membership.went_valid` → `membership.activated`, `payment.affiliate_reward_created` stays).
 */
export function normalizeEventName(raw: string): WhopEventName {
  const lower = raw.trim().toLowerCase();
  const dotted = lower.includes(".") ? lower : lower.replace("_", ".");
  return NAME_ALIASES[dotted] ?? dotted;
}

export function normalizeWhopEvent(payload: unknown): NormalizeResult {
  const body = asObject(payload);
  if (body === null) return { ok: false, error: "payload is not a JSON object" };

  const rawName = firstString(body.type, body.action);
  if (rawName === null) return { ok: false, error: "payload has no event name (type or action)" };
  const name = normalizeEventName(rawName);
  if (name === "") return { ok: false, error: "payload has an empty event name" };

  const data = asObject(body.data) ?? asObject(body.body);
  if (data === null) return { ok: false, error: "payload has no data object (data or body)" };

  const family = name.split(".")[0];
  const payment = family === "payment" ? paymentFrom(data) : family === "refund" || family === "dispute" ? embeddedPayment(data) : null;

  const event: NormalizedEvent = {
    name,
    rawName,
    envelope: envelopeOf(body.api_version, body.type),
    bodyId: idOf(body.id),
    dataId: idOf(data.id),
    occurredAt: parseInstant(body.timestamp) ?? parseInstant(data.paid_at) ?? parseInstant(data.created_at),
    companyId: idOf(body.company_id) ?? idOf(data.company_id) ?? idOf(data.company),
    payment,
    membership: family === "membership" ? membershipFrom(data) : null,
    refund: family === "refund" ? refundFrom(data) : null,
    dispute: family === "dispute" ? disputeFrom(data) : null,
  };
  return { ok: true, event };
}

/**
 * The dedupe key (one row per key and tenant). The `webhook-id` header only under Standard
 * Webhooks, the one scheme whose signature covers it; under the legacy and bare schemes anyone who
 * captured a delivery could resend its body with any `webhook-id`, so those are keyed by what the
 * signed body says: its id, else a digest of its bytes (a resent body is a duplicate, any change is
 * a new event).
 */
export function eventKey(event: Pick<NormalizedEvent, "bodyId">, signed: { scheme: string; webhookId: string | null; rawBody: Uint8Array | string }): string {
  const header = signed.webhookId?.trim();
  if (signed.scheme === "standard" && header) return header;
  if (event.bodyId) return event.bodyId;
  return `sha256:${createHash("sha256").update(signed.rawBody).digest("hex")}`;
}

// ---------------------------------------------------------------------------------------------
// Resources, as webhooks embed them and as Whop's API returns them (reconciliation reads them there)

/** A payment object from Whop's API (`GET /payments/{id}`), read like a webhook's `data`. */
export function parseWhopPayment(resource: unknown): NormalizedPayment | null {
  const data = asObject(resource);
  return data === null ? null : paymentFrom(data);
}

export function parseWhopMembership(resource: unknown): NormalizedMembership | null {
  const data = asObject(resource);
  return data === null ? null : membershipFrom(data);
}

export function parseWhopRefund(resource: unknown): NormalizedRefund | null {
  const data = asObject(resource);
  return data === null ? null : refundFrom(data);
}

export function parseWhopDispute(resource: unknown): NormalizedDispute | null {
  const data = asObject(resource);
  return data === null ? null : disputeFrom(data);
}

function paymentFrom(data: Json): NormalizedPayment | null {
  const id = idOf(data.id);
  if (id === null) return null;
  const user = asObject(data.user);
  return {
    id,
    status: stringOf(data.status),
    substatus: stringOf(data.substatus),
    totalMajor: firstAmount(data.total, data.final_amount, data.amount),
    currency: currencyOf(data.currency),
    subtotalMajor: firstAmount(data.subtotal),
    refundedMajor: firstAmount(data.refunded_amount),
    billingReason: stringOf(data.billing_reason),
    paidAt: parseInstant(data.paid_at),
    createdAt: parseInstant(data.created_at),
    checkoutId: checkoutIdOf(data),
    planId: idOf(data.plan_id) ?? idOf(data.plan),
    membershipId: idOf(data.membership_id) ?? idOf(data.membership),
    membershipStatus: stringOf(asObject(data.membership)?.status),
    userId: idOf(data.user_id) ?? idOf(data.user),
    userEmail: stringOf(user?.email) ?? stringOf(data.user_email) ?? stringOf(data.email),
    metadata: metadataOf(data.metadata),
  };
}

/** A refund or dispute may carry the whole payment it belongs to; an id-only stub is not one. */
function embeddedPayment(data: Json): NormalizedPayment | null {
  const payment = asObject(data.payment);
  if (payment === null || Object.keys(payment).every((key) => key === "id")) return null;
  return paymentFrom(payment);
}

function membershipFrom(data: Json): NormalizedMembership | null {
  const id = idOf(data.id);
  if (id === null) return null;
  const user = asObject(data.user);
  return {
    id,
    status: stringOf(data.status),
    valid: typeof data.valid === "boolean" ? data.valid : null,
    planId: idOf(data.plan_id) ?? idOf(data.plan),
    userId: idOf(data.user_id) ?? idOf(data.user),
    userEmail: stringOf(user?.email) ?? stringOf(data.user_email) ?? stringOf(data.email),
    licenseKey: stringOf(data.license_key),
    expiresAt: parseInstant(data.expires_at) ?? (data.cancel_at_period_end === true ? parseInstant(data.renewal_period_end) : null),
    cancelAtPeriodEnd: typeof data.cancel_at_period_end === "boolean" ? data.cancel_at_period_end : null,
    renewalPeriodEnd: parseInstant(data.renewal_period_end) ?? parseInstant(data.expires_at),
    checkoutId: checkoutIdOf(data),
    metadata: metadataOf(data.metadata),
  };
}

function refundFrom(data: Json): NormalizedRefund {
  return {
    id: idOf(data.id),
    paymentId: paymentIdOf(data),
    amountMajor: firstAmount(data.amount),
    currency: currencyOf(data.currency) ?? currencyOf(asObject(data.payment)?.currency),
    status: stringOf(data.status)?.toLowerCase() ?? null,
    createdAt: parseInstant(data.created_at),
  };
}

function disputeFrom(data: Json): NormalizedDispute {
  return {
    id: idOf(data.id),
    paymentId: paymentIdOf(data),
    status: stringOf(data.status)?.toLowerCase() ?? null,
    amountMajor: firstAmount(data.amount),
    currency: currencyOf(data.currency) ?? currencyOf(asObject(data.payment)?.currency),
    reason: stringOf(data.reason),
    needsResponseBy: parseInstant(data.needs_response_by),
  };
}

function paymentIdOf(data: Json): string | null {
  return idOf(data.payment_id) ?? idOf(data.payment);
}

function checkoutIdOf(data: Json): string | null {
  return idOf(data.checkout_configuration_id) ?? idOf(data.checkout_id) ?? idOf(data.checkout_session_id);
}

// ---------------------------------------------------------------------------------------------
// Field readers: each accepts anything and returns a typed value or null

function envelopeOf(apiVersion: unknown, type: unknown): WebhookEnvelope {
  const version = stringOf(apiVersion)?.toLowerCase();
  if (version === "v1") return "v1";
  if (version === "v5") return "v5";
  if (version === undefined && typeof type === "string") return "v1"; // only v1 names its event `type`
  return "v2";
}

function asObject(value: unknown): Json | null {
  if (Array.isArray(value)) return null;
  const parsed = objectSchema.safeParse(value);
  return parsed.success ? parsed.data : null;
}

function stringOf(value: unknown): string | null {
  if (typeof value !== "string") return null;
  const trimmed = value.trim();
  return trimmed === "" ? null : trimmed;
}

function firstString(...values: unknown[]): string | null {
  for (const value of values) {
    const text = stringOf(value);
    if (text !== null) return text;
  }
  return null;
}

/** An id sent as a string, a number, or an object `{ id }` (v1/v2 nest related resources). */
function idOf(value: unknown): string | null {
  if (typeof value === "number") return Number.isSafeInteger(value) ? String(value) : null;
  if (typeof value === "string") return stringOf(value);
  const object = asObject(value);
  return object === null ? null : idOf(object.id);
}

function currencyOf(value: unknown): string | null {
  return stringOf(value)?.toLowerCase() ?? null;
}

/**
 * Decimal major units as a string. Strings are kept exactly as sent; numbers use the shortest
 * round-trip form (`String(29.99)` is "29.99"), expanded when JavaScript would use an exponent.
 */
function amountOf(value: unknown): string | null {
  if (typeof value === "string") {
    const trimmed = value.trim();
    return DECIMAL.test(trimmed) ? trimmed : null;
  }
  if (typeof value !== "number" || !Number.isFinite(value)) return null;
  const text = String(value);
  if (DECIMAL.test(text)) return text;
  if (Math.abs(value) >= 1e21) return null; // no currency has amounts this large; toFixed cannot expand them
  const fixed = value.toFixed(20).replace(/\.?0+$/, "");
  return DECIMAL.test(fixed) ? fixed : null;
}

function firstAmount(...values: unknown[]): string | null {
  for (const value of values) {
    const amount = amountOf(value);
    if (amount !== null) return amount;
  }
  return null;
}

function metadataOf(value: unknown): Record<string, string> {
  const object = asObject(value);
  if (object === null) return {};
  const metadata: Record<string, string> = {};
  for (const [key, entry] of Object.entries(object)) {
    if (entry === null || entry === undefined) continue;
    metadata[key] = typeof entry === "string" ? entry : typeof entry === "object" ? JSON.stringify(entry) : String(entry);
  }
  return metadata;
}

/** Beyond this a "unix seconds" value is far in the future: it must be milliseconds. */
const MAX_UNIX_SECONDS = 1e11;

/** ISO strings (v1) or unix seconds (v2/v5), as a number or a numeric string. */
function parseInstant(value: unknown): Date | null {
  let millis: number;
  const numeric = typeof value === "number" ? value : typeof value === "string" && /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value.trim()) : null;
  if (numeric !== null) {
    millis = Math.abs(numeric) >= MAX_UNIX_SECONDS ? numeric : numeric * 1000;
  } else if (typeof value === "string" && value.trim() !== "") {
    millis = Date.parse(value.trim());
  } else {
    return null;
  }
  if (!Number.isFinite(millis)) return null;
  const date = new Date(millis);
  return Number.isNaN(date.getTime()) ? null : date;
}
