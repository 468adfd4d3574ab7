import { z } from "zod";
import { unexpectedResponse, type WhopCallContext } from "./errors";

/**
 * What Whop answers, read tolerantly (unknown fields are ignored, optional ones may be null or
 * absent), and mapped onto the types the rest of the product uses.
 */

export const WHOP_CHECKOUT_ORIGIN = "https://whop.com";

// ---------------------------------------------------------------------------------------------
// Types the client hands out

export interface WhopCompany {
  /** `biz_…` */
  id: string;
  title: string;
  route: string | null;
  createdAt: Date | null;
  via: "v1" | "v5";
}

export interface WhopCheckoutConfiguration {
  id: string;
  planId: string;
  /** Absolute; send the buyer there exactly as is. */
  purchaseUrl: string;
  raw: unknown;
}

export interface WhopWebhook {
  id: string;
  /** `ws_…`, shown by Whop only in this response. */
  secret: string;
}

export interface WhopPayment {
  id: string;
  status: string | null;
  substatus: string | null;
  /** Decimal major units. */
  total: number | null;
  currency: string | null;
  metadata: Record<string, unknown>;
  checkoutConfigurationId: string | null;
  planId: string | null;
  membershipId: string | null;
  membershipStatus: string | null;
  userId: string | null;
  userEmail: string | null;
  createdAt: Date | null;
  paidAt: Date | null;
  /** Cumulative, decimal major units; null when Whop did not say. */
  refundedAmount: number | null;
  /** Decimal major units, excluding buyer fees. */
  subtotal: number | null;
  /** `one_time`, `subscription_create`, `subscription_cycle` (a renewal), …; null when Whop did not say. */
  billingReason: string | null;
  raw: unknown;
}

export interface WhopMembership {
  id: string;
  status: string | null;
  cancelAtPeriodEnd: boolean;
  renewalPeriodEnd: Date | null;
  checkoutConfigurationId: string | null;
  /** Null unless the product includes Whop's software licensing. */
  licenseKey: string | null;
  userId: string | null;
  /** Null unless the key holds `member:email:read`. */
  userEmail: string | null;
  metadata: Record<string, unknown>;
  raw: unknown;
}

/** A refund settles asynchronously: created `pending`; only `succeeded` moves money. */
export interface WhopRefund {
  id: string;
  status: string | null;
  /** Decimal major units. */
  amount: number | null;
  currency: string | null;
  createdAt: Date | null;
  paymentId: string | null;
  raw: unknown;
}

export interface WhopDispute {
  id: string;
  status: string | null;
  /** Decimal major units. */
  amount: number | null;
  currency: string | null;
  reason: string | null;
  paymentId: string | null;
  raw: unknown;
}

/** A webhook as Whop lists it. Never its secret: Whop shows that only when the webhook is created. */
export interface WhopWebhookEndpoint {
  id: string;
  url: string | null;
  events: string[];
  /** Null when Whop did not say. */
  enabled: boolean | null;
}

export interface WhopPage<T> {
  data: T[];
  pageInfo: { endCursor: string | null; hasNextPage: boolean };
}

// ---------------------------------------------------------------------------------------------
// Response schemas

const timestamp = z.union([z.string(), z.number()]).nullish();

export const accountSchema = z.object({
  id: z.string(),
  title: z.string().nullish(),
  name: z.string().nullish(),
  route: z.string().nullish(),
  created_at: timestamp,
});

export const checkoutConfigurationSchema = z.object({
  id: z.string(),
  purchase_url: z.string().min(1),
  plan_id: z.string().nullish(),
  plan: z.object({ id: z.string() }).nullish(),
});

export const productSchema = z.object({ id: z.string().min(1) });

export const webhookSchema = z.object({
  id: z.string(),
  webhook_secret: z.string().min(1),
});

const idRef = z.union([z.string(), z.object({ id: z.string().nullish(), status: z.string().nullish() })]).nullish();
const money = z.union([z.number(), z.string()]).nullish();
const metadata = z.record(z.string(), z.unknown()).nullish();
const userRef = z
  .object({ id: z.string().nullish(), email: z.string().nullish() })
  .nullish()
  .catch(null);

export const paymentSchema = z.object({
  id: z.string(),
  status: z.string().nullish(),
  substatus: z.string().nullish(),
  total: money,
  final_amount: money,
  currency: z.string().nullish(),
  metadata,
  checkout_configuration_id: z.string().nullish(),
  checkout_id: z.string().nullish(),
  plan: idRef,
  plan_id: z.string().nullish(),
  membership: idRef,
  membership_id: z.string().nullish(),
  user: userRef,
  user_id: z.string().nullish(),
  created_at: timestamp,
  paid_at: timestamp,
  refunded_amount: money,
  subtotal: money,
  billing_reason: z.string().nullish(),
});

export const membershipSchema = z.object({
  id: z.string(),
  status: z.string().nullish(),
  cancel_at_period_end: z.boolean().nullish(),
  renewal_period_end: timestamp,
  checkout_configuration_id: z.string().nullish(),
  checkout_id: z.string().nullish(),
  license_key: z.string().nullish(),
  user: userRef,
  user_id: z.string().nullish(),
  metadata,
});

export const refundSchema = z.object({
  id: z.string(),
  status: z.string().nullish(),
  amount: money,
  currency: z.string().nullish(),
  created_at: timestamp,
  // A list item embeds `{ id }`, one refund read the whole payment; older shapes give the id flat.
  payment: idRef,
  payment_id: z.string().nullish(),
});

export const disputeSchema = z.object({
  id: z.string(),
  status: z.string().nullish(),
  amount: money,
  currency: z.string().nullish(),
  reason: z.string().nullish(),
  payment: idRef,
  payment_id: z.string().nullish(),
});

