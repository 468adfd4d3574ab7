import { and, eq, sql } from "drizzle-orm";
import { db, type Transaction } from "@/db/client";
import { orders, tenants, webhookEvents, webhookRejections, type Order, type Tenant } from "@/db/schema";
import { logger, type Logger } from "@/lib/logger";
import { lockOrderForEvent } from "@/lib/orders/find";
import { planTransition, type Transition } from "@/lib/orders/transitions";
import { reportProblem } from "@/lib/problems/report";
import { webhookSecretsForVerification } from "@/lib/tenants/webhook-secret";
import { eventKey, normalizeWhopEvent, type NormalizedEvent } from "@/lib/whop/events";
import { verifyWhopSignature, type SignatureScheme } from "@/lib/whop/signatures";

export const MAX_WEBHOOK_BYTES = 256 * 1024;
/** Past this, answer 503 and let Whop retry rather than hold the delivery open (dedupe makes a late commit harmless). */
export const INGEST_DEADLINE_MS = 8_000;

export type IngestOutcome =
  | { status: 200; result: "applied" | "ignored" | "duplicate"; detail: string; eventType?: string }
  | { status: 400 | 401 | 404 | 409 | 503; error: string };

interface Delivery {
  publicTenantId: string;
  rawBody: string;
  headers: Headers;
  now?: Date;
  /** The request's logger (carries its request id). */
  log?: Logger;
}

/**
 * One delivery to POST /api/webhooks/whop/[tenantId]: verify, record once, apply — the event row
 * and the order change commit together or not at all. 2xx only for what was committed; a
 * database failure answers 503 so Whop retries.
 */
export async function ingestWhopWebhook(delivery: Delivery): Promise<IngestOutcome> {
  const log = delivery.log ?? logger;
  try {
    return await withDeadline(verifyRecordApply(delivery), INGEST_DEADLINE_MS);
  } catch (error) {
    log.error({ err: error, publicTenantId: delivery.publicTenantId }, "webhook not recorded");
    return { status: 503, error: "temporarily unable to record the event; retry later" };
  }
}

