import { z } from "zod";

/**
 * The one Whop client: every call the product makes to Whop goes through here.
 * It speaks the dated v1 API (the shape `@whop/sdk` 0.0.42 sends), retries what is safe to
 * retry, and turns every failure into a `WhopApiError` whose `kind` callers can switch on.
 * Merchant-facing wording lives in `./messages.ts`, not here.
 */

export const WHOP_API_VERSION_DATE = "2026-07-20";
export const WHOP_CHECKOUT_ORIGIN = "https://whop.com";

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_RETRIES = 2;
const BACKOFF_BASE_MS = 300;
/** A rate-limit wait longer than this is not worth holding a merchant's or buyer's request for. */
const MAX_RETRY_AFTER_SECONDS = 5;
const MAX_WHOP_MESSAGE_LENGTH = 300;

export type WhopErrorKind =
  | "unauthorized"
  | "forbidden"
  | "missing_permissions"
  | "not_found"
  | "bad_request"
  | "rate_limited"
  | "server_error"
  | "timeout"
  | "unreachable";

export interface WhopApiErrorInit {
  kind: WhopErrorKind;
  message: string;
  status?: number;
  whopMessage?: string;
  missingPermissions?: string[];
  retryAfterSeconds?: number;
  notCompanyKey?: boolean;
  cause?: unknown;
}

/** Carries no request data (no headers, no body): nothing secret can leak through it. */
export class WhopApiError extends Error {
  readonly kind: WhopErrorKind;
  readonly status?: number;
  readonly whopMessage?: string;
  readonly missingPermissions: string[];
  readonly retryAfterSeconds?: number;
  /** The key works but belongs to a user or app, not a company (`/me` answered a non-`biz_` id). */
  readonly notCompanyKey: boolean;

  constructor(init: WhopApiErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = "WhopApiError";
    this.kind = init.kind;
    if (init.status !== undefined) this.status = init.status;
    if (init.whopMessage !== undefined) this.whopMessage = init.whopMessage;
    this.missingPermissions = init.missingPermissions ?? [];
    if (init.retryAfterSeconds !== undefined) this.retryAfterSeconds = init.retryAfterSeconds;
    this.notCompanyKey = init.notCompanyKey ?? false;
  }
}

export function isWhopApiError(err: unknown): err is WhopApiError {
  return err instanceof WhopApiError;
}

export interface WhopClientOptions {
  apiKey: string;
  /** e.g. `https://api.whop.com`, no trailing path. */
  origin: string;
  /** Per attempt. */
  timeoutMs?: number;
  maxRetries?: number;
  fetch?: typeof fetch;
  /** Injectable so tests do not wait for backoff. */
  sleep?: (ms: number) => Promise<void>;
}

export interface WhopCompany {
  /** `biz_…` */
  id: string;
  title: string;
  route: string | null;
  createdAt: Date | null;
  via: "v1" | "v5";
}

export interface CreateCheckoutConfigurationInput {
  idempotencyKey: string;
  accountId?: string;
  plan: {
    /** Lowercase ISO 4217. */
    currency: string;
    /** Decimal major units (29.99 = $29.99). */
    initialPrice: number;
    /** Whop rejects more than 30 characters; the caller cuts. */
    title: string;
    description?: string;
    productId?: string;
    visibility?: "hidden" | "visible";
  };
  metadata: Record<string, string>;
  redirectUrl: string;
}

export interface WhopCheckoutConfiguration {
  id: string;
  planId: string;
  /** Absolute; send the buyer there exactly as is. */
  purchaseUrl: string;
  raw: unknown;
}

export interface CreateProductInput {
  /** Makes a retried create safe: Whop answers the original product. */
  idempotencyKey: string;
  /** Whop allows 80 characters; the caller cuts. */
  title: string;
  accountId?: string;
}

