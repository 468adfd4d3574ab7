import { z } from "zod";
import { REQUEST_ID_HEADER, requestIdFrom } from "@/lib/http/request-id";
import { logger, type Logger } from "@/lib/logger";
import { ingestWhopWebhook, MAX_WEBHOOK_BYTES } from "@/lib/webhooks/ingest";

export const dynamic = "force-dynamic";

const publicIdSchema = z.string().regex(/^wh_[A-Za-z0-9]{22}$/);

/** Reads the raw body up to the limit; null when it is larger. */
async function readRawBody(request: Request): Promise<string | null> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_WEBHOOK_BYTES) return null;
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_WEBHOOK_BYTES) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * One log line per delivery: tenant public id, event type, result, status, duration — never the
 * body or the signature. proxy.ts skips this route (it would buffer the body), so the request id
 * is set here.
 */
export async function POST(request: Request, { params }: { params: Promise<{ tenantId: string }> }) {
  const started = performance.now();
  const requestId = requestIdFrom(request.headers);
  const log = logger.child({ requestId });
  const tenant = (await params).tenantId;
  const { response, eventType, result } = await receive(request, tenant, log);
  response.headers.set(REQUEST_ID_HEADER, requestId);
  log.info({ tenant: tenant.slice(0, 64), eventType, result, status: response.status, durationMs: Math.round(performance.now() - started) }, "webhook delivery");
  return response;
}

async function receive(request: Request, tenant: string, log: Logger): Promise<{ response: Response; eventType?: string; result: "applied" | "ignored" | "duplicate" | "rejected" | "failed" }> {
  const rawBody = await readRawBody(request);
  if (rawBody === null) return { result: "rejected", response: Response.json({ error: `body larger than ${MAX_WEBHOOK_BYTES} bytes` }, { status: 413 }) };
  const tenantId = publicIdSchema.safeParse(tenant);
  if (!tenantId.success) return { result: "rejected", response: Response.json({ error: "unknown webhook endpoint" }, { status: 404 }) };

  const outcome = await ingestWhopWebhook({ publicTenantId: tenantId.data, rawBody, headers: request.headers, log });
  if (outcome.status === 200) return { result: outcome.result, eventType: outcome.eventType, response: Response.json({ ok: true, result: outcome.result }) };
  return {
    result: outcome.status === 503 ? "failed" : "rejected",
    response: Response.json({ error: outcome.error }, { status: outcome.status, headers: outcome.status === 503 ? { "Retry-After": "10" } : {} }),
  };
}
