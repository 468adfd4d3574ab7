import { and, asc, desc, eq, inArray, ne, notExists, sql } from "drizzle-orm";
import type { Actor } from "@/lib/auth/actor";
import { authorize } from "@/lib/auth/roles";
import { z } from "zod";
import { db, plannedPerRun, type Executor, type Transaction } from "@/db/client";
import { keysetBefore } from "@/db/keyset";
import { outboundEvents, webhookDeliveries, webhookDeliveryAttempts, webhookEndpoints, type WebhookEndpoint } from "@/db/schema";
import { recordAudit } from "@/lib/audit/log";
import { decryptSecret } from "@/lib/crypto/secrets";
import { env } from "@/lib/env";
import { randomBase62 } from "@/lib/ids";
import { resolveProblems } from "@/lib/problems/report";
import { hitRateLimit } from "@/lib/rate-limit";
import { allowPrivateUrls } from "./config";
import { attemptDelivery, type AttemptResult, type DeliveryOptions } from "./deliver";
import { isOrderEventType, newEventId, ORDER_EVENT_TYPES, TEST_EVENT_TYPE, type OrderEventType } from "./events";
import { fanOut } from "./outbox";
import { scheduleDelivery } from "./queue";
import { encryptSigningSecret, newSigningSecret, SECRET_OVERLAP_MS } from "./signing";
import { checkEndpointUrl, type Resolver } from "./ssrf";

/*
 * The merchant's webhook endpoints (Dashboard → Webhooks): every use case takes the signed-in
 * account's tenant and looks ids up within it, so another account's endpoint or delivery is simply
 * not found. Secrets are shown once, when made, and stored encrypted.
 */

export const MAX_ENDPOINTS = 10;
/** Re-enabling resends at most this many missed events (oldest first). */
export const RESEND_LIMIT = 1000;
/** The job that backs up an inline attempt (test event, resend), should the request die midway. */
const BACKUP_JOB_SECONDS = 15;
/** Test events and resends, together, per endpoint and minute: each one is a request to the merchant's app sent at once. */
export const MANUAL_SENDS_PER_MINUTE = 10;
export const ENDPOINT_NOT_FOUND = "That endpoint does not exist.";
export const DELIVERY_NOT_FOUND = "That delivery does not exist.";

export const endpointUrlSchema = z.string().trim().min(1, "Enter the URL of your app's webhook endpoint.").max(2000, "Keep the URL under 2000 characters.");
export const endpointIdSchema = z.string().trim().min(1).max(64);

export function parseEventTypes(values: readonly unknown[]): { ok: true; types: OrderEventType[] } | { ok: false; message: string } {
  const chosen = values.filter((value): value is string => typeof value === "string");
  if (chosen.length === 0) return { ok: false, message: "Choose at least one event type." };
  const unknown = chosen.find((value) => !isOrderEventType(value));
  if (unknown !== undefined) return { ok: false, message: `Unknown event type “${unknown.slice(0, 60)}”.` };
  return { ok: true, types: ORDER_EVENT_TYPES.filter((type) => chosen.includes(type)) };
}

const endpointIs = (tenantId: string, endpointId: string) => and(eq(webhookEndpoints.tenantId, tenantId), eq(webhookEndpoints.id, endpointId));

async function lockEndpoint(tx: Transaction, tenantId: string, endpointId: string): Promise<WebhookEndpoint | undefined> {
  const [endpoint] = await tx.select().from(webhookEndpoints).where(endpointIs(tenantId, endpointId)).for("no key update");
  return endpoint;
}

export type CreateEndpointResult = { ok: true; endpoint: WebhookEndpoint; secret: string } | { ok: false; field?: "url" | "eventTypes"; message: string };