export interface CreateWebhookInput {
  url: string;
  /** `biz_…`; required with a company key. */
  resourceId: string;
  events: string[];
  apiVersion?: "v1";
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

export interface RefundPaymentInput {
  paymentId: string;
  /** Decimal major units; omit for a full refund of what is left. */
  partialAmount?: number;
  /** Whop answers a repeat with the original refund instead of refunding twice. */
  idempotencyKey: string;
}

export type MembershipCancellationMode = "at_period_end" | "immediate";

export interface CancelMembershipInput {
  membershipId: string;
  mode: MembershipCancellationMode;
  idempotencyKey?: string;
}

export interface WhopMembership {
  id: string;
  status: string | null;
  cancelAtPeriodEnd: boolean;
  raw: unknown;
}

export interface ListPaymentsInput {
  companyId: string;
  createdAfter?: Date;
  first?: number;
  after?: string;
}

export interface WhopPage<T> {
  data: T[];
  pageInfo: { endCursor: string | null; hasNextPage: boolean };
}

export interface WhopClient {
  getCompany(): Promise<WhopCompany>;
  createCheckoutConfiguration(input: CreateCheckoutConfigurationInput): Promise<WhopCheckoutConfiguration>;
  createProduct(input: CreateProductInput): Promise<{ id: string }>;
  createWebhook(input: CreateWebhookInput): Promise<WhopWebhook>;
  getPayment(id: string): Promise<WhopPayment>;
  listPayments(input: ListPaymentsInput): Promise<WhopPage<WhopPayment>>;
  refundPayment(input: RefundPaymentInput): Promise<WhopPayment>;
  cancelMembership(input: CancelMembershipInput): Promise<WhopMembership>;
}

// ---------------------------------------------------------------------------------------------
// Response schemas (tolerant: unknown fields are ignored, optional ones may be null or absent)

const timestamp = z.union([z.string(), z.number()]).nullish();

const accountSchema = z.object({
  id: z.string(),
  title: z.string().nullish(),
  name: z.string().nullish(),
  route: z.string().nullish(),
  created_at: timestamp,
});

const checkoutConfigurationSchema = z.object({
  id: z.string(),
  purchase_url: z.string().min(1),
  plan_id: z.string().nullish(),
  plan: z.object({ id: z.string() }).nullish(),
});

const productSchema = z.object({ id: z.string().min(1) });

const webhookSchema = z.object({
  id: z.string(),
  webhook_secret: z.string().min(1),
});

const idRef = z.union([z.string(), z.object({ id: z.string().nullish(), status: z.string().nullish() })]).nullish();
const money = z.union([z.number(), z.string()]).nullish();

const paymentSchema = z.object({
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

const membershipSchema = z.object({
  id: z.string(),
  status: z.string().nullish(),
  cancel_at_period_end: z.boolean().nullish(),
});

const paymentListSchema = z.object({
  data: z.array(z.unknown()),
  page_info: z
    .object({ end_cursor: z.string().nullish(), has_next_page: z.boolean().nullish() })
    .nullish(),
});

// ---------------------------------------------------------------------------------------------

export function createWhopClient(opts: WhopClientOptions): WhopClient {
  const origin = opts.origin.replace(/\/+$/, "");
  const apiKey = opts.apiKey;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxRetries = Math.max(0, opts.maxRetries ?? DEFAULT_MAX_RETRIES);
  const doFetch = opts.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));

  /** Whop could echo what it was sent; make sure the key never survives into an error. */
  const redact = (text: string): string => (apiKey.length >= 4 ? text.split(apiKey).join("[redacted]") : text);

  interface RequestSpec {
    method: "GET" | "POST";
    path: string;
    query?: Record<string, string | number | undefined>;
    body?: unknown;
    idempotencyKey?: string;
  }

  async function attempt(spec: RequestSpec, url: string): Promise<{ status: number; headers: Headers; text: string }> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    const headers: Record<string, string> = {
      Authorization: `Bearer ${apiKey}`,
      Accept: "application/json",
      "Api-Version-Date": WHOP_API_VERSION_DATE,
    };
    if (spec.body !== undefined) headers["Content-Type"] = "application/json";
    if (spec.idempotencyKey !== undefined) headers["Idempotency-Key"] = spec.idempotencyKey;
    try {
      const res = await doFetch(url, {
        method: spec.method,
        headers,
        body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
        signal: controller.signal,
      });
      // Reading the body is part of the attempt: a response that stalls mid-body also times out.
      const text = await res.text();
      return { status: res.status, headers: res.headers, text };
    } catch (cause) {
      const label = `${spec.method} ${spec.path}`;
      if (controller.signal.aborted) {
        throw new WhopApiError({ kind: "timeout", message: `Whop did not answer ${label} within ${timeoutMs} ms` });
      }
      throw new WhopApiError({
        kind: "unreachable",
        message: `Could not reach Whop for ${label}: ${redact(describeNetworkError(cause))}`,
      });
    } finally {
      clearTimeout(timer);
    }
  }

