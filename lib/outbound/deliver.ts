import { and, eq, inArray, sql } from "drizzle-orm";
import { z } from "zod";
import { db, selectRows, type Transaction } from "@/db/client";
import { webhookDeliveries, webhookDeliveryAttempts, webhookEndpoints, type WebhookEndpoint } from "@/db/schema";
import { allowPrivateUrls } from "./config";
import type { JobHandler } from "@/lib/jobs/registry";
import { logger } from "@/lib/logger";
import { reportProblem } from "@/lib/problems/report";
import { openPayload } from "./payload";
import { postJson, type PostOutcome } from "./http";
import { scheduleDelivery } from "./queue";
import { signatureHeaders, signingSecrets } from "./signing";
import type { Resolver } from "./ssrf";

/*
 * One attempt of one delivery (the `webhooks.deliver` job): claim it, POST the signed event, log
 * the attempt, then either mark it delivered or schedule the next attempt — 30 s, 5 min, 30 min,
 * 2 h, 8 h, 24 h, 24 h, 24 h (±10 %), about three and a half days in all. An endpoint whose every
 * attempt failed for 3 days is disabled and the merchant told (problem `webhook_endpoint_disabled`).
 * Attempts in flight per endpoint are bounded, and the bound follows the endpoint's pace: a quick
 * endpoint (its last QUICK_SAMPLE attempts each answered 2xx within QUICK_ANSWER_MS, and none of its
 * attempts in flight has run longer) may have QUICK_IN_FLIGHT_PER_ENDPOINT at a time; any other —
 * new, slow, failing, timing out — MIN_IN_FLIGHT_PER_ENDPOINT. A delivery finding its endpoint at
 * the bound comes back a few seconds later, so a slow endpoint holds two of a worker's
 * WORKER_DELIVERY_CONCURRENCY jobs, not all of them; an endpoint that turns slow falls back to two
 * as soon as one attempt has run past QUICK_ANSWER_MS (its attempts already in flight finish or
 * time out). A job (not a direct call) that finds an endpoint busy with this process's own attempts
 * first waits for one of them to end and claims again, when the endpoint's pace says a turn comes
 * within BUSY_WAIT_MS (counting the jobs already waiting for it): at volume a quick endpoint is busy
 * most of the time, and putting its deliveries off by 5–10 s each made them late. A slow or hanging
 * endpoint gets no waiters, so it still holds no more workers than its attempts in flight.
 * A job that runs again for a delivery already delivered (or not yet due) does nothing.
 */

export const RETRY_SCHEDULE_SECONDS = [30, 5 * 60, 30 * 60, 2 * 3600, 8 * 3600, 24 * 3600, 24 * 3600, 24 * 3600] as const;
export const MAX_ATTEMPTS = RETRY_SCHEDULE_SECONDS.length + 1;
export const DISABLE_AFTER_FAILING_MS = 3 * 24 * 3600 * 1000;
/** Attempts in flight at an endpoint that is new, slow or failing. */
export const MIN_IN_FLIGHT_PER_ENDPOINT = 2;
/** Attempts in flight at a quick endpoint (see above): more turns, so it keeps up with a burst of events. */
export const QUICK_IN_FLIGHT_PER_ENDPOINT = 6;
/** An endpoint is quick while its recent attempts answered 2xx within this time, and none in flight has run longer. */
export const QUICK_ANSWER_MS = 1_000;
/** How many of its latest attempts decide whether an endpoint is quick. */
export const QUICK_SAMPLE = 3;
/**
 * Delivery jobs one worker process runs at once: room for a quick endpoint's turns and more, so a
 * quick endpoint that hangs holds QUICK_IN_FLIGHT_PER_ENDPOINT of them for one timeout at worst,
 * a slow one MIN_IN_FLIGHT_PER_ENDPOINT, and the others keep theirs.
 */
export const WORKER_DELIVERY_CONCURRENCY = 12;
const BUSY_RETRY_SECONDS = 5;
/** The longest a job waits in-process for a slot of a busy endpoint before putting its delivery off. */
export const BUSY_WAIT_MS = 2_000;
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

const jobData = z.object({ tenantId: z.string().min(1), deliveryId: z.string().min(1), endpointId: z.string().min(1).optional() });

export const deliverWebhookJob: JobHandler = async (data) => {
  const parsed = jobData.safeParse(data);
  if (!parsed.success) {
    logger.error({ issues: parsed.error.issues.length }, "webhooks.deliver job without tenantId/deliveryId");
    return;
  }
  const { tenantId, deliveryId, endpointId } = parsed.data;
  // A job that names its endpoint queues behind this process's attempts to it (when its pace says
  // a turn comes soon), instead of claiming, finding it busy and being put off by seconds.
  const release = endpointId ? await slots.acquire(endpointId, BUSY_WAIT_MS) : null;
  try {
    await attemptDelivery(tenantId, deliveryId);
  } finally {
    release?.();
  }
};

