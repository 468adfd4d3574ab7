import { and, eq, gt, inArray, sql } from "drizzle-orm";
import { z } from "zod";
import { db, type Transaction } from "@/db/client";
import { outboundEvents, webhookDeliveries, webhookDeliveryAttempts, webhookEndpoints, type WebhookEndpoint } from "@/db/schema";
import { allowPrivateUrls } from "./config";
import type { JobHandler } from "@/lib/jobs/registry";
import { logger } from "@/lib/logger";
import { reportProblem } from "@/lib/problems/report";
import { postJson, type PostOutcome } from "./http";
import { scheduleDelivery } from "./queue";
import { signatureHeaders, signingSecrets } from "./signing";
import type { Resolver } from "./ssrf";

/*
 * One attempt of one delivery (the `webhooks.deliver` job): claim it, POST the signed event, log
 * the attempt, then either mark it delivered or schedule the next attempt — 30 s, 5 min, 30 min,
 * 2 h, 8 h, 24 h, 24 h, 24 h (±10 %), about three and a half days in all. An endpoint whose every
 * attempt failed for 3 days is disabled and the merchant told (problem `webhook_endpoint_disabled`).
 * At most MAX_IN_FLIGHT_PER_ENDPOINT attempts run against one endpoint at a time: a delivery finding
 * it busy comes back a few seconds later, so one slow endpoint holds two workers, not all of them.
 * A job that runs again for a delivery already delivered (or not yet due) does nothing.
 */

export const RETRY_SCHEDULE_SECONDS = [30, 5 * 60, 30 * 60, 2 * 3600, 8 * 3600, 24 * 3600, 24 * 3600, 24 * 3600] as const;
export const MAX_ATTEMPTS = RETRY_SCHEDULE_SECONDS.length + 1;
export const DISABLE_AFTER_FAILING_MS = 3 * 24 * 3600 * 1000;
export const MAX_IN_FLIGHT_PER_ENDPOINT = 2;
const BUSY_RETRY_SECONDS = 5;
/** A job this much early (or less) for its attempt is put back until the attempt is due. */
const EARLY_JOB_TOLERANCE_SECONDS = 60;
/** How long past the timeout a claimed attempt holds its delivery (then a crashed worker's claim lapses). */
const LEASE_GRACE_MS = 30_000;

/** The delay before the attempt after `failures` failed ones, ±10 %. */
export function retryDelaySeconds(failures: number, random: () => number = Math.random): number {
  const base = RETRY_SCHEDULE_SECONDS[Math.min(failures, RETRY_SCHEDULE_SECONDS.length) - 1] ?? RETRY_SCHEDULE_SECONDS[0];
  return Math.max(1, Math.round(base * (0.9 + 0.2 * random())));
}

export interface DeliveryOptions {
  timeoutMs?: number;
  allowPrivate?: boolean;
  resolve?: Resolver;
  now?: () => Date;
  random?: () => number;
}

/** Test seam: what every attempt uses unless told otherwise (a short timeout, a fake resolver, a clock). */
const defaults: { options: DeliveryOptions } = { options: {} };
export function setDeliveryDefaults(options: DeliveryOptions): void {
  defaults.options = options;
}

export type AttemptResult =
  | { kind: "delivered"; attempt: number; status: number }
  | { kind: "failed"; attempt: number; outcome: PostOutcome; nextAttemptInSeconds: number | null; endpointDisabled: boolean }
  | { kind: "skipped"; reason: "not_found" | "done" | "in_flight" | "not_due" | "endpoint_disabled" | "busy" };

const jobData = z.object({ tenantId: z.string().min(1), deliveryId: z.string().min(1) });

export const deliverWebhookJob: JobHandler = async (data) => {
  const parsed = jobData.safeParse(data);
  if (!parsed.success) {
    logger.error({ issues: parsed.error.issues.length }, "webhooks.deliver job without tenantId/deliveryId");
    return;
  }
  await attemptDelivery(parsed.data.tenantId, parsed.data.deliveryId);
};

type Claimed = { kind: "claimed"; attempt: number; failures: number; endpoint: WebhookEndpoint; event: { id: string; type: string; payload: string } };

export async function attemptDelivery(tenantId: string, deliveryId: string, given: DeliveryOptions = {}): Promise<AttemptResult> {
  const options = { ...defaults.options, ...given };
  const clock = options.now ?? (() => new Date());
  const timeoutMs = options.timeoutMs;
  const allowPrivate = options.allowPrivate ?? allowPrivateUrls();

  const claim = await claimDelivery(tenantId, deliveryId, clock(), timeoutMs);
  if (claim.kind !== "claimed") return claim;

  const { endpoint, event } = claim;
  let outcome: PostOutcome;
  try {
    const headers = signatureHeaders(signingSecrets(endpoint, clock()), event.id, event.payload, clock());
    outcome = await postJson(endpoint.url, event.payload, headers, { timeoutMs, allowPrivate, resolve: options.resolve });
  } catch (error) {
    // The secret could not be read (ENCRYPTION_KEYS changed) or signing failed: an attempt that failed before sending.
    logger.error({ err: error, tenantId, endpointId: endpoint.id }, "webhook delivery could not be signed");
    outcome = { status: null, error: "the signing secret could not be read", body: null, durationMs: 0 };
  }
  const result = await recordAttempt(tenantId, deliveryId, claim, outcome, clock(), options.random);
  // One line per attempt: never the body, the URL's query or a signature.
  logger.info(
    { tenantId, endpointId: endpoint.id, eventId: event.id, eventType: event.type, attempt: claim.attempt, status: outcome.status, result: result.kind, durationMs: outcome.durationMs },
    "outbound webhook attempt",
  );
  return result;
}

