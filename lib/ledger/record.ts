import { and, eq, sql } from "drizzle-orm";
import { db, type Executor } from "@/db/client";
import { preparedStatement } from "@/db/prepared";
import { webhookEvents, type Tenant } from "@/db/schema";
import type { SignatureScheme } from "@/lib/whop/signatures";
import { applyObservation, type Application } from "./apply";
import type { Observation } from "./observations";

/*
 * Recording a Whop event once per tenant under its key (webhook_events), and applying it in the
 * same transaction. The webhook route (lib/ledger/ingest.ts) records and answers, then applies
 * after the answer; reconciliation (lib/ledger/reconcile.ts, run by the worker) records and
 * applies together. Nothing here depends on a request, so the worker's bundle can import it.
 */

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
 * Records the event once, not yet applied (`applied_at` null): one statement, committed on its
 * own; a copy bumps the first recording's `duplicates` instead. A copy racing the first waits on
 * the unique index until that insert commits, then counts as a duplicate.
 */
export async function recordEvent(tenantId: string, recording: Omit<Recording, "observation">): Promise<{ id: number } | "duplicate"> {
  const [recorded] = await insertUnapplied(db(), { tenantId, key: recording.key, eventType: recording.eventType, scheme: recording.scheme, payload: recording.payload });
  if (recorded) return recorded;
  await countDuplicate(db(), tenantId, recording.key);
  return "duplicate";
}

/** The request's one statement (prepared once: db/prepared.ts). */
const insertUnapplied = preparedStatement<{ tenantId: string; key: string; eventType: string; scheme: Recording["scheme"]; payload: string }, { id: number }[]>((database) =>
  database
    .insert(webhookEvents)
    .values({
      tenantId: sql.placeholder("tenantId"),
      eventKey: sql.placeholder("key"),
      eventType: sql.placeholder("eventType"),
      scheme: sql.placeholder("scheme"),
      result: "ignored",
      payload: sql.placeholder("payload"),
      appliedAt: null,
    })
    .onConflictDoNothing({ target: [webhookEvents.tenantId, webhookEvents.eventKey] })
    .returning({ id: webhookEvents.id })
    .prepare("webhook_event_record"),
);

function countDuplicate(executor: Executor, tenantId: string, key: string) {
  return executor
    .update(webhookEvents)
    .set({ duplicates: sql`${webhookEvents.duplicates} + 1`, lastDuplicateAt: sql`now()` })
    .where(and(eq(webhookEvents.tenantId, tenantId), eq(webhookEvents.eventKey, key)));
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
      await countDuplicate(tx, tenant.id, recording.key);
      return { result: "duplicate", detail: "already recorded" } as const;
    }
    const application: Application = await applyObservation(tx, tenant.id, recording.observation);
    await tx
      .update(webhookEvents)
      .set({ result: application.result, detail: application.detail, orderId: application.orderId, appliedAt: sql`clock_timestamp()` })
      .where(and(eq(webhookEvents.tenantId, tenant.id), eq(webhookEvents.id, recorded.id)));
    return { result: application.result, detail: application.detail };
  });
}
