import { sql } from "drizzle-orm";
import { db } from "@/db/client";
import { webhookRejections } from "@/db/schema";
import { afterResponse } from "@/lib/http/after-response";
import { logger, type Logger } from "@/lib/logger";
import { reportProblem } from "@/lib/problems/report";
import { forgetWebhookVerifier, webhookVerifier } from "@/lib/tenants/webhook-verification";
import { eventKey, normalizeWhopEvent } from "@/lib/whop/events";
import { verifyWhopSignature } from "@/lib/whop/signatures";
import { applyRecordedEvent } from "./apply-recorded";
import { observationOf } from "./observations";
import { recordAndApply, recordEvent, type Recording } from "./record";
import { scrubPayload, unstorableText } from "./scrub";

export const MAX_WEBHOOK_BYTES = 256 * 1024;
/** Past this, answer 503 and let Whop retry rather than hold the delivery open (dedupe makes a late commit harmless). */
export const INGEST_DEADLINE_MS = 8_000;

/**
 * What became of a delivery; the route maps each kind to its HTTP answer. `recorded`: committed,
 * applied to the ledger right after the answer; `applied`/`ignored`: committed and applied before
 * the answer (an event whose secrets the stored payload no longer holds, see below).
 */
export type IngestOutcome =
  | { kind: "recorded"; result: "recorded" | "applied" | "ignored" | "duplicate"; detail: string; eventType: string }
  | { kind: "unknown_endpoint" }
  | { kind: "no_secret" }
  | { kind: "bad_signature"; reason: string }
  | { kind: "malformed"; error: string }
  | { kind: "unavailable" };

interface Delivery {
  publicTenantId: string;
  /** The body's bytes exactly as received: what the signature covers. */
  rawBody: Uint8Array;
  headers: Headers;
  now?: Date;
  /** The request's logger (carries its request id). */
  log?: Logger;
}

/**
 * One delivery to POST /api/webhooks/whop/[tenantId]: verify, record once (one statement), and
 * leave the ledger to `afterResponse` — the answer does not wait for it, and an event recorded
 * but never applied (the process died in between) is applied by the sweep
 * (lib/ledger/apply-recorded.ts). "recorded" only for what was committed; a database failure is
 * "unavailable" so that Whop retries.
 */
export async function ingestWhopWebhook(delivery: Delivery): Promise<IngestOutcome> {
  const log = delivery.log ?? logger;
  try {
    return await withDeadline(verifyAndRecord(delivery, log), INGEST_DEADLINE_MS);
  } catch (error) {
    log.error({ err: error, publicTenantId: delivery.publicTenantId }, "webhook not recorded");
    return { kind: "unavailable" };
  }
}

const UTF8 = new TextDecoder("utf-8", { fatal: true });

async function verifyAndRecord({ publicTenantId, rawBody, headers, now = new Date() }: Delivery, log: Logger): Promise<IngestOutcome> {
  let verifier = await webhookVerifier(publicTenantId, { now });
  if (!verifier) return { kind: "unknown_endpoint" };
  if (verifier.secrets.length === 0) {
    await reportProblem(verifier.tenant.id, "webhook_secret_missing", "Whop is sending webhooks, but no webhook secret is saved, so they cannot be verified.");
    return { kind: "no_secret" };
  }

  let verified = verifyWhopSignature({ rawBody, headers, secrets: verifier.secrets, now });
  if (!verified.ok) {
    // The secrets held here may be older than one saved on another instance: read them again once.
    verifier = await webhookVerifier(publicTenantId, { fresh: true, now });
    if (!verifier) return { kind: "unknown_endpoint" };
    verified = verifyWhopSignature({ rawBody, headers, secrets: verifier.secrets, now });
  }
  if (!verified.ok) {
    await countRejection(verifier.tenant.id, verified.reason, now);
    return { kind: "bad_signature", reason: verified.reason };
  }

  let text: string;
  try {
    text = UTF8.decode(rawBody);
  } catch {
    return { kind: "malformed", error: "body is not valid UTF-8" };
  }
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch {
    return { kind: "malformed", error: "body is not valid JSON" };
  }
  const unstorable = unstorableText(payload);
  if (unstorable) return { kind: "malformed", error: `body contains ${unstorable}, which cannot be stored` };
  const normalized = normalizeWhopEvent(payload);
  if (!normalized.ok) return { kind: "malformed", error: normalized.error };

  const tenantId = verifier.tenant.id;
  const eventType = normalized.event.name;
  const observation = observationOf(normalized.event);
  const recording: Recording = {
    key: eventKey(normalized.event, { scheme: verified.scheme, webhookId: verified.webhookId, rawBody }),
    eventType,
    scheme: verified.scheme,
    payload: JSON.stringify(scrubPayload(payload)),
    observation,
  };
  try {
    // A license key is scrubbed from the stored payload, so only this request can still apply it:
    // such an event is applied before the answer, with its recording, as before the sweep existed.
    if (observation.kind === "membership" && observation.membership.licenseKey) {
      return { kind: "recorded", ...(await recordAndApply({ id: tenantId }, recording)), eventType };
    }
    const recorded = await recordEvent(tenantId, recording);
    if (recorded === "duplicate") return { kind: "recorded", result: "duplicate", detail: "already recorded", eventType };
    afterResponse(() => applyRecordedEvent(tenantId, recorded.id, { observation, log }));
    return { kind: "recorded", result: "recorded", detail: "recorded; applied to the ledger right after the answer", eventType };
  } catch (error) {
    // The tenant was deleted since this instance read it: its webhook URL no longer exists.
    if (postgresErrorCode(error) === FOREIGN_KEY_VIOLATION) {
      forgetWebhookVerifier(tenantId);
      return { kind: "unknown_endpoint" };
    }
    throw error;
  }
}

const FOREIGN_KEY_VIOLATION = "23503";

/** The SQLSTATE of a database error, through drizzle's wrapping. */
function postgresErrorCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; current instanceof Object && depth < 4; current = (current as { cause?: unknown }).cause, depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`database did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

async function countRejection(tenantId: string, reason: string, now: Date): Promise<void> {
  const hour = new Date(Math.floor(now.getTime() / 3_600_000) * 3_600_000);
  await db()
    .insert(webhookRejections)
    .values({ tenantId, hour, count: 1, lastReason: reason, lastAt: now })
    .onConflictDoUpdate({
      target: [webhookRejections.tenantId, webhookRejections.hour],
      set: { count: sql`${webhookRejections.count} + 1`, lastReason: reason, lastAt: now },
    });
  await reportProblem(tenantId, "signature_failures", "Webhook deliveries failed the signature check. Check that the saved webhook secret is the one Whop shows for this endpoint.");
}
