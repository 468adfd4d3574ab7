import { z } from "zod";
import { REQUEST_ID_HEADER, requestIdFrom } from "@/lib/http/request-id";
import { logger, type Logger } from "@/lib/logger";
import { ingestWhopWebhook, MAX_WEBHOOK_BYTES, type IngestOutcome } from "@/lib/ledger/ingest";

export const dynamic = "force-dynamic";

const publicIdSchema = z.string().regex(/^wh_[A-Za-z0-9]{22}$/);

/** Reads the raw body's bytes (what the signature covers) up to the limit; null when it is larger. */
async function readRawBody(request: Request): Promise<Uint8Array | null> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_WEBHOOK_BYTES) return null;
  if (!request.body) return new Uint8Array(0);
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
  return Buffer.concat(chunks);
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

async function receive(request: Request, tenant: string, log: Logger): Promise<{ response: Response; eventType?: string; result: "recorded" | "applied" | "ignored" | "duplicate" | "rejected" | "failed" }> {
  const rawBody = await readRawBody(request);
  if (rawBody === null) return { result: "rejected", response: Response.json({ error: `body larger than ${MAX_WEBHOOK_BYTES} bytes` }, { status: 413 }) };
  const tenantId = publicIdSchema.safeParse(tenant);
  if (!tenantId.success) return { result: "rejected", response: Response.json({ error: "unknown webhook endpoint" }, { status: 404 }) };

  const outcome = await ingestWhopWebhook({ publicTenantId: tenantId.data, rawBody, headers: request.headers, log });
  if (outcome.kind === "recorded") return { result: outcome.result, eventType: outcome.eventType, response: Response.json({ ok: true, result: outcome.result }) };
  const { status, error } = refusal(outcome);
  return {
    result: status === 503 ? "failed" : "rejected",
    response: Response.json({ error }, { status, headers: status === 503 ? { "Retry-After": "10" } : {} }),
  };
}

type Refusal = Exclude<IngestOutcome, { kind: "recorded" }>;

/** Each refusal's HTTP answer: 4xx for what the sender can fix, 503 (retry) only for our database. */
function refusal(outcome: Refusal): { status: number; error: string } {
  switch (outcome.kind) {
    case "unknown_endpoint":
      return { status: 404, error: "unknown webhook endpoint" };
    case "no_secret":
      return { status: 409, error: "no webhook secret configured for this endpoint" };
    case "bad_signature":
      return { status: 401, error: `signature rejected: ${outcome.reason}` };
    case "malformed":
      return { status: 400, error: outcome.error };
    case "unavailable":
      return { status: 503, error: "temporarily unable to record the event; retry later" };
  }
}
