import { z } from "zod";
import { unexpectedResponse } from "./errors";

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
  raw: unknown;
}

export interface WhopMembership {
  id: string;
  status: string | null;
  cancelAtPeriodEnd: boolean;
  raw: unknown;
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

export const paymentSchema = z.object({
  id: z.string(),
  status: z.string().nullish(),
  substatus: z.string().nullish(),
  total: money,
  final_amount: money,
  currency: z.string().nullish(),
  metadata: z.record(z.string(), z.unknown()).nullish(),
  checkout_configuration_id: z.string().nullish(),
  checkout_id: z.string().nullish(),
  plan: idRef,
  plan_id: z.string().nullish(),
  membership: idRef,
  membership_id: z.string().nullish(),
  user: z
    .object({ id: z.string().nullish(), email: z.string().nullish() })
    .nullish()
    .catch(null),
  user_id: z.string().nullish(),
  created_at: timestamp,
  paid_at: timestamp,
  refunded_amount: money,
});

export const membershipSchema = z.object({
  id: z.string(),
  status: z.string().nullish(),
  cancel_at_period_end: z.boolean().nullish(),
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
export function parseOrThrow<T>(schema: z.ZodType<T>, json: unknown, label: string, status: number): T {
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  const fields = parsed.error.issues.map((issue) => issue.path.join(".") || "(body)").join(", ");
  throw unexpectedResponse(label, status, fields);
}

/** A list page whose items are each parsed and mapped; a bad item names its index. */
export function parsePage<S, T>(
  json: unknown,
  label: string,
  status: number,
  item: { schema: z.ZodType<S>; map: (parsed: S, raw: unknown) => T },
): WhopPage<T> {
  const page = parseOrThrow(pageSchema, json, label, status);
  const data = page.data.map((raw, index) => item.map(parseOrThrow(item.schema, raw, `${label} (data.${index})`, status), raw));
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
    raw,
  };
}

export function toMembership(m: z.infer<typeof membershipSchema>, raw: unknown): WhopMembership {
  return { id: m.id, status: m.status ?? null, cancelAtPeriodEnd: m.cancel_at_period_end ?? false, raw };
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
