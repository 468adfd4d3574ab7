import { and, eq, sql } from "drizzle-orm";
import { db } from "@/db/client";
import { webhookEvents, webhookRejections, type Tenant } from "@/db/schema";
import { logger, type Logger } from "@/lib/logger";
import { reportProblem } from "@/lib/problems/report";
import { getTenantByPublicId } from "@/lib/tenants/queries";
import { webhookSecretsForVerification } from "@/lib/tenants/webhook-secret";
import { eventKey, normalizeWhopEvent } from "@/lib/whop/events";
import { verifyWhopSignature, type SignatureScheme } from "@/lib/whop/signatures";
import { applyObservation, type Application } from "./apply";
import { observationOf, type Observation } from "./observations";
import { scrubPayload, unstorableText } from "./scrub";

export const MAX_WEBHOOK_BYTES = 256 * 1024;
/** Past this, answer 503 and let Whop retry rather than hold the delivery open (dedupe makes a late commit harmless). */
export const INGEST_DEADLINE_MS = 8_000;

/** What became of a delivery; the route maps each kind to its HTTP answer. */
export type IngestOutcome =
  | { kind: "recorded"; result: "applied" | "ignored" | "duplicate"; detail: string; eventType: string }
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
 * One delivery to POST /api/webhooks/whop/[tenantId]: verify, record once, apply — the event row
 * and the ledger change commit together or not at all. "recorded" only for what was committed; a
 * database failure is "unavailable" so that Whop retries.
 */
export async function ingestWhopWebhook(delivery: Delivery): Promise<IngestOutcome> {
  const log = delivery.log ?? logger;
  try {
    return await withDeadline(verifyRecordApply(delivery), INGEST_DEADLINE_MS);
  } catch (error) {
    log.error({ err: error, publicTenantId: delivery.publicTenantId }, "webhook not recorded");
    return { kind: "unavailable" };
  }
}

const UTF8 = new TextDecoder("utf-8", { fatal: true });

async function verifyRecordApply({ publicTenantId, rawBody, headers, now = new Date() }: Delivery): Promise<IngestOutcome> {
  const tenant = await getTenantByPublicId(publicTenantId);
  if (!tenant) return { kind: "unknown_endpoint" };

  const secrets = webhookSecretsForVerification(tenant, now);
  if (secrets.length === 0) {
    await reportProblem(tenant.id, "webhook_secret_missing", "Whop is sending webhooks, but no webhook secret is saved, so they cannot be verified.");
    return { kind: "no_secret" };
  }

  const verified = verifyWhopSignature({ rawBody, headers, secrets, now });
  if (!verified.ok) {
    await countRejection(tenant, verified.reason, now);
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

  const key = eventKey(normalized.event, { scheme: verified.scheme, webhookId: verified.webhookId, rawBody });
  const recorded = await recordAndApply(tenant, {
    key,
    eventType: normalized.event.name,
    scheme: verified.scheme,
    payload: JSON.stringify(scrubPayload(payload)),
    observation: observationOf(normalized.event),
  });
  return { kind: "recorded", ...recorded, eventType: normalized.event.name };
}

function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`database did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

async function countRejection(tenant: Tenant, reason: string, now: Date): Promise<void> {
  const hour = new Date(Math.floor(now.getTime() / 3_600_000) * 3_600_000);
  await db()
    .insert(webhookRejections)
    .values({ tenantId: tenant.id, hour, count: 1, lastReason: reason, lastAt: now })
    .onConflictDoUpdate({
      target: [webhookRejections.tenantId, webhookRejections.hour],
      set: { count: sql`${webhookRejections.count} + 1`, lastReason: reason, lastAt: now },
    });
  await reportProblem(tenant.id, "signature_failures", "Webhook deliveries failed the signature check. Check that the saved webhook secret is the one Whop shows for this endpoint.");
}

export interface Recording {
  /** Unique per tenant: a second recording of the same key is a duplicate. */
  key: string;
  eventType: string;
  scheme: SignatureScheme | "reconcile";
  /** Already scrubbed of secrets. */
  payload: string;
  observation: Observation;
}

/**
 * Records the event (once) and applies what it says to the ledger in one transaction; also used by
 * reconciliation. Every copy of one event takes the dedupe gate first, so a copy racing this one
 * waits on the unique index until this transaction ends, then counts as a duplicate.
 */
export async function recordAndApply(tenant: Pick<Tenant, "id">, recording: Recording): Promise<{ result: "applied" | "ignored" | "duplicate"; detail: string }> {
  return db().transaction(async (tx) => {
    const [recorded] = await tx
      .insert(webhookEvents)
      .values({ tenantId: tenant.id, eventKey: recording.key, eventType: recording.eventType, scheme: recording.scheme, result: "ignored", payload: recording.payload })
      .onConflictDoNothing({ target: [webhookEvents.tenantId, webhookEvents.eventKey] })
      .returning({ id: webhookEvents.id });
    if (!recorded) {
      await tx
        .update(webhookEvents)
        .set({ duplicates: sql`${webhookEvents.duplicates} + 1`, lastDuplicateAt: sql`now()` })
        .where(and(eq(webhookEvents.tenantId, tenant.id), eq(webhookEvents.eventKey, recording.key)));
      return { result: "duplicate", detail: "already recorded" } as const;
    }
    const application: Application = await applyObservation(tx, tenant.id, recording.observation);
    await tx
      .update(webhookEvents)
      .set({ result: application.result, detail: application.detail, orderId: application.orderId })
      .where(and(eq(webhookEvents.tenantId, tenant.id), eq(webhookEvents.id, recorded.id)));
    return { result: application.result, detail: application.detail };
  });
}
