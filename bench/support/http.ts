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
 * A GET that never follows redirects, timed from the request being sent to the response being
 * read in full. node:http with a keep-alive agent keeps the client's own overhead small and steady.
 */
export function createTimedClient(baseUrl: string, { maxSockets, timeoutMs }: { maxSockets: number; timeoutMs: number }) {
  const base = new URL(baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets });

  function get(path: string, headers: Record<string, string>): Promise<TimedResponse> {
    return new Promise((resolve, reject) => {
      const startedAt = performance.now();
      const req = http.request({ host: base.hostname, port: base.port, method: "GET", path, headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", reject);
        res.on("end", () => {
          const endedAt = performance.now();
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8"), startedAt, endedAt, ms: endedAt - startedAt });
        });
      });
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`GET ${path} took longer than ${timeoutMs} ms`)));
      req.on("error", reject);
      req.end();
    });
  }

  return { get, close: () => agent.destroy() };
}

/** The value of cookie `name` among a response's Set-Cookie headers. */
export function cookieFrom(headers: http.IncomingHttpHeaders, name: string): string | null {
  for (const line of headers["set-cookie"] ?? []) {
    const [pair] = line.split(";");
    const eq = pair?.indexOf("=") ?? -1;
    if (pair && eq > 0 && pair.slice(0, eq).trim() === name) return pair.slice(eq + 1).trim();
  }
  return null;
}