/**
 * This process's turns at each endpoint, first come first served: at most the endpoint's bound (as
 * its latest claim here reported it; MIN_IN_FLIGHT_PER_ENDPOINT before any) of jobs hold one, the
 * next wait in line. Only an ordering of this process's own jobs: the count of `sending` rows in the
 * database stays the bound, across processes, checked by every claim.
 */
interface Line {
  /** Jobs holding a turn. */
  holders: number;
  waiting: (() => void)[];
  /** Moving average of the recent turns' time. */
  recentMs: number | null;
  /** When each turn in hand began. */
  since: Set<number>;
}

const slots = {
  lines: new Map<string, Line>(),
  /** Each endpoint's bound as its latest claim in this process answered it (the most recent endpoints only). */
  bounds: new Map<string, number>(),
  bound(endpointId: string): number {
    return this.bounds.get(endpointId) ?? MIN_IN_FLIGHT_PER_ENDPOINT;
  },
  learn(endpointId: string, bound: number): void {
    this.bounds.delete(endpointId);
    this.bounds.set(endpointId, bound);
    if (this.bounds.size > 10_000) this.bounds.delete(this.bounds.keys().next().value!);
  },
  line(endpointId: string): Line {
    let line = this.lines.get(endpointId);
    if (!line) this.lines.set(endpointId, (line = { holders: 0, waiting: [], recentMs: null, since: new Set() }));
    return line;
  },
  /**
   * A turn at the endpoint: at once while fewer than its bound hold one; else in
   * line, when the endpoint's pace (its recent turns' time, or longer while a turn in hand has run
   * longer) times the jobs ahead, shared by the turns, says it comes within `withinMs`, and then for
   * at most `withinMs`. Answers the function that gives it back, or null: no turn (the claim then
   * finds the endpoint busy and the delivery is put off, as for any other process's job).
   */
  async acquire(endpointId: string, withinMs: number): Promise<(() => void) | null> {
    const line = this.line(endpointId);
    const bound = this.bound(endpointId);
    if (line.holders < bound && line.waiting.length === 0) return this.hold(endpointId, line);
    const now = performance.now();
    let pace = line.recentMs ?? 0;
    for (const started of line.since) pace = Math.max(pace, now - started);
    if (((line.waiting.length + 1) * pace) / bound > withinMs) return null;
    const handedOver = await new Promise<boolean>((resolve) => {
      const take = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        line.waiting.splice(line.waiting.indexOf(take), 1);
        resolve(false);
      }, withinMs);
      line.waiting.push(take);
    });
    if (!handedOver) {
      this.forget(endpointId, line);
      return null;
    }
    return this.hold(endpointId, line, true);
  },
  hold(endpointId: string, line: Line, handedOver = false): () => void {
    if (!handedOver) line.holders++;
    let started = performance.now();
    while (line.since.has(started)) started += 1e-6;
    line.since.add(started);
    return () => {
      line.since.delete(started);
      const took = performance.now() - started;
      line.recentMs = line.recentMs === null ? took : line.recentMs * 0.8 + took * 0.2;
      // The turn passes straight to the first in line, so a job fetched later cannot take it first
      // (unless the endpoint's bound has dropped below the turns in hand: then it is given up).
      const next = line.holders <= this.bound(endpointId) ? line.waiting.shift() : undefined;
      if (next) next();
      else {
        line.holders--;
        this.forget(endpointId, line);
      }
    };
  },
  forget(endpointId: string, line: Line): void {
    if (line.holders === 0 && line.waiting.length === 0) this.lines.delete(endpointId);
  },
};

type Claimed = { kind: "claimed"; attempt: number; failures: number; endpoint: WebhookEndpoint; event: { id: string; type: string; payload: string } };

