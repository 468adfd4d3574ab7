import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import { bareHostname, RefusedAddressError, resolveChecked, type GuardOptions } from "./ssrf";

/*
 * One POST of a delivery: to the address the SSRF guard checked (the socket's lookup answers that
 * address, never a second DNS answer), a fresh connection each time, redirects not followed, the
 * whole exchange bounded by a timeout, the response read to at most 64 KiB.
 */

export const DELIVERY_TIMEOUT_MS = 10_000;
export const MAX_RESPONSE_BYTES = 64 * 1024;
export const STORED_RESPONSE_BYTES = 1024;

export interface PostOutcome {
  /** The response's status; null when none came. */
  status: number | null;
  /** Why there is no usable response (timeout, refused address, connection error), or a note on the status. */
  error: string | null;
  /** The first 1 KiB of the body, as text. */
  body: string | null;
  durationMs: number;
}

export interface PostOptions extends GuardOptions {
  timeoutMs?: number;
}

function storedText(bytes: Buffer): string | null {
  if (bytes.length === 0) return null;
  // Postgres text cannot hold NUL; a cut multi-byte character becomes U+FFFD.
  return bytes.subarray(0, STORED_RESPONSE_BYTES).toString("utf8").replace(/\u0000/g, "");
}

export async function postJson(rawUrl: string, body: string, headers: Record<string, string>, options: PostOptions): Promise<PostOutcome> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const timeoutMs = options.timeoutMs ?? DELIVERY_TIMEOUT_MS;
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    return { status: null, error: "the URL is not valid", body: null, durationMs: 0 };
  }
  if (url.protocol !== "https:" && !(options.allowPrivate && url.protocol === "http:")) {
    return { status: null, error: "refused: the URL is not https", body: null, durationMs: 0 };
  }
  const host = bareHostname(url);
  const deadline = AbortSignal.timeout(timeoutMs);
  let target: { address: string; family: 4 | 6 };
  try {
    target = await Promise.race([
      resolveChecked(host, options),
      new Promise<never>((_, reject) => deadline.addEventListener("abort", () => reject(new Error("timeout")), { once: true })),
    ]);
  } catch (error) {
    if (error instanceof RefusedAddressError) return { status: null, error: `refused: ${error.message}`, body: null, durationMs: elapsed() };
    if ((error as Error).message === "timeout") return { status: null, error: `timed out after ${timeoutMs} ms (resolving ${host})`, body: null, durationMs: elapsed() };
    return { status: null, error: `${host} could not be resolved (${(error as NodeJS.ErrnoException).code ?? "DNS error"})`, body: null, durationMs: elapsed() };
  }

  const lookup: LookupFunction = (_hostname, lookupOptions, callback) => {
    if ((lookupOptions as { all?: boolean }).all) (callback as (error: null, addresses: { address: string; family: number }[]) => void)(null, [target]);
    else callback(null, target.address, target.family);
  };
  const client = url.protocol === "https:" ? https : http;
  return new Promise<PostOutcome>((resolve) => {
    let settled = false;
    const finish = (outcome: Omit<PostOutcome, "durationMs">) => {
      if (settled) return;
      settled = true;
      deadline.removeEventListener("abort", onTimeout);
      resolve({ ...outcome, durationMs: elapsed() });
    };
    const request = client.request(
      {
        protocol: url.protocol,
        hostname: host,
        port: url.port || undefined,
        path: `${url.pathname}${url.search}`,
        method: "POST",
        agent: false,
        lookup,
        headers: {
          ...headers,
          "content-type": "application/json",
          "content-length": String(Buffer.byteLength(body)),
          "user-agent": "WhopConnector-Webhooks/1.0",
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        let received = 0;
        const status = response.statusCode ?? null;
        const note = status !== null && status >= 300 && status < 400 ? `redirect to ${response.headers.location ?? "(no location)"} not followed` : null;
        const done = () => finish({ status, error: note, body: storedText(Buffer.concat(chunks)) });
        response.on("data", (chunk: Buffer) => {
          received += chunk.length;
          if (received <= MAX_RESPONSE_BYTES) chunks.push(chunk);
          else {
            chunks.push(chunk.subarray(0, Math.max(0, chunk.length - (received - MAX_RESPONSE_BYTES))));
            done();
            response.destroy();
          }
        });
        response.on("end", done);
        response.on("error", () => done());
        response.on("close", done);
      },
    );
    function onTimeout() {
      finish({ status: null, error: `timed out after ${timeoutMs} ms`, body: null });
      request.destroy();
    }
    deadline.addEventListener("abort", onTimeout, { once: true });
    request.on("error", (error: NodeJS.ErrnoException) => finish({ status: null, error: `connection failed: ${error.code ?? error.message}`, body: null }));
    request.end(body);
  });
}