export async function createEndpoint(
  actor: Actor,
  input: { url: string; eventTypes: readonly string[] },
  guard: { allowPrivate?: boolean; resolve?: Resolver } = {},
): Promise<CreateEndpointResult> {
  authorize(actor, "admin");
  const types = parseEventTypes(input.eventTypes);
  if (!types.ok) return { ok: false, field: "eventTypes", message: types.message };
  const checked = await checkEndpointUrl(input.url, { allowPrivate: guard.allowPrivate ?? allowPrivateUrls(), resolve: guard.resolve });
  if (!checked.ok) return { ok: false, field: "url", message: checked.message };
  const secret = newSigningSecret();
  const id = `we_${randomBase62(20)}`;
  return db().transaction(async (tx): Promise<CreateEndpointResult> => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`webhook_endpoints:${actor.tenant.id}`}))`);
    const [{ count } = { count: 0 }] = await tx
      .select({ count: sql<number>`count(*)::int` })
      .from(webhookEndpoints)
      .where(eq(webhookEndpoints.tenantId, actor.tenant.id));
    if (Number(count) >= MAX_ENDPOINTS) return { ok: false, message: `You already have ${MAX_ENDPOINTS} endpoints. Delete one you no longer use first.` };
    const [endpoint] = await tx
      .insert(webhookEndpoints)
      .values({ tenantId: actor.tenant.id, id, url: checked.url.href, eventTypes: types.types, secretCiphertext: encryptSigningSecret(secret, actor.tenant.id, id) })
      .returning();
    await recordAudit(tx, { tenantId: actor.tenant.id, actorUserId: actor.userId, action: "webhook_endpoint.created", ip: actor.ip, detail: { endpointUrl: checked.url.href } });
    return { ok: true, endpoint: endpoint!, secret };
  });
}

export type Outcome = { ok: true; message: string } | { ok: false; message: string };

/** A new secret, shown once; the old one keeps signing (a second signature) for 24 hours. */
export async function rotateEndpointSecret(actor: Actor, endpointId: string, now = new Date()): Promise<{ ok: true; secret: string; overlapEndsAt: Date } | { ok: false; message: string }> {
  authorize(actor, "admin");
  const secret = newSigningSecret();
  return db().transaction(async (tx) => {
    const endpoint = await lockEndpoint(tx, actor.tenant.id, endpointId);
    if (!endpoint) return { ok: false, message: ENDPOINT_NOT_FOUND } as const;
    const current = decryptSecret(endpoint.secretCiphertext, { tenantId: actor.tenant.id, field: "outbound_webhook_secret", rowId: endpoint.id }, env().encryptionKeys);
    const overlapEndsAt = new Date(now.getTime() + SECRET_OVERLAP_MS);
    await tx
      .update(webhookEndpoints)
      .set({
        secretCiphertext: encryptSigningSecret(secret, actor.tenant.id, endpoint.id),
        previousSecretCiphertext: encryptSigningSecret(current, actor.tenant.id, endpoint.id, true),
        previousSecretExpiresAt: overlapEndsAt,
        updatedAt: now,
      })
      .where(endpointIs(actor.tenant.id, endpoint.id));
    await recordAudit(tx, { tenantId: actor.tenant.id, actorUserId: actor.userId, action: "webhook_endpoint.secret_rotated", ip: actor.ip, detail: { endpointUrl: endpoint.url } });
    return { ok: true, secret, overlapEndsAt } as const;
  });
}

/** Since when an endpoint missed events: its first failure of the current run, else when it was disabled. */
function missedSince(endpoint: Pick<WebhookEndpoint, "failingSince" | "disabledAt">): Date | null {
  return endpoint.failingSince ?? endpoint.disabledAt ?? null;
}

/** Events of the endpoint's types since it started missing them that it has not received, oldest first. */
type MissingEndpoint = Pick<WebhookEndpoint, "tenantId" | "id" | "eventTypes" | "failingSince" | "disabledAt">;

async function missedEventIds(executor: Executor, endpoint: MissingEndpoint, limit = RESEND_LIMIT): Promise<{ id: string; type: string }[]> {
  const since = missedSince(endpoint);
  if (!since) return [];
  const delivered = executor
    .select({ id: webhookDeliveries.id })
    .from(webhookDeliveries)
    .where(
      and(
        eq(webhookDeliveries.tenantId, endpoint.tenantId),
        eq(webhookDeliveries.eventId, outboundEvents.id),
        eq(webhookDeliveries.endpointId, endpoint.id),
        inArray(webhookDeliveries.state, ["delivered", "pending", "sending"]),
      ),
    );
  return executor
    .select({ id: outboundEvents.id, type: outboundEvents.type })
    .from(outboundEvents)
    .where(
      and(
        eq(outboundEvents.tenantId, endpoint.tenantId),
        sql`${outboundEvents.createdAt} >= ${since.toISOString()}::timestamptz`,
        inArray(outboundEvents.type, endpoint.eventTypes),
        notExists(delivered),
      ),
    )
    .orderBy(asc(outboundEvents.createdAt), asc(outboundEvents.seq))
    .limit(limit);
}

async function resolveDisabledProblem(tx: Transaction, tenantId: string): Promise<void> {
  const [stillDisabled] = await tx
    .select({ id: webhookEndpoints.id })
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.tenantId, tenantId), eq(webhookEndpoints.enabled, false), eq(webhookEndpoints.disabledReason, "failing")))
    .limit(1);
  if (!stillDisabled) await resolveProblems(tenantId, ["webhook_endpoint_disabled"], tx);
}

/**
 * Disable (its waiting deliveries are canceled) or enable; enabling with `resendMissed` delivers
 * again, oldest first, every event of its types it missed since it started failing or was disabled.
 */
export async function setEndpointEnabled(actor: Actor, endpointId: string, enabled: boolean, options: { resendMissed?: boolean; now?: Date } = {}): Promise<Outcome> {
  authorize(actor, "admin");
  const now = options.now ?? new Date();
  return db().transaction(async (tx): Promise<Outcome> => {
    const endpoint = await lockEndpoint(tx, actor.tenant.id, endpointId);
    if (!endpoint) return { ok: false, message: ENDPOINT_NOT_FOUND };
    if (!enabled) {
      if (!endpoint.enabled) return { ok: true, message: "The endpoint is already disabled." };
      await tx.update(webhookEndpoints).set({ enabled: false, disabledReason: "merchant", disabledAt: now, updatedAt: now }).where(endpointIs(actor.tenant.id, endpoint.id));
      await tx
        .update(webhookDeliveries)
        .set({ state: "canceled", lastError: "endpoint disabled", nextAttemptAt: null, updatedAt: now })
        .where(and(eq(webhookDeliveries.tenantId, actor.tenant.id), eq(webhookDeliveries.endpointId, endpoint.id), eq(webhookDeliveries.state, "pending")));
      await recordAudit(tx, { tenantId: actor.tenant.id, actorUserId: actor.userId, action: "webhook_endpoint.disabled", ip: actor.ip, detail: { endpointUrl: endpoint.url } });
      return { ok: true, message: "Endpoint disabled: it receives nothing until you enable it again." };
    }
    if (endpoint.enabled) return { ok: true, message: "The endpoint is already enabled." };
    const missed = options.resendMissed ? await missedEventIds(tx, endpoint) : [];
    await tx
      .update(webhookEndpoints)
      .set({ enabled: true, disabledReason: null, disabledAt: null, failingSince: null, updatedAt: now })
      .where(endpointIs(actor.tenant.id, endpoint.id));
    if (missed.length > 0) {
      // A missed event may already have a (failed or canceled) delivery to this endpoint: start it over.
      const existing = await tx
        .update(webhookDeliveries)
        .set({ state: "pending", retryStep: 0, nextAttemptAt: now, leaseUntil: null, updatedAt: now })
        .where(
          and(
            eq(webhookDeliveries.tenantId, actor.tenant.id),
            eq(webhookDeliveries.endpointId, endpoint.id),
            inArray(
              webhookDeliveries.eventId,
              missed.map((event) => event.id),
            ),
          ),
        )
        .returning({ id: webhookDeliveries.id, eventId: webhookDeliveries.eventId });
      for (const row of existing) await scheduleDelivery(tx, actor.tenant.id, row.id, undefined, endpoint.id);
      const restarted = new Set(existing.map((row) => row.eventId));
      await fanOut(
        tx,
        actor.tenant.id,
        missed.filter((event) => !restarted.has(event.id)),
        { endpointId: endpoint.id },
      );
    }
    await resolveDisabledProblem(tx, actor.tenant.id);
    await recordAudit(tx, { tenantId: actor.tenant.id, actorUserId: actor.userId, action: "webhook_endpoint.enabled", ip: actor.ip, detail: { endpointUrl: endpoint.url, resent: missed.length } });
    return {
      ok: true,
      message: missed.length > 0 ? `Endpoint enabled: ${missed.length} missed event${missed.length === 1 ? " is" : "s are"} being resent, oldest first.` : "Endpoint enabled.",
    };
  });
}

export async function deleteEndpoint(actor: Actor, endpointId: string): Promise<Outcome> {
  authorize(actor, "admin");
  return db().transaction(async (tx): Promise<Outcome> => {
    const [deleted] = await tx.delete(webhookEndpoints).where(endpointIs(actor.tenant.id, endpointId)).returning({ url: webhookEndpoints.url });
    if (!deleted) return { ok: false, message: ENDPOINT_NOT_FOUND };
    await resolveDisabledProblem(tx, actor.tenant.id);
    await recordAudit(tx, { tenantId: actor.tenant.id, actorUserId: actor.userId, action: "webhook_endpoint.deleted", ip: actor.ip, detail: { endpointUrl: deleted.url } });
    return { ok: true, message: `Endpoint ${deleted.url} deleted: it receives nothing more.` };
  });
}

function describeAttempt(result: AttemptResult, what: string): Outcome {
  switch (result.kind) {
    case "delivered":
      return { ok: true, message: `${what} delivered: your endpoint answered ${result.status}.` };
    case "failed": {
      const why = result.outcome.status !== null ? `your endpoint answered ${result.outcome.status}${result.outcome.error ? ` (${result.outcome.error})` : ""}` : (result.outcome.error ?? "no answer");
      const next = result.nextAttemptInSeconds !== null ? ` It is retried in about ${result.nextAttemptInSeconds} seconds.` : "";
      return { ok: false, message: `${what} failed: ${why}.${next}` };
    }
    case "skipped":
      return result.reason === "endpoint_disabled"
        ? { ok: false, message: "The endpoint is disabled: enable it first." }
        : { ok: true, message: `${what} queued: it appears in the delivery log within seconds.` };
  }
}

/**
 * Counts a test event or resend to the endpoint (one upsert, in Postgres, so the limit holds across
 * instances and double clicks): the refusal's message, or null when it may go.
 */
async function manualSendRefused(tenantId: string, endpointId: string): Promise<string | null> {
  const limit = await hitRateLimit(`webhook-manual-send:${tenantId}:${endpointId}`, MANUAL_SENDS_PER_MINUTE, 60);
  if (limit.allowed) return null;
  return `Too many test events and resends to this endpoint: at most ${MANUAL_SENDS_PER_MINUTE} a minute. Try again in ${limit.retryAfterSeconds} s.`;
}

/** A `webhook.test` event to this endpoint alone, attempted right away (retried like any other if it fails). */
export async function sendTestEvent(actor: Actor, endpointId: string, options: DeliveryOptions = {}): Promise<Outcome> {
  authorize(actor, "admin");
  const refused = await manualSendRefused(actor.tenant.id, endpointId);
  if (refused) return { ok: false, message: refused };
  const now = new Date();
  const delivery = await db().transaction(async (tx): Promise<{ error: string } | { deliveryId: string }> => {
    const endpoint = await lockEndpoint(tx, actor.tenant.id, endpointId);
    if (!endpoint) return { error: ENDPOINT_NOT_FOUND };
    if (!endpoint.enabled) return { error: "The endpoint is disabled: enable it first." };
    const id = newEventId();
    const payload = JSON.stringify({
      id,
      type: TEST_EVENT_TYPE,
      created_at: now.toISOString(),
      data: { endpoint_id: endpoint.id, message: "A test event from Whop Connector: verify its signature as you would any other event." },
    });
    await tx.insert(outboundEvents).values({ tenantId: actor.tenant.id, id, type: TEST_EVENT_TYPE, payload, createdAt: now });
    const [row] = await fanOut(tx, actor.tenant.id, [{ id, type: TEST_EVENT_TYPE }], { endpointId: endpoint.id, startAfterSeconds: BACKUP_JOB_SECONDS });
    return { deliveryId: row!.id };
  });
  if ("error" in delivery) return { ok: false, message: delivery.error };
  return describeAttempt(await attemptDelivery(actor.tenant.id, delivery.deliveryId, options), "Test event");
}

/** Delivers one event to one endpoint again, right away, whatever became of it before. */
export async function resendDelivery(actor: Actor, deliveryId: string, options: DeliveryOptions = {}): Promise<Outcome> {
  authorize(actor, "admin");
  const now = new Date();
  const [found] = await db()
    .select({ endpointId: webhookDeliveries.endpointId })
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.tenantId, actor.tenant.id), eq(webhookDeliveries.id, deliveryId)));
  if (!found) return { ok: false, message: DELIVERY_NOT_FOUND };
  const refused = await manualSendRefused(actor.tenant.id, found.endpointId);
  if (refused) return { ok: false, message: refused };
  const ready = await db().transaction(async (tx): Promise<{ error: string } | { ok: true }> => {
    const endpoint = await lockEndpoint(tx, actor.tenant.id, found.endpointId);
    if (!endpoint) return { error: DELIVERY_NOT_FOUND };
    if (!endpoint.enabled) return { error: "The endpoint is disabled: enable it first." };
    const [restarted] = await tx
      .update(webhookDeliveries)
      .set({ state: "pending", retryStep: 0, nextAttemptAt: now, updatedAt: now })
      .where(
        and(
          eq(webhookDeliveries.tenantId, actor.tenant.id),
          eq(webhookDeliveries.id, deliveryId),
          // An attempt in flight finishes first.
          sql`not (${webhookDeliveries.state} = 'sending' and ${webhookDeliveries.leaseUntil} > now())`,
        ),
      )
      .returning({ id: webhookDeliveries.id });
    if (!restarted) return { error: "This event is being sent right now: wait for the attempt to finish." };
    await scheduleDelivery(tx, actor.tenant.id, deliveryId, BACKUP_JOB_SECONDS);
    return { ok: true };
  });
  if ("error" in ready) return { ok: false, message: ready.error };
  return describeAttempt(await attemptDelivery(actor.tenant.id, deliveryId, options), "Event");
}

// ---------------------------------------------------------------------------------------------
// Reads for the pages (never a ciphertext)

const endpointColumns = {
  id: webhookEndpoints.id,
  url: webhookEndpoints.url,
  eventTypes: webhookEndpoints.eventTypes,
  enabled: webhookEndpoints.enabled,
  disabledReason: webhookEndpoints.disabledReason,
  disabledAt: webhookEndpoints.disabledAt,
  failingSince: webhookEndpoints.failingSince,
  previousSecretExpiresAt: webhookEndpoints.previousSecretExpiresAt,
  createdAt: webhookEndpoints.createdAt,
};

export interface EndpointView {
  id: string;
  url: string;
  eventTypes: string[];
  enabled: boolean;
  disabledReason: string | null;
  disabledAt: Date | null;
  failingSince: Date | null;
  previousSecretExpiresAt: Date | null;
  createdAt: Date;
  /** Events it missed (while disabled, or failing before): what re-enabling offers to resend. */
  missed: number;
}

async function withMissed(tenantId: string, rows: Omit<EndpointView, "missed">[]): Promise<EndpointView[]> {
  return Promise.all(
    rows.map(async (row) => ({
      ...row,
      missed: row.enabled ? 0 : (await missedEventIds(db(), { ...row, tenantId })).length,
    })),
  );
}

export async function listEndpoints(tenantId: string): Promise<EndpointView[]> {
  const rows = await db().select(endpointColumns).from(webhookEndpoints).where(eq(webhookEndpoints.tenantId, tenantId)).orderBy(asc(webhookEndpoints.createdAt));
  return withMissed(tenantId, rows);
}

export async function getEndpoint(tenantId: string, endpointId: string): Promise<EndpointView | undefined> {
  const rows = await db().select(endpointColumns).from(webhookEndpoints).where(endpointIs(tenantId, endpointId));
  return rows.length ? (await withMissed(tenantId, rows))[0] : undefined;
}

export interface AttemptView {
  id: number;
  deliveryId: string;
  eventId: string;
  eventType: string;
  attempt: number;
  status: number | null;
  error: string | null;
  durationMs: number;
  responseBody: string | null;
  createdAt: Date;
  deliveryState: string;
  nextAttemptAt: Date | null;
}

export const ATTEMPT_LOG_SIZE = 100;

/** The delivery log's page cursor: the last attempt shown, as `created_at|id` in base64url. */
export const attemptCursorSchema = z.string().max(200).optional().catch(undefined);

function decodeAttemptCursor(text: string | undefined): { createdAt: Date; id: number } | undefined {
  if (!text) return undefined;
  const [iso, id] = Buffer.from(text, "base64url").toString("utf8").split("|");
  const createdAt = new Date(iso ?? "");
  return id && /^\d{1,18}$/.test(id) && !Number.isNaN(createdAt.getTime()) ? { createdAt, id: Number(id) } : undefined;
}

/**
 * The endpoint's delivery log, newest attempt first, with each delivery's state now: keyset pages
 * on (created_at, id), each one range of the log's index however deep it is. An unreadable cursor
 * gives the first page.
 */
export async function listEndpointAttempts(
  tenantId: string,
  endpointId: string,
  cursor?: string,
  pageSize = ATTEMPT_LOG_SIZE,
): Promise<{ attempts: AttemptView[]; nextCursor: string | null }> {
  const after = decodeAttemptCursor(cursor);
  const rows = await plannedPerRun(db(), (tx) =>
    tx
      .select({
        id: webhookDeliveryAttempts.id,
        deliveryId: webhookDeliveryAttempts.deliveryId,
        eventId: webhookDeliveryAttempts.eventId,
        eventType: webhookDeliveryAttempts.eventType,
        attempt: webhookDeliveryAttempts.attempt,
        status: webhookDeliveryAttempts.status,
        error: webhookDeliveryAttempts.error,
        durationMs: webhookDeliveryAttempts.durationMs,
        responseBody: webhookDeliveryAttempts.responseBody,
        createdAt: webhookDeliveryAttempts.createdAt,
        deliveryState: webhookDeliveries.state,
        nextAttemptAt: webhookDeliveries.nextAttemptAt,
      })
      .from(webhookDeliveryAttempts)
      .innerJoin(webhookDeliveries, and(eq(webhookDeliveries.tenantId, webhookDeliveryAttempts.tenantId), eq(webhookDeliveries.id, webhookDeliveryAttempts.deliveryId)))
      .where(
        and(
          eq(webhookDeliveryAttempts.tenantId, tenantId),
          eq(webhookDeliveryAttempts.endpointId, endpointId),
          after ? keysetBefore(webhookDeliveryAttempts.createdAt, webhookDeliveryAttempts.id, after.createdAt, after.id) : undefined,
        ),
      )
      .orderBy(desc(webhookDeliveryAttempts.createdAt), desc(webhookDeliveryAttempts.id))
      .limit(pageSize + 1),
  );
  const attempts = rows.slice(0, pageSize);
  const last = attempts[attempts.length - 1];
  return { attempts, nextCursor: rows.length > pageSize && last ? Buffer.from(`${last.createdAt.toISOString()}|${last.id}`).toString("base64url") : null };
}

/** Deliveries still waiting for their first attempt (queued), for the log's header. */
export async function countQueuedDeliveries(tenantId: string, endpointId: string): Promise<number> {
  const [row] = await db()
    .select({ count: sql<number>`count(*)::int` })
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.tenantId, tenantId), eq(webhookDeliveries.endpointId, endpointId), eq(webhookDeliveries.attempts, 0), ne(webhookDeliveries.state, "canceled")));
  return Number(row?.count ?? 0);
}