async function claimDelivery(tenantId: string, deliveryId: string, now: Date, timeoutMs: number | undefined): Promise<Claimed | Extract<AttemptResult, { kind: "skipped" }>> {
  return db().transaction(async (tx) => {
    const [found] = await tx
      .select({ endpointId: webhookDeliveries.endpointId })
      .from(webhookDeliveries)
      .where(and(eq(webhookDeliveries.tenantId, tenantId), eq(webhookDeliveries.id, deliveryId)));
    if (!found) return { kind: "skipped", reason: "not_found" } as const;
    // Endpoint first, then the delivery: the lock order of every path that changes both.
    const [endpoint] = await tx
      .select()
      .from(webhookEndpoints)
      .where(and(eq(webhookEndpoints.tenantId, tenantId), eq(webhookEndpoints.id, found.endpointId)))
      .for("no key update");
    const [delivery] = await tx
      .select()
      .from(webhookDeliveries)
      .where(and(eq(webhookDeliveries.tenantId, tenantId), eq(webhookDeliveries.id, deliveryId)))
      .for("update");
    if (!endpoint || !delivery) return { kind: "skipped", reason: "not_found" } as const;
    if (delivery.state === "delivered" || delivery.state === "failed" || delivery.state === "canceled") return { kind: "skipped", reason: "done" } as const;
    if (delivery.state === "sending" && delivery.leaseUntil && delivery.leaseUntil > now) {
      // Another attempt holds it. Should that attempt die before recording (its job then retried too
      // early, say), this check comes back once the lease has lapsed, so the delivery is never stranded.
      await scheduleDelivery(tx, tenantId, deliveryId, Math.ceil((delivery.leaseUntil.getTime() - now.getTime()) / 1000) + 1);
      return { kind: "skipped", reason: "in_flight" } as const;
    }
    if (delivery.nextAttemptAt && delivery.nextAttemptAt.getTime() > now.getTime() + 2000) {
      // Its own job, early by the clocks' difference: come back when due. A much earlier one is stale
      // (the attempt it was for already happened); the job of the next attempt is already queued.
      const remainingSeconds = Math.ceil((delivery.nextAttemptAt.getTime() - now.getTime()) / 1000);
      if (remainingSeconds <= EARLY_JOB_TOLERANCE_SECONDS) await scheduleDelivery(tx, tenantId, deliveryId, remainingSeconds + 1);
      return { kind: "skipped", reason: "not_due" } as const;
    }
    if (!endpoint.enabled) {
      await tx
        .update(webhookDeliveries)
        .set({ state: "canceled", lastError: "endpoint disabled", leaseUntil: null, nextAttemptAt: null, updatedAt: now })
        .where(and(eq(webhookDeliveries.tenantId, tenantId), eq(webhookDeliveries.id, deliveryId)));
      return { kind: "skipped", reason: "endpoint_disabled" } as const;
    }
    const [busy] = await tx
      .select({ count: sql<number>`count(*)::int` })
      .from(webhookDeliveries)
      .where(
        and(
          eq(webhookDeliveries.tenantId, tenantId),
          eq(webhookDeliveries.endpointId, endpoint.id),
          eq(webhookDeliveries.state, "sending"),
          gt(webhookDeliveries.leaseUntil, now),
        ),
      );
    if (Number(busy?.count ?? 0) >= MAX_IN_FLIGHT_PER_ENDPOINT) {
      await scheduleDelivery(tx, tenantId, deliveryId, BUSY_RETRY_SECONDS + Math.floor(Math.random() * BUSY_RETRY_SECONDS));
      return { kind: "skipped", reason: "busy" } as const;
    }
    const [event] = await tx
      .select({ id: outboundEvents.id, type: outboundEvents.type, payload: outboundEvents.payload })
      .from(outboundEvents)
      .where(and(eq(outboundEvents.tenantId, tenantId), eq(outboundEvents.id, delivery.eventId)));
    if (!event) return { kind: "skipped", reason: "not_found" } as const;
    const attempt = delivery.attempts + 1;
    await tx
      .update(webhookDeliveries)
      .set({ state: "sending", attempts: attempt, leaseUntil: new Date(now.getTime() + (timeoutMs ?? 10_000) + LEASE_GRACE_MS), updatedAt: now })
      .where(and(eq(webhookDeliveries.tenantId, tenantId), eq(webhookDeliveries.id, deliveryId)));
    return { kind: "claimed", attempt, failures: delivery.retryStep, endpoint, event } as const;
  });
}

