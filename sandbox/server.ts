// The local Whop sandbox: an in-memory emulator of the Whop API, hosted checkout and webhooks.
// A development tool only; the production app never imports it.
import { createHash } from "node:crypto";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { API_ROUTES, isDatedShape, matchRoute, type ApiRoute } from "./api-routes";
import { handleCheckoutRequest } from "./checkout-routes";
import { CONTROL_ROUTES, type ControlContext, type FaultPlan } from "./control";
import { ApiError, bearerToken, errorBody, notFound, parseJsonObject, readRawBody, sendJson, type ErrorDialect } from "./http";
import { SandboxState, DEMO_SEED, type SandboxSeed } from "./state";
import { ScaledTimers } from "./timers";
import { WebhookDispatcher } from "./webhooks";

export type { SandboxSeed } from "./state";
export { DEMO_SEED } from "./state";

export interface SandboxOptions {
  /** 0 = random free port. Default 0. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Base for `purchase_url`; default http://host:port. */
  publicUrl?: string;
  /**
   * Multiplies webhook retry delays (10 s, 20 s, 40 s), the delivery timeout and the refund
   * settle delay (5 s); default 1.
   */
  timeScale?: number;
  /** Requests per 60 s window per operation and credential; default 600. */
  rateLimitPerMinute?: number;
  log?: (line: string) => void;
}

export interface WhopSandbox {
  url: string;
  seed: SandboxSeed;
  close(): Promise<void>;
}

const RATE_LIMIT_WINDOW_MS = 60_000;

/** Fixed 60 s windows per (operation, credential), like Whop's per-operation limit. */
class RateLimiter {
  private windows = new Map<string, { startedAt: number; count: number }>();

  constructor(private readonly limit: number) {}

  /** Seconds to wait when over the limit, else null (and the request is counted). */
  take(operation: string, credential: string): number | null {
    const key = `${operation}\u0000${credential}`;
    const now = Date.now();
    let window = this.windows.get(key);
    if (!window || now - window.startedAt >= RATE_LIMIT_WINDOW_MS) {
      window = { startedAt: now, count: 0 };
      this.windows.set(key, window);
    }
    if (window.count >= this.limit) return Math.max(1, Math.ceil((window.startedAt + RATE_LIMIT_WINDOW_MS - now) / 1000));
    window.count++;
    return null;
  }

  reset(): void {
    this.windows.clear();
  }
}

function rateLimited(seconds: number): ApiError {
  return new ApiError(429, "rate_limited", `Try again in ${seconds} seconds.`, { "retry-after": String(seconds) });
}

/** Same key + same request replays the first answer; same key + another request is refused. */
function requestFingerprint(method: string, pathname: string, body: Record<string, unknown>, dated: boolean): string {
  return createHash("sha256").update(JSON.stringify([method, pathname, dated, canonicalJson(body)])).digest("hex");
}

function canonicalJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonicalJson);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value as Record<string, unknown>)
        .sort()
        .map((k) => [k, canonicalJson((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export async function startWhopSandbox(opts: SandboxOptions = {}): Promise<WhopSandbox> {
  const host = opts.host ?? "127.0.0.1";
  const timeScale = opts.timeScale ?? 1;
  const log = opts.log ?? (() => {});
  const state = new SandboxState();
  const dispatcher = new WebhookDispatcher(state, { timeScale, log });
  const timers = new ScaledTimers(timeScale);
  const rateLimiter = new RateLimiter(opts.rateLimitPerMinute ?? 600);
  const faults: { current: FaultPlan | null } = { current: null };
  let publicUrl = opts.publicUrl ?? "";

  const context = (): ControlContext => ({
    state,
    dispatcher,
    timers,
    publicUrl,
    faults,
    resetAll() {
      dispatcher.cancelPending();
      timers.cancelPending();
      state.reset();
      rateLimiter.reset();
      faults.current = null;
    },
  });

  /** Consumes one pending fault; true when the request was answered (or left hanging) by it. */
  function applyFault(res: ServerResponse, dialect: ErrorDialect): boolean {
    const fault = faults.current;
    if (!fault) return false;
    fault.remaining--;
    if (fault.remaining <= 0) faults.current = null;
    if (fault.mode === "hang") return true; // never answered; close() drops the connection
    const error =
      fault.mode === "429" ? rateLimited(30) : new ApiError(500, "internal_server_error", "Internal server error (injected by the sandbox)");
    sendJson(res, error.status, errorBody(error, dialect), error.headers);
    return true;
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const method = req.method ?? "GET";
    const dialect: ErrorDialect = url.pathname.startsWith("/api/v5/") ? "v5" : "v1";
    if (applyFault(res, dialect)) return;
    const match = matchRoute(API_ROUTES, method, url.pathname);
    if (!match.route) {
      const error = match.methodNotAllowed
        ? new ApiError(405, "method_not_allowed", `${method} is not allowed on ${url.pathname}`)
        : notFound(`No route matches ${method} ${url.pathname}`);
      sendJson(res, error.status, errorBody(error, dialect));
      return;
    }
    const route: ApiRoute = match.route;
    try {
      const token = bearerToken(req);
      const waitSeconds = rateLimiter.take(`${route.method} ${route.template}`, token ?? "anonymous");
      if (waitSeconds !== null) throw rateLimited(waitSeconds);
      const body = method === "POST" || method === "PATCH" ? parseJsonObject(await readRawBody(req)) : {};
      const dated = isDatedShape(firstHeader(req.headers["api-version-date"]));
      // Elsewhere the header is ignored, as Whop declares it on no other operation.
      const idempotencyKey = route.idempotent ? firstHeader(req.headers["idempotency-key"]) : undefined;
      const storeKey = idempotencyKey ? `${token ?? ""}\u0000${idempotencyKey}` : null;
      const fingerprint = storeKey ? requestFingerprint(method, url.pathname, body, dated) : "";
      const previous = storeKey ? state.idempotency.get(storeKey) : undefined;
      if (previous) {
        if (previous.fingerprint !== fingerprint) {
          throw new ApiError(400, "idempotency_key_reused", "Idempotency-Key was already used with a different request body");
        }
        sendJson(res, previous.status, previous.body, { "idempotent-replayed": "true" });
        return;
      }
      const result = route.handle({ params: match.params, query: url.searchParams, body, token, dated }, context());
      if (storeKey && result.status < 300) state.idempotency.set(storeKey, { fingerprint, ...result });
      sendJson(res, result.status, result.body);
    } catch (error) {
      sendError(res, error, route.dialect);
    }
  }

  async function handleControl(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const match = matchRoute(CONTROL_ROUTES, req.method ?? "GET", url.pathname);
    if (!match.route) {
      sendJson(res, 404, errorBody(notFound(`No sandbox control route ${req.method} ${url.pathname}`), "v1"));
      return;
    }
    try {
      const body = req.method === "POST" ? parseJsonObject(await readRawBody(req)) : {};
      const result = match.route.handle({ params: match.params, query: url.searchParams, body }, context());
      sendJson(res, result.status, result.body);
    } catch (error) {
      sendError(res, error, "v1");
    }
  }

  function sendError(res: ServerResponse, error: unknown, dialect: ErrorDialect): void {
    if (error instanceof ApiError) {
      sendJson(res, error.status, errorBody(error, dialect), error.headers);
      return;
    }
    log(`sandbox error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    const internal = new ApiError(500, "internal_server_error", "Internal server error");
    if (!res.headersSent) sendJson(res, 500, errorBody(internal, dialect));
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://sandbox.local");
    log(`${req.method} ${url.pathname}${url.search}`);
    if (url.pathname.startsWith("/api/")) return handleApi(req, res, url);
    if (url.pathname.startsWith("/_sandbox/")) return handleControl(req, res, url);
    try {
      if (await handleCheckoutRequest(req, res, url, context())) return;
    } catch (error) {
      sendError(res, error, "v1");
      return;
    }
    sendJson(res, 404, errorBody(notFound(`No route matches ${req.method} ${url.pathname}`), "v1"));
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => sendError(res, error, "v1"));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  publicUrl = (opts.publicUrl ?? url).replace(/\/+$/, "");

  return {
    url,
    seed: { ...DEMO_SEED },
    close: () =>
      new Promise<void>((resolve) => {
        dispatcher.close();
        timers.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
