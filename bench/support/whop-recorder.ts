import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";

/** One Whop API call as the sandbox side saw it. Times are `performance.now()` of the bench process. */
export interface WhopCall {
  method: string;
  path: string;
  status: number;
  idempotencyKey: string | null;
  /** `metadata.order_id` of the request body, when there is one. */
  orderId: string | null;
  /** `purchase_url` of the response body, when there is one. */
  purchaseUrl: string | null;
  startedAt: number;
  endedAt: number;
  durationMs: number;
}

const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "content-length", "host", "proxy-connection", "upgrade"]);

/**
 * A pass-through HTTP proxy in front of the sandbox. The app's WHOP_API_ORIGIN points here, so the
 * bench sees every call the app makes to Whop: which one (Idempotency-Key, metadata.order_id,
 * purchase_url) and how long it took from the moment its headers arrived to the moment the
 * answer was written back. That duration is the "Whop time" subtracted from a request's latency.
 */
export class WhopRecorder {
  readonly calls: WhopCall[] = [];
  /** Where the app's WHOP_API_ORIGIN points. */
  url = "";
  private server: http.Server | undefined;
  private readonly upstreamAgent = new http.Agent({ keepAlive: true, maxSockets: 64 });

  private constructor(private readonly upstream: URL) {}

  static async start(upstreamUrl: string): Promise<WhopRecorder> {
    const recorder = new WhopRecorder(new URL(upstreamUrl));
    const server = http.createServer((req, res) => {
      recorder.forward(req, res).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(502, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { message: `bench recorder: ${(error as Error).message}` } }));
      });
    });
    server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    recorder.server = server;
    recorder.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return recorder;
  }

  /** The calls recorded since `mark` (an earlier `calls.length`). */
  since(mark: number): WhopCall[] {
    return this.calls.slice(mark);
  }

  async close(): Promise<void> {
    this.upstreamAgent.destroy();
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private async forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const startedAt = performance.now();
    const requestBody = await readBody(req);
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
    }
    headers["content-length"] = String(requestBody.length);

    const answer = await new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
      const upstreamReq = http.request(
        { host: this.upstream.hostname, port: this.upstream.port, method: req.method, path: req.url, headers, agent: this.upstreamAgent },
        (upstreamRes) => {
          readBody(upstreamRes).then((body) => resolve({ status: upstreamRes.statusCode ?? 502, headers: upstreamRes.headers, body }), reject);
        },
      );
      upstreamReq.on("error", reject);
      upstreamReq.end(requestBody);
    });

    const responseHeaders: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(answer.headers)) {
      if (value !== undefined && !HOP_BY_HOP.has(name)) responseHeaders[name] = value;
    }
    responseHeaders["content-length"] = String(answer.body.length);
    res.writeHead(answer.status, responseHeaders);
    await new Promise<void>((resolve) => res.end(answer.body, () => resolve()));
    const endedAt = performance.now();

    const idempotencyKey = req.headers["idempotency-key"];
    this.calls.push({
      method: req.method ?? "GET",
      path: (req.url ?? "/").split("?")[0]!,
      status: answer.status,
      idempotencyKey: typeof idempotencyKey === "string" ? idempotencyKey : null,
      orderId: stringAt(parseJson(requestBody), ["metadata", "order_id"]),
      purchaseUrl: stringAt(parseJson(answer.body), ["purchase_url"]),
      startedAt,
      endedAt,
      durationMs: endedAt - startedAt,
    });
  }
}

function readBody(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("end", () => resolve(Buffer.concat(chunks)));
    stream.on("error", reject);
  });
}

function parseJson(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    return undefined;
  }
}

function stringAt(value: unknown, path: string[]): string | null {
  let current = value;
  for (const key of path) {
    if (!current || typeof current !== "object") return null;
    current = (current as Record<string, unknown>)[key];
  }
  return typeof current === "string" ? current : null;
}
