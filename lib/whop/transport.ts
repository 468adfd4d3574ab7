import http, { type IncomingHttpHeaders } from "node:http";
import https from "node:https";
import type { WhopEnvironment } from "./environment";
import { errorFromResponse, parseJsonOrText, WhopApiError, type WhopErrorKind } from "./errors";

/**
 * How a request reaches Whop: the key and version headers, a timeout per attempt, retries of what
 * is safe to repeat, and the key scrubbed out of anything that comes back. Knows nothing about
 * endpoints; `./client.ts` does.
 */

export const WHOP_API_VERSION_DATE = "2026-07-20";

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_RETRIES = 2;
const BACKOFF_BASE_MS = 300;
/** A rate-limit wait longer than this is not worth holding a merchant's or buyer's request for. */
const MAX_RETRY_AFTER_SECONDS = 5;
const TRANSIENT: readonly WhopErrorKind[] = ["rate_limited", "server_error", "timeout", "unreachable"];

export interface WhopTransportOptions {
  apiKey: string;
  /** e.g. `https://api.whop.com`, no trailing path. */
  origin: string;
  /** Per attempt. */
  timeoutMs?: number;
  maxRetries?: number;
  /** Injectable so tests do not wait for backoff. */
  sleep?: (ms: number) => Promise<void>;
  /** Which world `origin` is; stamped on every error so messages can name it. */
  environment?: WhopEnvironment;
}

export interface WhopRequest {
  method: "GET" | "POST" | "PATCH";
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  idempotencyKey?: string;
  /** Sent at most once, whatever fails: for a POST Whop cannot recognise as a repeat (a refund). */
  once?: boolean;
}

export interface WhopResponse {
  status: number;
  json: unknown;
}

export interface WhopTransport {
  environment?: WhopEnvironment;
  request(spec: WhopRequest): Promise<WhopResponse>;
}

/**
 * Whether a failed attempt may be sent again. A GET reads; a PATCH sets fields to the values it
 * carries, so a second one leaves the same result; a POST is only safe to repeat when Whop can
 * recognise the repeat by its Idempotency-Key. `once` overrides all of them.
 */
export function mayRetry(spec: Pick<WhopRequest, "method" | "idempotencyKey" | "once">): boolean {
  if (spec.once) return false;
  return spec.method === "GET" || spec.method === "PATCH" || spec.idempotencyKey !== undefined;
}

export function createWhopTransport(opts: WhopTransportOptions): WhopTransport {
  const origin = opts.origin.replace(/\/+$/, "");
  const apiKey = opts.apiKey;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxRetries = Math.max(0, opts.maxRetries ?? DEFAULT_MAX_RETRIES);
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const environment = opts.environment;

  /** Whop could echo what it was sent; make sure the key never survives into an error. */
  const redact = (text: string): string => (apiKey.length >= 4 ? text.split(apiKey).join("[redacted]") : text);

  async function attempt(spec: WhopRequest, url: URL): Promise<Exchanged> {
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
      // Reading the body is part of the attempt: a response that stalls mid-body also times out.
      return await exchange(url, { method: spec.method, headers, body: spec.body === undefined ? undefined : JSON.stringify(spec.body), signal: controller.signal });
    } catch (cause) {
      const label = `${spec.method} ${spec.path}`;
      if (controller.signal.aborted) {
        throw new WhopApiError({ kind: "timeout", environment, message: `Whop did not answer ${label} within ${timeoutMs} ms` });
      }
      throw new WhopApiError({
        kind: "unreachable",
        environment,
        message: `Could not reach Whop for ${label}: ${redact(describeNetworkError(cause))}`,
      });
    } finally {
      clearTimeout(timer);
    }
  }

  async function request(spec: WhopRequest): Promise<WhopResponse> {
    const url = new URL(origin + spec.path);
    for (const [name, value] of Object.entries(spec.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    const retryable = mayRetry(spec);
    const label = `${spec.method} ${spec.path}`;

    for (let attemptNo = 0; ; attemptNo++) {
      const canRetry = retryable && attemptNo < maxRetries;
      let failure: WhopApiError;
      try {
        const res = await attempt(spec, url);
        if (res.status >= 200 && res.status < 300) {
          return { status: res.status, json: parseJsonOrText(res.text) };
        }
        failure = errorFromResponse(res, { label, environment }, redact);
      } catch (err) {
        if (!(err instanceof WhopApiError)) throw err;
        failure = err;
      }

      if (!TRANSIENT.includes(failure.kind)) throw failure;
      if (failure.kind === "rate_limited" && (failure.retryAfterSeconds ?? 0) > MAX_RETRY_AFTER_SECONDS) throw failure;
      if (!canRetry) throw failure;

      const backoff = BACKOFF_BASE_MS * 3 ** attemptNo * (0.8 + Math.random() * 0.4);
      const waitMs = Math.max(backoff, (failure.retryAfterSeconds ?? 0) * 1000);
      await sleep(Math.round(waitMs));
    }
  }

  return environment === undefined ? { request } : { environment, request };
}

interface Exchanged {
  status: number;
  headers: Headers;
  text: string;
}

/** Keep-alive connections to Whop, shared by every tenant's client: no TCP or TLS handshake per call. */
const AGENTS = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };

/**
 * One request and its whole answer, on node:http(s) rather than the global `fetch`: measured on
 * the development machine, a JSON POST and its answer cost ~90 µs of CPU this way against ~400 µs
 * through undici's fetch (whose Request, Response and web streams a buyer's click pays for once per
 * Whop call). Settles once: with the answer's end, or with the error or abort that cut it short.
 */
function exchange(url: URL, init: { method: string; headers: Record<string, string>; body?: string; signal: AbortSignal }): Promise<Exchanged> {
  return new Promise((resolve, reject) => {
    const [client, agent] = url.protocol === "https:" ? [https, AGENTS.https] : [http, AGENTS.http];
    const headers = init.body === undefined ? init.headers : { ...init.headers, "Content-Length": String(Buffer.byteLength(init.body)) };
    const request = client.request(url, { method: init.method, headers, agent, signal: init.signal }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: webHeaders(response.headers), text: Buffer.concat(chunks).toString("utf8") }));
      response.on("error", reject);
      // Closed before its end without an error of its own (the socket went away): not an answer.
      response.on("close", () => {
        if (!response.complete) reject(new Error("the connection closed before the answer ended"));
      });
    });
    request.on("error", reject);
    request.end(init.body);
  });
}

function webHeaders(incoming: IncomingHttpHeaders): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(incoming)) {
    if (Array.isArray(value)) for (const one of value) headers.append(name, one);
    else if (value !== undefined) headers.set(name, value);
  }
  return headers;
}

function describeNetworkError(cause: unknown): string {
  if (!(cause instanceof Error)) return "network error";
  // A socket error names its reason in `code` (ECONNREFUSED, ENOTFOUND, ECONNRESET…).
  const code = "code" in cause && typeof cause.code === "string" ? cause.code : undefined;
  return code && !cause.message.includes(code) ? `${cause.message} (${code})` : cause.message;
}
