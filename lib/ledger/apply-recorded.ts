import { and, asc, eq, isNull, sql } from "drizzle-orm";
import { db } from "@/db/client";
import { preparedStatement } from "@/db/prepared";
import { webhookEvents } from "@/db/schema";
import { logger, type Logger } from "@/lib/logger";
import { normalizeWhopEvent } from "@/lib/whop/events";
import { applyObservation, type Application } from "./apply";
import { observationOf, type Observation } from "./observations";

/*
 * The second half of a delivery: a recorded event (`applied_at` null) applied to the ledger.
 * Right after the answer the request applies it from the observation it still holds; the sweep
 * (`applyRecordedEvents`, a worker job every few seconds) applies whatever a request left — its
 * process killed between the answer and the apply, the database gone at that moment — from the
 * stored payload. Each application locks the event row first and takes it only while unapplied,
 * so an event is applied once however many requests and sweeps reach for it.
 */

/** The sweep leaves younger events to the request that recorded them. */
export const SWEEP_AFTER_MS = 2_000;
const SWEEP_BATCH = 200;

/**
 * Applies one recorded event, in one transaction with its row's update (result, detail, order,
 * `applied_at`). Answers null when there was nothing to do (applied already, perhaps by someone
 * else while this waited for the row). Never throws: a failure leaves the event to the sweep.
 */
export async function applyRecordedEvent(tenantId: string, eventId: number, { observation, log = logger }: { observation?: Observation; log?: Logger } = {}): Promise<Application | null> {
  try {
    return await db().transaction(async (tx) => {
      // The request that recorded the event still holds what it says; the sweep reads the payload.
      const [event] = await (observation ? lockUnapplied : lockUnappliedWithPayload)(tx, { tenantId, eventId });
      if (!event) return null;
      const application = await applyObservation(tx, tenantId, observation ?? storedObservation(event.payload));
      await markApplied(tx, { tenantId, eventId, result: application.result, detail: application.detail, orderId: application.orderId });
      return application;
    });
  } catch (error) {
    log.warn({ err: error, tenantId, eventId }, "recorded webhook event not applied yet; the sweep will apply it");
    return null;
  }
}

const unapplied = and(eq(webhookEvents.tenantId, sql.placeholder("tenantId")), eq(webhookEvents.id, sql.placeholder("eventId")), isNull(webhookEvents.appliedAt));

// Waits for a lock held elsewhere (a copy's duplicate count, another apply), then re-reads:
// applied meanwhile, the row no longer matches. Skipping a locked row would leave it to the sweep.
const lockUnapplied = preparedStatement<{ tenantId: string; eventId: number }, { id: number; payload: string }[]>((database) =>
  database.select({ id: webhookEvents.id, payload: sql<string>`''` }).from(webhookEvents).where(unapplied).for("update").prepare("webhook_event_lock"),
);
const lockUnappliedWithPayload = preparedStatement<{ tenantId: string; eventId: number }, { id: number; payload: string }[]>((database) =>
  database.select({ id: webhookEvents.id, payload: webhookEvents.payload }).from(webhookEvents).where(unapplied).for("update").prepare("webhook_event_lock_with_payload"),
);

const markApplied = preparedStatement<{ tenantId: string; eventId: number } & Application, unknown>((database) =>
  database
    .update(webhookEvents)
    .set({ result: sql`${sql.placeholder("result")}`, detail: sql`${sql.placeholder("detail")}`, orderId: sql`${sql.placeholder("orderId")}`, appliedAt: sql`clock_timestamp()` })
    .where(and(eq(webhookEvents.tenantId, sql.placeholder("tenantId")), eq(webhookEvents.id, sql.placeholder("eventId"))))
    .prepare("webhook_event_applied"),
);

/** What a stored payload says; an unreadable one (it was read once already, so never expected) is ignored with the reason. */
function storedObservation(payload: string): Observation {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return { kind: "none", reason: "stored payload is not valid JSON" };
  }
  const normalized = normalizeWhopEvent(parsed);
  return normalized.ok ? observationOf(normalized.event) : { kind: "none", reason: `stored payload cannot be read: ${normalized.error}` };
}

/**
 * The sweep: applies the events recorded more than `olderThanMs` ago and still unapplied, oldest
 * first, in batches until none is left (of one tenant's, when `tenantId` is given). Answers how
 * many it applied, and how many it found applied by someone else meanwhile or failed to apply.
 */
export async function applyRecordedEvents({ olderThanMs = SWEEP_AFTER_MS, tenantId, log = logger }: { olderThanMs?: number; tenantId?: string; log?: Logger } = {}): Promise<{ applied: number; skipped: number }> {
  let applied = 0;
  let skipped = 0;
  const seen = new Set<string>();
  for (;;) {
    const batch = await db()
      .select({ tenantId: webhookEvents.tenantId, id: webhookEvents.id })
      .from(webhookEvents)
      .where(and(isNull(webhookEvents.appliedAt), sql`${webhookEvents.receivedAt} <= now() - make_interval(secs => ${olderThanMs / 1000})`, tenantId ? eq(webhookEvents.tenantId, tenantId) : undefined))
      .orderBy(asc(webhookEvents.receivedAt))
      .limit(SWEEP_BATCH);
    const fresh = batch.filter((event) => !seen.has(`${event.tenantId}:${event.id}`));
    if (fresh.length === 0) break;
    for (const event of fresh) {
      seen.add(`${event.tenantId}:${event.id}`);
      if (await applyRecordedEvent(event.tenantId, event.id, { log })) applied++;
      else skipped++;
    }
  }
  return { applied, skipped };
}
