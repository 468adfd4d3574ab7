import type { WhopEnvironment } from "./environment";

/**
 * The one error type of the Whop boundary, and how a Whop answer becomes one. Merchant-facing
 * wording lives in `./messages.ts`, not here.
 */

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
  environment?: WhopEnvironment;
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
  /** The world the failed call went to, when the client was told (a tenant's client always is). */
  readonly environment?: WhopEnvironment;

  constructor(init: WhopApiErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = "WhopApiError";
    this.kind = init.kind;
    if (init.status !== undefined) this.status = init.status;
    if (init.whopMessage !== undefined) this.whopMessage = init.whopMessage;
    this.missingPermissions = init.missingPermissions ?? [];
    if (init.retryAfterSeconds !== undefined) this.retryAfterSeconds = init.retryAfterSeconds;
    this.notCompanyKey = init.notCompanyKey ?? false;
    if (init.environment !== undefined) this.environment = init.environment;
  }
}

export function isWhopApiError(err: unknown): err is WhopApiError {
  return err instanceof WhopApiError;
}

/** Where a failure happened: the request (`POST /api/v1/…`) and the world it went to. */
export interface WhopCallContext {
  label: string;
  environment?: WhopEnvironment;
}

/** A 2xx whose body is not the shape we read: named by its fields, never by its values. */
export function unexpectedResponse({ label, environment }: WhopCallContext, status: number, fields: string): WhopApiError {
  return new WhopApiError({
    kind: "bad_request",
    status,
    environment,
    message: `Unexpected response from Whop for ${label} (fields: ${fields})`,
    whopMessage: "Unexpected response format",
  });
}

/** The body as JSON when it is JSON, else the text itself (`null` for an empty body). */
export function parseJsonOrText(text: string): unknown {
  if (text.trim() === "") return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

interface ParsedErrorBody {
  message?: string;
  code?: string;
}

/** v1 `{error:{type|code,message}}`, v5 `{message}`, v2 `{error:{status|code,message}}`, or not JSON at all. */
export function parseWhopErrorBody(text: string): ParsedErrorBody {
  const json = parseJsonOrText(text);
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

/** A non-2xx answer as a `WhopApiError`; `redact` scrubs the key out of whatever Whop echoed. */
export function errorFromResponse(
  { status, headers, text }: { status: number; headers: Headers; text: string },
  { label, environment }: WhopCallContext,
  redact: (text: string) => string,
): WhopApiError {
  const parsed = parseWhopErrorBody(text);
  const whopMessage =
    parsed.message === undefined ? undefined : redact(parsed.message).slice(0, MAX_WHOP_MESSAGE_LENGTH);
  const suffix = whopMessage ? `: ${whopMessage}` : "";
  const base = { status, whopMessage, environment };

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