  async function request(spec: RequestSpec): Promise<{ status: number; json: unknown }> {
    const url = new URL(origin + spec.path);
    for (const [name, value] of Object.entries(spec.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    // A POST is only safe to repeat when Whop can recognise the repeat by its Idempotency-Key.
    const retryable = spec.method === "GET" || spec.idempotencyKey !== undefined;
    const label = `${spec.method} ${spec.path}`;

    for (let attemptNo = 0; ; attemptNo++) {
      const canRetry = retryable && attemptNo < maxRetries;
      let failure: WhopApiError;
      try {
        const res = await attempt(spec, url.toString());
        if (res.status >= 200 && res.status < 300) {
          return { status: res.status, json: parseJson(res.text) };
        }
        failure = errorFromResponse(res.status, res.headers, res.text, label, redact);
      } catch (err) {
        if (!(err instanceof WhopApiError)) throw err;
        failure = err;
      }

      const transient = ["rate_limited", "server_error", "timeout", "unreachable"].includes(failure.kind);
      if (!transient) throw failure;
      if (failure.kind === "rate_limited" && (failure.retryAfterSeconds ?? 0) > MAX_RETRY_AFTER_SECONDS) throw failure;
      if (!canRetry) throw failure;

      const backoff = BACKOFF_BASE_MS * 3 ** attemptNo * (0.8 + Math.random() * 0.4);
      const waitMs = Math.max(backoff, (failure.retryAfterSeconds ?? 0) * 1000);
      await sleep(Math.round(waitMs));
    }
  }

  function parseOrThrow<T>(schema: z.ZodType<T>, json: unknown, label: string, status: number): T {
    const parsed = schema.safeParse(json);
    if (parsed.success) return parsed.data;
    // Name the fields, never echo values: a response body may hold a secret.
    const fields = parsed.error.issues.map((issue) => issue.path.join(".") || "(body)").join(", ");
    throw new WhopApiError({
      kind: "bad_request",
      status,
      message: `Unexpected response from Whop for ${label} (fields: ${fields})`,
      whopMessage: "Unexpected response format",
    });
  }

  async function getCompanyV1(): Promise<WhopCompany> {
    const path = "/api/v1/accounts/me";
    const { status, json } = await request({ method: "GET", path });
    const account = parseOrThrow(accountSchema, json, `GET ${path}`, status);
    if (!account.id.startsWith("biz_")) {
      const prefix = account.id.split("_")[0] ?? "unknown";
      throw new WhopApiError({
        kind: "forbidden",
        message: `This key belongs to a ${prefix}_ account, not a company (biz_): it is not a company API key`,
        notCompanyKey: true,
      });
    }
    return toCompany(account, "v1");
  }

  async function getCompanyV5(): Promise<WhopCompany> {
    const path = "/api/v5/company";
    const { status, json } = await request({ method: "GET", path });
    const account = parseOrThrow(accountSchema, json, `GET ${path}`, status);
    if (!account.id.startsWith("biz_")) {
      throw new WhopApiError({
        kind: "forbidden",
        message: "This key does not belong to a company (biz_): it is not a company API key",
        notCompanyKey: true,
      });
    }
    return toCompany(account, "v5");
  }

  return {
    async getCompany() {
      try {
        return await getCompanyV1();
      } catch (err) {
        // Older deployments have no /me; v5 still answers there.
        if (err instanceof WhopApiError && err.kind === "not_found") return getCompanyV5();
        throw err;
      }
    },

    async createCheckoutConfiguration(input) {
      const path = "/api/v1/checkout_configurations";
      const plan: Record<string, unknown> = {
        ...(input.accountId !== undefined && { account_id: input.accountId }),
        currency: input.plan.currency.toLowerCase(),
        plan_type: "one_time",
        initial_price: input.plan.initialPrice,
        title: input.plan.title,
        ...(input.plan.description !== undefined && { description: input.plan.description }),
        visibility: input.plan.visibility ?? "hidden",
        ...(input.plan.productId !== undefined && { product_id: input.plan.productId }),
        // Without it Whop may hand back an existing matching plan, and its metadata with it.
        force_create_new_plan: true,
      };
      const body = {
        ...(input.accountId !== undefined && { account_id: input.accountId }),
        plan,
        metadata: input.metadata,
        redirect_url: input.redirectUrl,
      };
      const { status, json } = await request({ method: "POST", path, body, idempotencyKey: input.idempotencyKey });
      const parsed = parseOrThrow(checkoutConfigurationSchema, json, `POST ${path}`, status);
      const planId = parsed.plan?.id ?? parsed.plan_id;
      if (!planId) {
        throw new WhopApiError({
          kind: "bad_request",
          status,
          message: `Unexpected response from Whop for POST ${path} (fields: plan.id)`,
          whopMessage: "Unexpected response format",
        });
      }
      return { id: parsed.id, planId, purchaseUrl: absolutePurchaseUrl(parsed.purchase_url), raw: json };
    },

    async createProduct(input) {
      const path = "/api/v1/products";
      const body = { title: input.title, ...(input.accountId ? { account_id: input.accountId } : {}) };
      const { status, json } = await request({ method: "POST", path, body, idempotencyKey: input.idempotencyKey });
      return { id: parseOrThrow(productSchema, json, `POST ${path}`, status).id };
    },

    async createWebhook(input) {
      const path = "/api/v1/webhooks";
      const body = {
        url: input.url,
        api_version: input.apiVersion ?? "v1",
        enabled: true,
        events: input.events,
        resource_id: input.resourceId,
      };
      // No idempotency key: a retried POST could create a second webhook, so it is not retried.
      const { status, json } = await request({ method: "POST", path, body });
      const parsed = parseOrThrow(webhookSchema, json, `POST ${path}`, status);
      return { id: parsed.id, secret: parsed.webhook_secret };
    },

    async getPayment(id) {
      const path = `/api/v1/payments/${encodeURIComponent(id)}`;
      const { status, json } = await request({ method: "GET", path });
      return toPayment(parseOrThrow(paymentSchema, json, `GET ${path}`, status), json);
    },

    async listPayments(input) {
      const path = "/api/v1/payments";
      const { status, json } = await request({
        method: "GET",
        path,
        query: {
          company_id: input.companyId,
          created_after: input.createdAfter?.toISOString(),
          first: input.first,
          after: input.after,
        },
      });
      const page = parseOrThrow(paymentListSchema, json, `GET ${path}`, status);
      const data = page.data.map((item, index) =>
        toPayment(parseOrThrow(paymentSchema, item, `GET ${path} (data.${index})`, status), item),
      );
      return {
        data,
        pageInfo: {
          endCursor: page.page_info?.end_cursor ?? null,
          hasNextPage: page.page_info?.has_next_page ?? false,
        },
      };
    },

    async refundPayment(input) {
      const path = `/api/v1/payments/${encodeURIComponent(input.paymentId)}/refund`;
      const body = input.partialAmount === undefined ? {} : { partial_amount: input.partialAmount };
      const { status, json } = await request({ method: "POST", path, body, idempotencyKey: input.idempotencyKey });
      return toPayment(parseOrThrow(paymentSchema, json, `POST ${path}`, status), json);
    },

    async cancelMembership(input) {
      const path = `/api/v1/memberships/${encodeURIComponent(input.membershipId)}/cancel`;
      const body = { cancellation_mode: input.mode };
      const { status, json } = await request({ method: "POST", path, body, idempotencyKey: input.idempotencyKey });
      const parsed = parseOrThrow(membershipSchema, json, `POST ${path}`, status);
      return { id: parsed.id, status: parsed.status ?? null, cancelAtPeriodEnd: parsed.cancel_at_period_end ?? false, raw: json };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Helpers

export function absolutePurchaseUrl(purchaseUrl: string): string {
  return purchaseUrl.startsWith("/") ? WHOP_CHECKOUT_ORIGIN + purchaseUrl : purchaseUrl;
}

function toCompany(account: z.infer<typeof accountSchema>, via: "v1" | "v5"): WhopCompany {
  return {
    id: account.id,
    title: account.title ?? account.name ?? account.route ?? account.id,
    route: account.route ?? null,
    createdAt: toDate(account.created_at),
    via,
  };
}

function toPayment(p: z.infer<typeof paymentSchema>, raw: unknown): WhopPayment {
  const refId = (ref: z.infer<typeof idRef>): string | null =>
    typeof ref === "string" ? ref : (ref?.id ?? null);
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

/** ISO strings (v1) and unix seconds (v5) both occur. */
function toDate(value: string | number | null | undefined): Date | null {
  if (value === null || value === undefined || value === "") return null;
  const date = typeof value === "number" ? new Date(value * 1000) : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

function toNumber(value: string | number | null | undefined): number | null {
  if (value === null || value === undefined || value === "") return null;
  const n = typeof value === "number" ? value : Number(value);
  return Number.isFinite(n) ? n : null;
}

function parseJson(text: string): unknown {
  if (text.trim() === "") return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function describeNetworkError(cause: unknown): string {
  if (!(cause instanceof Error)) return "network error";
  // undici wraps the real reason: `fetch failed` → ECONNREFUSED, ENOTFOUND, "bad port"…
  const inner = cause.cause;
  if (inner instanceof Error) {
    const code = "code" in inner && typeof inner.code === "string" ? inner.code : undefined;
    return `${cause.message} (${code ?? inner.message})`;
  }
  return cause.message;
}

interface ParsedErrorBody {
  message?: string;
  code?: string;
}

/** v1 `{error:{type|code,message}}`, v5 `{message}`, v2 `{error:{status|code,message}}`, or not JSON at all. */
export function parseWhopErrorBody(text: string): ParsedErrorBody {
  const json = parseJson(text);
  if (typeof json === "string") {
    const trimmed = json.trim();
    // An HTML error page from a proxy says nothing useful to a merchant.
    if (trimmed === "" || trimmed.startsWith("<")) return {};
    return { message: trimmed };
  }
  if (!json || typeof json !== "object") return {};
  const body = json as Record<string, unknown>;
  const error = body.error;
  let message: string | undefined;
  let code: string | undefined;
  if (typeof error === "string") {
    message = error;
  } else if (error && typeof error === "object") {
    const e = error as Record<string, unknown>;
    if (typeof e.message === "string") message = e.message;
    const rawCode = e.type ?? e.code ?? e.status;
    if (typeof rawCode === "string" || typeof rawCode === "number") code = String(rawCode);
  }
  if (message === undefined && typeof body.message === "string") message = body.message;
  if (message === undefined && Array.isArray(body.errors)) {
    const first: unknown = body.errors[0];
    if (typeof first === "string") message = first;
    else if (first && typeof first === "object" && typeof (first as { message?: unknown }).message === "string") {
      message = (first as { message: string }).message;
    }
  }
  if (code === undefined && typeof body.code === "string") code = body.code;
  return { message, code };
}

const MISSING_PERMISSIONS = /missing .*permissions?/i;

/** "Actor is missing all required permissions: `company:basic:read`" → ["company:basic:read"]. */
export function extractPermissions(message: string): string[] {
  const found = new Set<string>();
  for (const match of message.matchAll(/`([^`]+)`/g)) {
    for (const part of (match[1] ?? "").split(/[\s,]+/)) {
      if (/^[a-z0-9_]+(?::[a-z0-9_]+)+$/i.test(part)) found.add(part);
    }
  }
  for (const match of message.matchAll(/\b[a-z0-9_]+(?::[a-z0-9_]+)+\b/gi)) found.add(match[0]);
  return [...found];
}

/** `Retry-After` in seconds or as an HTTP date, else "Try again in N seconds." in the body. */
function retryAfterSecondsOf(headers: Headers, message: string | undefined): number | undefined {
  const header = headers.get("retry-after");
  if (header) {
    const seconds = Number(header);
    if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
    const date = Date.parse(header);
    if (!Number.isNaN(date)) return Math.max(0, Math.ceil((date - Date.now()) / 1000));
  }
  const inBody = message?.match(/try again in (\d+(?:\.\d+)?) ?s(?:ec(?:ond)?s?)?\b/i);
  if (inBody?.[1]) return Math.ceil(Number(inBody[1]));
  return undefined;
}

function errorFromResponse(
  status: number,
  headers: Headers,
  text: string,
  label: string,
  redact: (text: string) => string,
): WhopApiError {
  const parsed = parseWhopErrorBody(text);
  const whopMessage =
    parsed.message === undefined ? undefined : redact(parsed.message).slice(0, MAX_WHOP_MESSAGE_LENGTH);
  const suffix = whopMessage ? `: ${whopMessage}` : "";
  const base = { status, whopMessage };

  if (status === 401) {
    return new WhopApiError({ ...base, kind: "unauthorized", message: `Whop rejected the API key (401) for ${label}${suffix}` });
  }
  if (status === 403) {
    return new WhopApiError({
      ...base,
      kind: "forbidden",
      missingPermissions: whopMessage ? extractPermissions(whopMessage) : [],
      message: `Whop refused ${label} (403)${suffix}`,
    });
  }
  if (status === 400 && whopMessage && MISSING_PERMISSIONS.test(whopMessage)) {
    return new WhopApiError({
      ...base,
      kind: "missing_permissions",
      missingPermissions: extractPermissions(whopMessage),
      message: `The API key lacks permissions for ${label}${suffix}`,
    });
  }
  if (status === 404) {
    return new WhopApiError({ ...base, kind: "not_found", message: `Whop answered 404 for ${label}${suffix}` });
  }
  if (status === 429) {
    const retryAfterSeconds = retryAfterSecondsOf(headers, parsed.message);
    return new WhopApiError({
      ...base,
      kind: "rate_limited",
      retryAfterSeconds,
      message: `Whop rate-limited ${label} (429)${retryAfterSeconds === undefined ? "" : `; retry after ${retryAfterSeconds} s`}`,
    });
  }
  if (status >= 500) {
    return new WhopApiError({ ...base, kind: "server_error", message: `Whop failed ${label} (${status})${suffix}` });
  }
  return new WhopApiError({ ...base, kind: "bad_request", message: `Whop refused ${label} (${status})${suffix}` });
}
