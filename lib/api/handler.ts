import type { z } from "zod";
import { clientIpFrom } from "@/lib/http/client-ip";
import { REQUEST_ID_HEADER, requestIdFrom } from "@/lib/http/request-id";
import type { UnknownLicense } from "@/lib/licenses/licenses";
import type { LicenseCaller, LicenseThrottled } from "@/lib/licenses/throttle";
import { logger } from "@/lib/logger";
import { credentialKind } from "./key-format";
import { tenantOfPublishableKey } from "./publishable-keys";
import type { ApiScope } from "./scopes";
import { authenticateApiToken, presentedTokenHash, usedToken, type AuthenticatedToken, type LiveTokenRow } from "./tokens";

/**
 * The merchant API's one wrapper for route handlers (`/api/v1/…`): resolves the bearer token to
 * its tenant, refuses a token without the route's scope (403), hands `{ request, token, params }` to the handler, answers every failure as
 * `{ "error": { "code", "message" } }` with a stable code, and logs one line per request —
 * never the token, the query or the body.
 */

export const API_ERROR_CODES = ["missing_token", "invalid_token", "insufficient_scope", "invalid_request", "not_found", "item_not_found", "unknown_license", "mistyped_license", "activation_not_found", "activation_limit_reached", "license_not_valid", "rate_limited", "service_unavailable"] as const;
export type ApiErrorCode = (typeof API_ERROR_CODES)[number];

/** `extra` rides beside `error` (the license an activation was refused for). */
export function apiError(status: number, code: ApiErrorCode, message: string, headers: Record<string, string> = {}, extra: Record<string, unknown> = {}): Response {
  return Response.json({ error: { code, message }, ...extra }, { status, headers: { "Cache-Control": "no-store", ...headers } });
}

const missingToken = () =>
  apiError(401, "missing_token", "Send your API token as `Authorization: Bearer whc_…` (create one under Dashboard → API).", { "WWW-Authenticate": "Bearer" });
const invalidToken = () => apiError(401, "invalid_token", "This API token is not valid: it may be mistyped or revoked.", { "WWW-Authenticate": 'Bearer error="invalid_token"' });
const unavailable = () => apiError(503, "service_unavailable", "Temporarily unable to answer. Retry in a few seconds.", { "Retry-After": "5" });

export function apiJson(body: unknown, status = 200): Response {
  return Response.json(body, { status, headers: { "Cache-Control": "no-store" } });
}

export interface ApiContext<P> {
  request: Request;
  token: AuthenticatedToken;
  params: P;
}

type RouteContext<P> = { params: Promise<P> };

/** What each wrapper's authentication step hands back: the answer, and the tenant it was for (for the log line). */
type Served = { response: Response; tenantId?: string };

/** One request of the merchant API: runs `work`, answers 503 when it throws, tags the request id and logs one line. */
async function serve(request: Request, operation: string, work: () => Promise<Served>): Promise<Response> {
  const started = performance.now();
  const requestId = requestIdFrom(request.headers);
  const log = logger.child({ requestId });
  let served: Served;
  try {
    served = await work();
  } catch (error) {
    log.error({ err: error, operation }, "merchant API request failed");
    served = { response: unavailable() };
  }
  const { response, tenantId } = served;
  response.headers.set(REQUEST_ID_HEADER, requestId);
  log.info({ operation, tenantId, status: response.status, durationMs: Math.round(performance.now() - started) }, "merchant API request");
  return response;
}

/** The request's secret token, live and holding `scope`; or the answer that refuses it (401 or 403). */
async function scopedToken(request: Request, scope: ApiScope): Promise<{ ok: true; token: AuthenticatedToken } | { ok: false; refusal: Served }> {
  const auth = await authenticateApiToken(request.headers.get("authorization"));
  if (!auth.ok) return { ok: false, refusal: { response: auth.reason === "missing" ? missingToken() : invalidToken() } };
  if (!auth.token.scopes.includes(scope)) return { ok: false, refusal: { response: insufficientScope(scope), tenantId: auth.token.tenantId } };
  return { ok: true, token: auth.token };
}

export function withApiToken<P = Record<string, never>>(operation: string, scope: ApiScope, handler: (context: ApiContext<P>) => Promise<Response>) {
  return (request: Request, route: RouteContext<P>): Promise<Response> =>
    serve(request, operation, async () => {
      const auth = await scopedToken(request, scope);
      if (!auth.ok) return auth.refusal;
      return { response: await handler({ request, token: auth.token, params: await route.params }), tenantId: auth.token.tenantId };
    });
}

/**
 * withApiToken for a route whose data comes with the token in one statement (the access check, the
 * API's busiest route): `lookup` gets the presented token's hash and answers null for an unknown or
 * revoked token, else the token's row with the route's data; scopes, errors and the log line are
 * withApiToken's. A request `parse` refuses still has its token checked first, as on every route.
 */
