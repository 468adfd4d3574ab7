import { REQUEST_ID_HEADER, requestIdFrom } from "@/lib/http/request-id";
import { logger } from "@/lib/logger";
import type { ApiScope } from "./scopes";
import { authenticateApiToken, type AuthenticatedToken } from "./tokens";

/**
 * The merchant API's one wrapper for route handlers (`/api/v1/…`): resolves the bearer token to
 * its tenant, refuses a token without the route's scope (403), hands `{ request, token, params }` to the handler, answers every failure as
 * `{ "error": { "code", "message" } }` with a stable code, and logs one line per request —
 * never the token, the query or the body.
 */

export const API_ERROR_CODES = ["missing_token", "invalid_token", "insufficient_scope", "invalid_request", "not_found", "item_not_found", "rate_limited", "service_unavailable"] as const;
export type ApiErrorCode = (typeof API_ERROR_CODES)[number];

export function apiError(status: number, code: ApiErrorCode, message: string, headers: Record<string, string> = {}): Response {
  return Response.json({ error: { code, message } }, { status, headers: { "Cache-Control": "no-store", ...headers } });
}

export function apiJson(body: unknown, status = 200): Response {
  return Response.json(body, { status, headers: { "Cache-Control": "no-store" } });
}

export interface ApiContext<P> {
  request: Request;
  token: AuthenticatedToken;
  params: P;
}

type RouteContext<P> = { params: Promise<P> };

export function withApiToken<P = Record<string, never>>(operation: string, scope: ApiScope, handler: (context: ApiContext<P>) => Promise<Response>) {
  return async (request: Request, route: RouteContext<P>): Promise<Response> => {
    const started = performance.now();
    const requestId = requestIdFrom(request.headers);
    const log = logger.child({ requestId });
    let response: Response;
    let tenantId: string | undefined;
    try {
      const auth = await authenticateApiToken(request.headers.get("authorization"));
      if (!auth.ok) {
        response =
          auth.reason === "missing"
            ? apiError(401, "missing_token", "Send your API token as `Authorization: Bearer whc_…` (create one under Dashboard → API).", { "WWW-Authenticate": "Bearer" })
            : apiError(401, "invalid_token", "This API token is not valid: it may be mistyped or revoked.", { "WWW-Authenticate": 'Bearer error="invalid_token"' });
      } else if (!auth.token.scopes.includes(scope)) {
        tenantId = auth.token.tenantId;
        response = insufficientScope(scope);
      } else {
        tenantId = auth.token.tenantId;
        response = await handler({ request, token: auth.token, params: await route.params });
      }
    } catch (error) {
      log.error({ err: error, operation }, "merchant API request failed");
      response = apiError(503, "service_unavailable", "Temporarily unable to answer. Retry in a few seconds.", { "Retry-After": "5" });
    }
    response.headers.set(REQUEST_ID_HEADER, requestId);
    log.info({ operation, tenantId, status: response.status, durationMs: Math.round(performance.now() - started) }, "merchant API request");
    return response;
  };
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