export async function attemptDelivery(tenantId: string, deliveryId: string, given: DeliveryOptions = {}): Promise<AttemptResult> {
  const options = { ...defaults.options, ...given };
  const clock = options.now ?? (() => new Date());
  const timeoutMs = options.timeoutMs;
  const claim = await claimDelivery(tenantId, deliveryId, clock(), timeoutMs);
  if (claim.kind === "busy") {
    await scheduleDelivery(db(), tenantId, deliveryId, BUSY_RETRY_SECONDS + Math.floor(Math.random() * BUSY_RETRY_SECONDS), claim.endpointId);
    return { kind: "skipped", reason: "busy" };
  }
  if (claim.kind !== "claimed") return claim;

  const { endpoint, event } = claim;
  const allowPrivate = options.allowPrivate ?? allowPrivateUrls();
  let outcome: PostOutcome;
  try {
    const body = openPayload(tenantId, event.payload);
    const headers = signatureHeaders(signingSecrets(endpoint, clock()), event.id, body, clock());
    outcome = await postJson(endpoint.url, body, headers, { timeoutMs, allowPrivate, resolve: options.resolve });
  } catch (error) {
    // A secret (the signing secret, a sealed license key) could not be read (ENCRYPTION_KEYS changed) or signing failed: an attempt that failed before sending.
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

/** `busy`: the endpoint has as many attempts in flight as its bound allows; the caller waits or puts the delivery off. */
type Busy = { kind: "busy"; endpointId: string };

/**
 * Claims the delivery for one attempt in one round trip: the transaction locks the endpoint (the
 * lock order of every path that changes both: endpoint, then delivery), then one statement locks
 * the delivery, counts the endpoint's attempts in flight, works out its bound from its pace (its
 * latest attempts, newest first on the delivery log's index, and how long those in flight have
 * run) and, when it may go, marks it `sending` —
 * sent together, so the count's snapshot is taken once the endpoint lock is held (a claim of the
 * same endpoint that committed meanwhile is counted). Only when it may not go does a second
 * statement do what that case needs.
 */
async function claimDelivery(tenantId: string, deliveryId: string, now: Date, timeoutMs: number | undefined): Promise<Claimed | Busy | Extract<AttemptResult, { kind: "skipped" }>> {
  const at = now.toISOString();
  const leaseUntil = new Date(now.getTime() + (timeoutMs ?? 10_000) + LEASE_GRACE_MS).toISOString();
  return db().transaction(async (tx) => {
    // The endpoint's lock must go out first (`execute()` sends it now; a query builder left in the
    // array would only be sent when Promise.all gets to it, after the claim): the claim's count of
    // attempts in flight must see every claim of the endpoint that committed before it.
    const lockEndpoint = tx
      .select()
      .from(webhookEndpoints)
      .where(
        and(
          eq(webhookEndpoints.tenantId, tenantId),
          eq(webhookEndpoints.id, sql`(select ${webhookDeliveries.endpointId} from ${webhookDeliveries} where ${webhookDeliveries.tenantId} = ${tenantId} and ${webhookDeliveries.id} = ${deliveryId})`),
        ),
      )
      .for("no key update")
      .execute();
    const [[endpoint], [row]] = await Promise.all([
      lockEndpoint,
      selectRows<ClaimRow>(
        sql`with d as (
              select * from webhook_deliveries where tenant_id = ${tenantId} and id = ${deliveryId} for update
            ), busy as (
              select count(*)::int as n,
                count(*) filter (where b.updated_at < ${at}::timestamptz - ${QUICK_ANSWER_MS} * interval '1 millisecond')::int as long_running
              from webhook_deliveries b, d
              where b.tenant_id = ${tenantId} and b.endpoint_id = d.endpoint_id and b.state = 'sending' and b.lease_until > ${at}::timestamptz
            ), recent as (
              select count(*)::int as n, coalesce(bool_and(a.status between 200 and 299 and a.duration_ms <= ${QUICK_ANSWER_MS}), false) as quick
              from d cross join lateral (
                select status, duration_ms from webhook_delivery_attempts
                where tenant_id = ${tenantId} and endpoint_id = d.endpoint_id
                order by created_at desc, id desc limit ${QUICK_SAMPLE}
              ) a
            ), bound as (
              select case when recent.n > 0 and recent.quick and busy.long_running = 0 then ${QUICK_IN_FLIGHT_PER_ENDPOINT} else ${MIN_IN_FLIGHT_PER_ENDPOINT} end::int as n
              from busy, recent
            ), claimed as (
              update webhook_deliveries u
              set state = 'sending', attempts = d.attempts + 1, lease_until = ${leaseUntil}::timestamptz, updated_at = ${at}::timestamptz
              from d, busy, bound
              where u.tenant_id = ${tenantId} and u.id = ${deliveryId}
                and d.state in ('pending', 'sending')
                and not (d.state = 'sending' and d.lease_until is not null and d.lease_until > ${at}::timestamptz)
                and not (d.next_attempt_at is not null and d.next_attempt_at > ${at}::timestamptz + interval '2 seconds')
                and coalesce((select e.enabled from webhook_endpoints e where e.tenant_id = ${tenantId} and e.id = d.endpoint_id), false)
                and busy.n < bound.n
                and exists (select 1 from outbound_events ev where ev.tenant_id = ${tenantId} and ev.id = d.event_id)
              returning u.attempts
            )
            select d.state, d.attempts, d.retry_step, d.event_id, busy.n as busy, bound.n as bound,
              (d.state = 'sending' and d.lease_until is not null and d.lease_until > ${at}::timestamptz) as in_flight,
              (extract(epoch from d.lease_until - ${at}::timestamptz) * 1000)::float8 as lease_left_ms,
              (extract(epoch from d.next_attempt_at - ${at}::timestamptz) * 1000)::float8 as due_in_ms,
              (select attempts from claimed) as claimed_attempt,
              ev.id as ev_id, ev.type as ev_type, case when exists (select 1 from claimed) then ev.payload end as ev_payload
            from d cross join busy cross join bound left join outbound_events ev on ev.tenant_id = ${tenantId} and ev.id = d.event_id`,
        tx,
      ),
    ]);
    if (!endpoint || !row) return { kind: "skipped", reason: "not_found" } as const;
    slots.learn(endpoint.id, Number(row.bound));
    if (row.claimed_attempt !== null && row.ev_id !== null && row.ev_type !== null && row.ev_payload !== null) {
      return { kind: "claimed", attempt: Number(row.claimed_attempt), failures: Number(row.retry_step), endpoint, event: { id: row.ev_id, type: row.ev_type, payload: row.ev_payload } } as const;
    }
    if (row.state === "delivered" || row.state === "failed" || row.state === "canceled") return { kind: "skipped", reason: "done" } as const;
    if (row.in_flight) {
      // Another attempt holds it. Should that attempt die before recording (its job then retried too
      // early, say), this check comes back once the lease has lapsed, so the delivery is never stranded.
      await scheduleDelivery(tx, tenantId, deliveryId, Math.ceil(Number(row.lease_left_ms) / 1000) + 1, endpoint.id);
      return { kind: "skipped", reason: "in_flight" } as const;
    }
    if (row.due_in_ms !== null && Number(row.due_in_ms) > 2000) {
      // Its own job, early by the clocks' difference: come back when due. A much earlier one is stale
      // (the attempt it was for already happened); the job of the next attempt is already queued.
      const remainingSeconds = Math.ceil(Number(row.due_in_ms) / 1000);
      if (remainingSeconds <= EARLY_JOB_TOLERANCE_SECONDS) await scheduleDelivery(tx, tenantId, deliveryId, remainingSeconds + 1, endpoint.id);
      return { kind: "skipped", reason: "not_due" } as const;
    }
    if (!endpoint.enabled) {
      await tx
        .update(webhookDeliveries)
        .set({ state: "canceled", lastError: "endpoint disabled", leaseUntil: null, nextAttemptAt: null, updatedAt: now })
        .where(and(eq(webhookDeliveries.tenantId, tenantId), eq(webhookDeliveries.id, deliveryId)));
      return { kind: "skipped", reason: "endpoint_disabled" } as const;
    }
    if (Number(row.busy) >= Number(row.bound)) return { kind: "busy", endpointId: endpoint.id } as const;
    return { kind: "skipped", reason: "not_found" } as const;
  });
}

/** What the claim statement answers about the delivery (timestamps as milliseconds from now). */
interface ClaimRow {
  state: string;
  attempts: number;
  retry_step: number;
  event_id: string;
  busy: number;
  bound: number;
  in_flight: boolean;
  lease_left_ms: number | null;
  due_in_ms: number | null;
  claimed_attempt: number | null;
  ev_id: string | null;
  ev_type: string | null;
  ev_payload: string | null;
}

async function recordAttempt(tenantId: string, deliveryId: string, claim: Claimed, outcome: PostOutcome, now: Date, random?: () => number): Promise<AttemptResult> {
  const { endpoint, event, attempt } = claim;
  const delivered = outcome.status !== null && outcome.status >= 200 && outcome.status < 300;
  // The statements that do not depend on each other go out together (postgres.js pipelines them on
  // the transaction's connection, and the server runs them in this order).
  return db().transaction(async (tx): Promise<AttemptResult> => {
    const logged = tx.insert(webhookDeliveryAttempts).values({
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
      await Promise.all([
        logged,
        tx
          .update(webhookDeliveries)
          .set({ state: "delivered", deliveredAt: now, lastStatus: outcome.status, lastError: null, leaseUntil: null, nextAttemptAt: null, updatedAt: now })
          .where(mine),
        tx
          .update(webhookEndpoints)
          .set({ failingSince: null })
          .where(and(eq(webhookEndpoints.tenantId, tenantId), eq(webhookEndpoints.id, endpoint.id), sql`${webhookEndpoints.failingSince} is not null`)),
      ]);
      return { kind: "delivered", attempt, status: outcome.status! };
    }

    const [, [current]] = await Promise.all([
      logged,
      tx
        .update(webhookEndpoints)
        .set({ failingSince: sql`coalesce(${webhookEndpoints.failingSince}, ${now.toISOString()}::timestamptz)` })
        .where(and(eq(webhookEndpoints.tenantId, tenantId), eq(webhookEndpoints.id, endpoint.id)))
        .returning(),
    ]);
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
    if (updated) await scheduleDelivery(tx, tenantId, deliveryId, delay, endpoint.id);
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