async function verifyRecordApply({ publicTenantId, rawBody, headers, now = new Date() }: Delivery): Promise<IngestOutcome> {
  const [tenant] = await db().select().from(tenants).where(eq(tenants.publicId, publicTenantId)).limit(1);
  if (!tenant) return { status: 404, error: "unknown webhook endpoint" };

  const secrets = webhookSecretsForVerification(tenant, now);
  if (secrets.length === 0) {
    await reportProblem(tenant.id, "webhook_secret_missing", "Whop is sending webhooks, but no webhook secret is saved, so they cannot be verified.");
    return { status: 409, error: "no webhook secret configured for this endpoint" };
  }

  const verified = verifyWhopSignature({ rawBody, headers, secrets, now });
  if (!verified.ok) {
    await countRejection(tenant, verified.reason, now);
    return { status: 401, error: `signature rejected: ${verified.reason}` };
  }

  let payload: unknown;
  try {
    payload = JSON.parse(rawBody);
  } catch {
    return { status: 400, error: "body is not valid JSON" };
  }
  const normalized = normalizeWhopEvent(payload);
  if (!normalized.ok) return { status: 400, error: normalized.error };

  const recorded = await recordAndApply(tenant, normalized.event, eventKey(normalized.event, verified.webhookId), verified.scheme, rawBody);
  return { ...recorded, eventType: normalized.event.name };
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

/**
 * Records the event (once) and applies it to its order in one transaction. Also used by
 * reconciliation. Statements that do not depend on each other go out together — postgres.js
 * pipelines queries issued at once on the transaction's connection — so a first delivery costs
 * four round trips (BEGIN, record + lock, order + event updates, COMMIT) rather than six.
 */
export async function recordAndApply(
  tenant: Tenant,
  event: NormalizedEvent,
  key: string,
  scheme: SignatureScheme | "reconcile",
  rawBody: string,
): Promise<Extract<IngestOutcome, { status: 200 }>> {
  return db().transaction(async (tx) => {
    // Sent back to back on the transaction's connection, in this order: the dedupe gate, then the
    // order's lock. Every delivery of one event takes them in the same order, so a copy racing this
    // one waits on the unique index until this transaction ends, then counts as a duplicate.
    const recording = tx
      .insert(webhookEvents)
      .values({ tenantId: tenant.id, eventKey: key, eventType: event.name, scheme, result: "ignored", payload: rawBody })
      .onConflictDoNothing({ target: [webhookEvents.tenantId, webhookEvents.eventKey] })
      .returning({ id: webhookEvents.id })
      .execute();
    const locking = lockOrderForEvent(tx, tenant.id, event);
    const [[recorded], order] = await Promise.all([recording, locking]);
    if (!recorded) {
      await tx
        .update(webhookEvents)
        .set({ duplicates: sql`${webhookEvents.duplicates} + 1`, lastDuplicateAt: sql`now()` })
        .where(and(eq(webhookEvents.tenantId, tenant.id), eq(webhookEvents.eventKey, key)));
      return { status: 200, result: "duplicate", detail: "already recorded" } as const;
    }

    const plan = planApplication(order, event);
    await Promise.all([writeOrderChange(tx, tenant.id, event, order, plan), recordApplication(tx, tenant.id, recorded.id, plan.application)]);
    return { status: 200, result: plan.application.result, detail: plan.application.detail } as const;
  });
}

/** Async, so that a failure always arrives as a rejection that Promise.all handles, never as a throw. */
async function recordApplication(tx: Transaction, tenantId: string, eventId: number, { result, detail, orderId }: Application): Promise<void> {
  await tx.update(webhookEvents).set({ result, detail, orderId }).where(and(eq(webhookEvents.tenantId, tenantId), eq(webhookEvents.id, eventId)));
}

/** What an event did to its order; recorded on the event row. */
export interface Application {
  result: "applied" | "ignored";
  detail: string;
  orderId: string | null;
}

/** The detail of an event that matched none of the tenant's orders (it may be applied again later). */
export const NO_MATCHING_ORDER = "no order of this account matches the event";

/**
 * Finds and locks the event's order and applies the state machine to it, inside the caller's
 * transaction: "apply again" (reapply.ts). A first delivery does the same in recordAndApply, with
 * its statements pipelined.
 */
export async function applyEventToOrder(
  tx: Transaction,
  tenantId: string,
  event: NormalizedEvent,
  { reportUnmatched = true }: { reportUnmatched?: boolean } = {},
): Promise<Application> {
  const order = await lockOrderForEvent(tx, tenantId, event);
  const plan = planApplication(order, event);
  await writeOrderChange(tx, tenantId, event, order, plan, { reportUnmatched });
  return plan.application;
}

interface ApplicationPlan {
  application: Application;
  transition: Transition | null;
}

/** What the event does to its locked order (none: unmatched), decided before anything is written. */
function planApplication(order: Order | undefined, event: NormalizedEvent): ApplicationPlan {
  if (!order) return { application: { result: "ignored", detail: NO_MATCHING_ORDER, orderId: null }, transition: null };
  const transition = planTransition(order, event);
  if (transition.kind !== "change") return { application: { result: "ignored", detail: transition.reason, orderId: order.id }, transition };
  return { application: { result: "applied", detail: transition.summary, orderId: order.id }, transition };
}

/** The order update and the problems the merchant should hear about (an unmatched payment, a wrong amount). */
async function writeOrderChange(
  tx: Transaction,
  tenantId: string,
  event: NormalizedEvent,
  order: Order | undefined,
  { transition }: ApplicationPlan,
  { reportUnmatched = true }: { reportUnmatched?: boolean } = {},
): Promise<void> {
  if (!order) {
    if (reportUnmatched && event.name === "payment.succeeded") {
      await reportProblem(tenantId, "unmatched_payment", `Whop reported payment ${event.payment?.id ?? "(no id)"} that matches none of your orders.`, tx);
    }
    return;
  }
  if (transition?.kind !== "change") return;
  await tx
    .update(orders)
    .set({ ...transition.change, updatedAt: new Date() })
    .where(and(eq(orders.tenantId, tenantId), eq(orders.id, order.id)));
  if (transition.amountMismatch) {
    await reportProblem(tenantId, "amount_mismatch", `Order ${order.id}: Whop reported ${event.payment?.totalMajor} ${event.payment?.currency}, the order expected a different amount.`, tx);
  }
}