export const webhookEndpointSchema = z.object({
  id: z.string(),
  url: z.string().nullish(),
  // Unknown items are skipped rather than failing the whole webhook.
  events: z.array(z.unknown()).nullish(),
  enabled: z.boolean().nullish(),
});

export const pageSchema = z.object({
  data: z.array(z.unknown()),
  page_info: z
    .object({ end_cursor: z.string().nullish(), has_next_page: z.boolean().nullish() })
    .nullish(),
});

// ---------------------------------------------------------------------------------------------
// Parsing and mapping

/** The parsed body, or a `bad_request` WhopApiError naming the fields (never their values: a body may hold a secret). */
export function parseOrThrow<T>(schema: z.ZodType<T>, json: unknown, call: WhopCallContext, status: number): T {
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  const fields = parsed.error.issues.map((issue) => issue.path.join(".") || "(body)").join(", ");
  throw unexpectedResponse(call, status, fields);
}

/** A list page whose items are each parsed and mapped; a bad item names its index. */
export function parsePage<S, T>(
  json: unknown,
  call: WhopCallContext,
  status: number,
  item: { schema: z.ZodType<S>; map: (parsed: S, raw: unknown) => T },
): WhopPage<T> {
  const page = parseOrThrow(pageSchema, json, call, status);
  const data = page.data.map((raw, index) =>
    item.map(parseOrThrow(item.schema, raw, { ...call, label: `${call.label} (data.${index})` }, status), raw),
  );
  return {
    data,
    pageInfo: {
      endCursor: page.page_info?.end_cursor ?? null,
      hasNextPage: page.page_info?.has_next_page ?? false,
    },
  };
}

export function absolutePurchaseUrl(purchaseUrl: string): string {
  return purchaseUrl.startsWith("/") ? WHOP_CHECKOUT_ORIGIN + purchaseUrl : purchaseUrl;
}

export function toCompany(account: z.infer<typeof accountSchema>, via: "v1" | "v5"): WhopCompany {
  return {
    id: account.id,
    title: account.title ?? account.name ?? account.route ?? account.id,
    route: account.route ?? null,
    createdAt: toDate(account.created_at),
    via,
  };
}

const refId = (ref: z.infer<typeof idRef>): string | null => (typeof ref === "string" ? ref : (ref?.id ?? null));

export function toPayment(p: z.infer<typeof paymentSchema>, raw: unknown): WhopPayment {
  return {
    id: p.id,
    status: p.status ?? null,
    substatus: p.substatus ?? null,
    total: toNumber(p.total ?? p.final_amount),
    currency: p.currency?.toLowerCase() ?? null,
    metadata: p.metadata ?? {},
    checkoutConfigurationId: p.checkout_configuration_id ?? p.checkout_id ?? null,
    planId: refId(p.plan) ?? p.plan_id ?? null,
    membershipId: refId(p.membership) ?? p.membership_id ?? null,
    membershipStatus: typeof p.membership === "object" && p.membership ? (p.membership.status ?? null) : null,
    userId: p.user?.id ?? p.user_id ?? null,
    userEmail: p.user?.email ?? null,
    createdAt: toDate(p.created_at),
    paidAt: toDate(p.paid_at),
    refundedAmount: toNumber(p.refunded_amount),
    subtotal: toNumber(p.subtotal),
    billingReason: p.billing_reason ?? null,
    raw,
  };
}

export function toMembership(m: z.infer<typeof membershipSchema>, raw: unknown): WhopMembership {
  return {
    id: m.id,
    status: m.status ?? null,
    cancelAtPeriodEnd: m.cancel_at_period_end ?? false,
    renewalPeriodEnd: toDate(m.renewal_period_end),
    checkoutConfigurationId: m.checkout_configuration_id ?? m.checkout_id ?? null,
    licenseKey: m.license_key || null,
    userId: m.user?.id ?? m.user_id ?? null,
    userEmail: m.user?.email ?? null,
    metadata: m.metadata ?? {},
    raw,
  };
}

export function toRefund(r: z.infer<typeof refundSchema>, raw: unknown): WhopRefund {
  return {
    id: r.id,
    status: r.status ?? null,
    amount: toNumber(r.amount),
    currency: r.currency?.toLowerCase() ?? null,
    createdAt: toDate(r.created_at),
    paymentId: refId(r.payment) ?? r.payment_id ?? null,
    raw,
  };
}

export function toDispute(d: z.infer<typeof disputeSchema>, raw: unknown): WhopDispute {
  return {
    id: d.id,
    status: d.status ?? null,
    amount: toNumber(d.amount),
    currency: d.currency?.toLowerCase() ?? null,
    reason: d.reason ?? null,
    paymentId: refId(d.payment) ?? d.payment_id ?? null,
    raw,
  };
}

/** Picks the four fields by name, so nothing else Whop sends (a secret included) is handed on. */
export function toWebhookEndpoint(w: z.infer<typeof webhookEndpointSchema>): WhopWebhookEndpoint {
  return {
    id: w.id,
    url: w.url ?? null,
    events: (w.events ?? []).filter((event): event is string => typeof event === "string"),
    enabled: w.enabled ?? null,
  };
}

/** ISO strings (v1) and unix seconds (v5) both occur. */
export function toDate(value: string | number | null | undefined): Date | null {
  if (value === null || value === undefined || value === "") return null;
  const date = typeof value === "number" ? new Date(value * 1000) : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

export function toNumber(value: string | number | null | undefined): number | null {
  if (value === null || value === undefined || value === "") return null;
  const n = typeof value === "number" ? value : Number(value);
  return Number.isFinite(n) ? n : null;
}