async function recordAttempt(tenantId: string, deliveryId: string, claim: Claimed, outcome: PostOutcome, now: Date, random?: () => number): Promise<AttemptResult> {
  const { endpoint, event, attempt } = claim;
  const delivered = outcome.status !== null && outcome.status >= 200 && outcome.status < 300;
  return db().transaction(async (tx): Promise<AttemptResult> => {
    await tx.insert(webhookDeliveryAttempts).values({
      tenantId,
      deliveryId,
      endpointId: endpoint.id,
      eventId: event.id,
      eventType: event.type,
      attempt,
      status: outcome.status,
      error: outcome.error,
      durationMs: outcome.durationMs,
      responseBody: outcome.body,
      createdAt: now,
    });
    const mine = and(eq(webhookDeliveries.tenantId, tenantId), eq(webhookDeliveries.id, deliveryId), eq(webhookDeliveries.state, "sending"), eq(webhookDeliveries.attempts, attempt));
    if (delivered) {
      await tx
        .update(webhookDeliveries)
        .set({ state: "delivered", deliveredAt: now, lastStatus: outcome.status, lastError: null, leaseUntil: null, nextAttemptAt: null, updatedAt: now })
        .where(mine);
      await tx
        .update(webhookEndpoints)
        .set({ failingSince: null })
        .where(and(eq(webhookEndpoints.tenantId, tenantId), eq(webhookEndpoints.id, endpoint.id), sql`${webhookEndpoints.failingSince} is not null`));
      return { kind: "delivered", attempt, status: outcome.status! };
    }

    const [current] = await tx
      .update(webhookEndpoints)
      .set({ failingSince: sql`coalesce(${webhookEndpoints.failingSince}, ${now.toISOString()}::timestamptz)` })
      .where(and(eq(webhookEndpoints.tenantId, tenantId), eq(webhookEndpoints.id, endpoint.id)))
      .returning();
    const lastError = outcome.error ?? `HTTP ${outcome.status}`;
    const failingFor = current?.failingSince ? now.getTime() - current.failingSince.getTime() : 0;
    if (current?.enabled && failingFor >= DISABLE_AFTER_FAILING_MS) {
      await disableFailingEndpoint(tx, tenantId, current, now);
      await tx.update(webhookDeliveries).set({ state: "failed", lastStatus: outcome.status, lastError, leaseUntil: null, nextAttemptAt: null, updatedAt: now }).where(mine);
      return { kind: "failed", attempt, outcome, nextAttemptInSeconds: null, endpointDisabled: true };
    }
    const failures = claim.failures + 1;
    if (failures >= MAX_ATTEMPTS) {
      await tx.update(webhookDeliveries).set({ state: "failed", lastStatus: outcome.status, lastError, leaseUntil: null, nextAttemptAt: null, updatedAt: now }).where(mine);
      return { kind: "failed", attempt, outcome, nextAttemptInSeconds: null, endpointDisabled: false };
    }
    const delay = retryDelaySeconds(failures, random);
    const [updated] = await tx
      .update(webhookDeliveries)
      .set({ state: "pending", retryStep: failures, lastStatus: outcome.status, lastError, leaseUntil: null, nextAttemptAt: new Date(now.getTime() + delay * 1000), updatedAt: now })
      .where(mine)
      .returning({ id: webhookDeliveries.id });
    if (updated) await scheduleDelivery(tx, tenantId, deliveryId, delay);
    return { kind: "failed", attempt, outcome, nextAttemptInSeconds: updated ? delay : null, endpointDisabled: false };
  });
}

/** Every attempt failed for 3 days: the endpoint stops receiving, its waiting deliveries are canceled, the merchant is told. */
async function disableFailingEndpoint(tx: Transaction, tenantId: string, endpoint: WebhookEndpoint, now: Date): Promise<void> {
  await tx
    .update(webhookEndpoints)
    .set({ enabled: false, disabledReason: "failing", disabledAt: now, updatedAt: now })
    .where(and(eq(webhookEndpoints.tenantId, tenantId), eq(webhookEndpoints.id, endpoint.id)));
  await tx
    .update(webhookDeliveries)
    .set({ state: "canceled", lastError: "endpoint disabled", leaseUntil: null, nextAttemptAt: null, updatedAt: now })
    .where(and(eq(webhookDeliveries.tenantId, tenantId), eq(webhookDeliveries.endpointId, endpoint.id), inArray(webhookDeliveries.state, ["pending"])));
  await reportProblem(
    tenantId,
    "webhook_endpoint_disabled",
    `${endpoint.url} was disabled: every delivery to it failed for 3 days. Fix your app, then re-enable the endpoint under Webhooks: it offers to resend the events it missed.`,
    tx,
  );
  logger.warn({ tenantId, endpointId: endpoint.id }, "webhook endpoint disabled after 3 days of failures");
}
