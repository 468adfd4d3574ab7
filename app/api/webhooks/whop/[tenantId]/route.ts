import { z } from "zod";
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

export async function POST(request: Request, { params }: { params: Promise<{ tenantId: string }> }) {
  const rawBody = await readRawBody(request);
  if (rawBody === null) return Response.json({ error: `body larger than ${MAX_WEBHOOK_BYTES} bytes` }, { status: 413 });
  const tenantId = publicIdSchema.safeParse((await params).tenantId);
  if (!tenantId.success) return Response.json({ error: "unknown webhook endpoint" }, { status: 404 });

  const outcome = await ingestWhopWebhook({ publicTenantId: tenantId.data, rawBody, headers: request.headers });
  if (outcome.status === 200) return Response.json({ ok: true, result: outcome.result });
  return Response.json({ error: outcome.error }, { status: outcome.status, headers: outcome.status === 503 ? { "Retry-After": "10" } : {} });
}
