import http from "node:http";
import { performance } from "node:perf_hooks";

export interface TimedResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  startedAt: number;
  endedAt: number;
  ms: number;
}

/**
 * Requests that never follow redirects, timed from the request being sent to the response being
 * read in full. node:http with a keep-alive agent keeps the client's own overhead small and steady.
 * For one request at a time (bench/dashboard follows each page's link to the next); load goes
 * through autocannon (load.ts).
 */
export function createTimedClient(baseUrl: string, { maxSockets, timeoutMs }: { maxSockets: number; timeoutMs: number }) {
  const base = new URL(baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets });

  function send(method: "GET" | "POST", path: string, headers: Record<string, string>, body?: string): Promise<TimedResponse> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : Buffer.from(body, "utf8");
      const allHeaders = payload ? { ...headers, "content-length": String(payload.byteLength) } : headers;
      const startedAt = performance.now();
      const req = http.request({ host: base.hostname, port: base.port, method, path, headers: allHeaders, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", reject);
        res.on("end", () => {
          const endedAt = performance.now();
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8"), startedAt, endedAt, ms: endedAt - startedAt });
        });
      });
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${path} took longer than ${timeoutMs} ms`)));
      req.on("error", reject);
      req.end(payload);
    });
  }

  return {
    get: (path: string, headers: Record<string, string>) => send("GET", path, headers),
    post: (path: string, headers: Record<string, string>, body: string) => send("POST", path, headers, body),
    close: () => agent.destroy(),
  };
}