export function withApiTokenLookup<I, D>(
  operation: string,
  scope: ApiScope,
  steps: {
    parse: (request: Request) => { ok: true; input: I } | { ok: false; response: Response };
    lookup: (tokenHash: string, input: I) => Promise<{ token: LiveTokenRow; data: D } | null>;
    answer: (data: D, input: I) => Response;
  },
) {
  return (request: Request): Promise<Response> =>
    serve(request, operation, async () => {
      const presented = presentedTokenHash(request.headers.get("authorization"));
      if (!presented.ok) return { response: presented.reason === "missing" ? missingToken() : invalidToken() };
      const parsed = steps.parse(request);
      if (!parsed.ok) {
        const auth = await scopedToken(request, scope);
        return auth.ok ? { response: parsed.response, tenantId: auth.token.tenantId } : auth.refusal;
      }
      const found = await steps.lookup(presented.hash, parsed.input);
      if (!found) return { response: invalidToken() };
      const token = await usedToken(found.token);
      if (!token.scopes.includes(scope)) return { response: insufficientScope(scope), tenantId: token.tenantId };
      return { response: steps.answer(found.data, parsed.input), tenantId: token.tenantId };
    });
}

export interface LicenseContext {
  request: Request;
  caller: LicenseCaller;
}

/**
 * The license routes' wrapper: the tenant's publishable key (`whp_…`, safe inside an app) or a
 * secret token with the `licenses:write` scope. The caller it hands on carries the credential and
 * the client's IP, which the license throttles count by (never the account).
 */
export function withLicenseCredential(operation: string, handler: (context: LicenseContext) => Promise<Response>) {
  return (request: Request): Promise<Response> =>
    serve(request, operation, async () => {
      const presented = bearerOf(request.headers.get("authorization"));
      const ip = clientIpFrom(request.headers);
      if (presented === null) return { response: missingToken() };
      if (credentialKind(presented) === "publishable") {
        const tenantId = await tenantOfPublishableKey(presented);
        if (tenantId === null) {
          return { response: apiError(401, "invalid_token", "This publishable key is not valid: it may be mistyped or rotated (see Dashboard → API).", { "WWW-Authenticate": 'Bearer error="invalid_token"' }) };
        }
        return { response: await handler({ request, caller: { tenantId, credential: { kind: "publishable", id: tenantId }, ip } }), tenantId };
      }
      const auth = await scopedToken(request, "licenses:write");
      if (!auth.ok) return auth.refusal;
      const tenantId = auth.token.tenantId;
      return { response: await handler({ request, caller: { tenantId, credential: { kind: "secret", id: auth.token.tokenId }, ip } }), tenantId };
    });
}

function bearerOf(authorization: string | null): string | null {
  if (!authorization?.trim()) return null;
  return authorization.match(/^\s*Bearer\s+(\S+)\s*$/i)?.[1] ?? "";
}

/** A JSON body parsed by `schema`, or the 400 to answer. */
export async function parseJsonBody<S extends z.ZodType>(request: Request, schema: S, shape: string): Promise<{ ok: true; data: z.output<S> } | { ok: false; response: Response }> {
  let body: unknown;
  try {
    body = await request.json();
  } catch {
    return { ok: false, response: apiError(400, "invalid_request", `The body must be JSON: ${shape}.`) };
  }
  const parsed = schema.safeParse(body);
  return parsed.success ? { ok: true, data: parsed.data } : { ok: false, response: apiError(400, "invalid_request", describeIssues(parsed.error.issues)) };
}

/** A license question answered without a license: throttled (429) or an unknown or mistyped key (404). */
export function licenseAnswer(answer: LicenseThrottled | UnknownLicense): Response {
  if ("throttled" in answer) {
    const what = { client: "Too many unknown license keys from this client", license_key: "Too many requests for this license key", api_key: "Too many license requests with this API key" }[answer.limit];
    return apiError(429, "rate_limited", `${what}. Try again in ${answer.retryAfterSeconds} seconds.`, { "Retry-After": String(answer.retryAfterSeconds) });
  }
  return answer.reason === "mistyped_license"
    ? apiError(404, "mistyped_license", "This license key has a typo: check it against the key you were given.")
    : apiError(404, "unknown_license", "No license of this account has that key.");
}

export function insufficientScope(scope: ApiScope): Response {
  return apiError(403, "insufficient_scope", `This token lacks the \`${scope}\` scope. Create a token with it under Dashboard → API.`, {
    "WWW-Authenticate": `Bearer error="insufficient_scope", scope="${scope}"`,
  });
}

/** zod issues as one readable line: `email: Enter an email address; item: Required`. */
export function describeIssues(issues: readonly { path: PropertyKey[]; message: string }[]): string {
  return issues.map((issue) => (issue.path.length > 0 ? `${issue.path.map(String).join(".")}: ${issue.message}` : issue.message)).join("; ");
}
