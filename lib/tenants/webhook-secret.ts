import { normalizeEventName, WHOP_EVENTS_APPLIED } from "@/lib/whop/events";
import type { Actor } from "@/lib/auth/actor";
import { authorize } from "@/lib/auth/roles";
import { and, arrayContains, eq, isNotNull, isNull, not, or } from "drizzle-orm";
import { db } from "@/db/client";
import { tenants, type Tenant } from "@/db/schema";
import { recordAudit, type AuditAction } from "@/lib/audit/log";
import { decryptSecret, encryptSecret, keyHint, type SecretField } from "@/lib/crypto/secrets";
import { env } from "@/lib/env";
import { logger } from "@/lib/logger";
import { resolveProblems } from "@/lib/problems/report";
import { isConnected } from "@/lib/tenants/queries";
import { whopClientForTenant } from "@/lib/tenants/whop";
import { isWhopApiError, type WhopClient, type WhopWebhook, type WhopWebhookEndpoint } from "@/lib/whop/client";
import { describeWebhookEventsProblem, describeWhopProblem, OPTIONAL_PERMISSIONS } from "@/lib/whop/messages";
import { forgetWebhookVerifier } from "./webhook-verification";

/**
 * The tenant's webhook secret: pasted by the merchant (webhook created by hand in Whop) or
 * returned by Whop when we create the webhook through the API. A new secret keeps the previous
 * one valid for a while, so deliveries signed with the old secret (retries, or a Whop-side
 * rotation still propagating) are not rejected during the switch.
 */

/** How long a replaced secret is still accepted. */
export const PREVIOUS_SECRET_GRACE_MS = 24 * 60 * 60 * 1000;


/** The permission "Create webhook automatically" needs on the merchant's key. */
export const WEBHOOK_PERMISSION = OPTIONAL_PERMISSIONS[0];

export type SaveWebhookSecretResult =
  | { ok: true; changed: boolean; secretHint: string; previousAcceptedUntil: Date | null }
  | { ok: false; message: string };

export type CreateWebhookResult =
  | { ok: true; webhookId: string; secretHint: string; previousAcceptedUntil: Date | null }
  | { ok: false; message: string };


/** The tenant's endpoint; the public id is opaque and unguessable, never the primary key. */
export function webhookUrl(tenant: Pick<Tenant, "publicId">): string {
  return `${env().appUrl}/api/webhooks/whop/${tenant.publicId}`;
}

// ---------------------------------------------------------------------------------------------
// Offline checks on a pasted secret

const MIN_LENGTH = 16;
const MAX_LENGTH = 256;
/** Invisible characters that ride along with copy-paste and are never part of a secret. */
const INVISIBLE = /[\u200B-\u200D\u2060\uFEFF\u00AD]/g;
const SECRET_CHARSET = /^[A-Za-z0-9_\-.+/=]+$/;
const WHOP_ID = /^(biz|user|plan|pay|prod|mem|ch|hook|pass|msg|exp|app)_[A-Za-z0-9]{1,24}$/;
const WHERE_TO_FIND = "Whop shows the secret once, right after you create the webhook (Developer → Webhooks); it starts with ws_.";

export type WebhookSecretFormat = { ok: true; secret: string } | { ok: false; message: string };

export function checkWebhookSecretFormat(raw: string): WebhookSecretFormat {
  let secret = raw.replace(INVISIBLE, "").trim();
  // A value copied from a .env file or a code sample often keeps its quotes.
  const quoted = secret.match(/^(["'`])(.*)\1$/s);
  if (quoted) secret = (quoted[2] ?? "").trim();

  if (secret === "") return { ok: false, message: `Paste the webhook secret. ${WHERE_TO_FIND}` };
  if (secret.startsWith("apik_")) {
    return {
      ok: false,
      message: `That is an API key, not a webhook secret. Never paste your API key here. ${WHERE_TO_FIND}`,
    };
  }
  const id = secret.match(WHOP_ID);
  if (id) {
    return {
      ok: false,
      message: `That looks like a Whop id (${id[1]}_…), not the webhook secret. ${WHERE_TO_FIND}`,
    };
  }
  if (/\s/.test(secret)) {
    return { ok: false, message: "The secret contains spaces or line breaks. Copy it again from Whop as one piece." };
  }
  if (!SECRET_CHARSET.test(secret)) {
    return {
      ok: false,
      message: "That doesn't look like a webhook secret: it contains characters a secret never has. Copy it again from Whop.",
    };
  }
  if (secret.length < MIN_LENGTH) {
    return { ok: false, message: `That is too short to be a webhook secret; make sure you copied all of it. ${WHERE_TO_FIND}` };
  }
  if (secret.length > MAX_LENGTH) {
    return { ok: false, message: `That is too long to be a webhook secret. ${WHERE_TO_FIND}` };
  }
  return { ok: true, secret };
}

// ---------------------------------------------------------------------------------------------
// Use cases

/** Saves a secret the merchant pasted (webhook created by hand in Whop's dashboard). */
export async function saveWebhookSecret(actor: Actor, pastedSecret: string): Promise<SaveWebhookSecretResult> {
  authorize(actor, "admin");
  const { tenant, userId: actorUserId, ip } = actor;
  const format = checkWebhookSecretFormat(pastedSecret);
  if (!format.ok) return { ok: false, message: format.message };
  const stored = await storeWebhookSecret({ tenantId: tenant.id, actorUserId, ip, secret: format.secret, action: "webhook.secret_saved" });
  return { ok: true, ...stored };
}

/**
 * Creates the tenant's webhook through `POST /api/v1/webhooks` with the merchant's key and stores
 * the returned secret (shown by Whop only in that response) with the hook id. Nothing is stored
 * when Whop refuses.
 */
export async function createWebhookAutomatically(actor: Actor): Promise<CreateWebhookResult> {
  authorize(actor, "admin");
  const { tenant, userId: actorUserId, ip } = actor;
  if (!isConnected(tenant) || !tenant.whopCompanyId) {
    return { ok: false, message: "Connect your Whop company first: the webhook is created with your company API key." };
  }

  let hook: WhopWebhook;
  try {
    hook = await whopClientForTenant(tenant).createWebhook({
      url: webhookUrl(tenant),
      resourceId: tenant.whopCompanyId,
      events: [...WHOP_EVENTS_APPLIED],
      apiVersion: "v1",
    });
  } catch (error) {
    return { ok: false, message: describeCreateWebhookProblem(error, tenant) };
  }

  try {
    const stored = await storeWebhookSecret({
      tenantId: tenant.id,
      actorUserId,
      ip,
      secret: hook.secret,
      action: "webhook.auto_created",
      webhookId: hook.id,
      webhookEvents: [...WHOP_EVENTS_APPLIED],
    });
    return { ok: true, webhookId: hook.id, secretHint: stored.secretHint, previousAcceptedUntil: stored.previousAcceptedUntil };
  } catch (error) {
    // Whop shows the secret only once: without it this webhook can never be verified.
    logger.error({ err: error, tenantId: tenant.id, webhookId: hook.id }, "created a Whop webhook but could not store its secret");
    return {
      ok: false,
      message: `Whop created the webhook (${hook.id}), but we could not save its secret. Delete that webhook in Whop (Developer → Webhooks), then try again.`,
    };
  }
}

/**
 * The secrets a delivery may be signed with: the current one, then the previous one while its
 * grace period lasts. Empty when none is saved. A secret that no configured encryption key opens
 * throws (a configuration problem the operator must see, not a silent rejection).
 */
export function webhookSecretsForVerification(tenant: Tenant, now: Date = new Date()): string[] {
  const secrets: string[] = [];
  if (tenant.webhookSecretCiphertext) secrets.push(open(tenant, "webhook_secret", tenant.webhookSecretCiphertext));
  if (
    tenant.webhookSecretPreviousCiphertext &&
    tenant.webhookSecretPreviousExpiresAt &&
    tenant.webhookSecretPreviousExpiresAt.getTime() > now.getTime()
  ) {
    secrets.push(open(tenant, "webhook_secret_previous", tenant.webhookSecretPreviousCiphertext));
  }
  return secrets;
}

export interface WebhookSecretSummary {
  saved: boolean;
  /** Last four characters of the current secret; null when none is saved or it cannot be decrypted. */
  secretHint: string | null;
  /** When the replaced secret stops being accepted; null when there is none (or it expired). */
  previousAcceptedUntil: Date | null;
  /** Set when we created the webhook through the API. */
  webhookId: string | null;
}

/** What the integration page may show about the secret: never more than its last four characters. */
export function webhookSecretSummary(tenant: Tenant, now: Date = new Date()): WebhookSecretSummary {
  let secretHint: string | null = null;
  if (tenant.webhookSecretCiphertext) {
    try {
      secretHint = keyHint(open(tenant, "webhook_secret", tenant.webhookSecretCiphertext));
    } catch {
      secretHint = null;
    }
  }
  const previousLive =
    tenant.webhookSecretPreviousCiphertext !== null &&
    tenant.webhookSecretPreviousExpiresAt !== null &&
    tenant.webhookSecretPreviousExpiresAt.getTime() > now.getTime();
  return {
    saved: tenant.webhookSecretCiphertext !== null,
    secretHint,
    previousAcceptedUntil: previousLive ? tenant.webhookSecretPreviousExpiresAt : null,
    webhookId: tenant.whopWebhookId,
  };
}

// ---------------------------------------------------------------------------------------------
// The webhook's events: every event the product applies must reach it

/** How a webhook was identified as this tenant's. */
export type WebhookSource = "created" | "found_by_url";

export type WebhookEventsCheck =
  /** Not connected, or no secret saved yet (the setup steps on the page list every event). */
  | { state: "not_checked" }
  /** Whop lists no webhook we created and none with the tenant's URL. */
  | { state: "not_found" }
  | { state: "up_to_date"; webhookId: string; source: WebhookSource }
  | { state: "missing"; webhookId: string; source: WebhookSource; missing: string[] }
  /** Whop could not be asked; `message` says why and, without the permission, what to tick by hand. */
  | { state: "unavailable"; message: string };

export type UpdateWebhookEventsResult =
  | { ok: true; changed: false; webhookId: string }
  | { ok: true; changed: true; webhookId: string; added: string[] }
  | { ok: false; message: string };

/** The page waits for Whop while it renders: a short, single attempt. */
const PAGE_CHECK = { timeoutMs: 4_000, maxRetries: 0 } as const;
const WEBHOOK_PAGE_SIZE = 50;
const MAX_WEBHOOK_PAGES = 5;

/** The applied events a webhook's list lacks, compared by normalised name, in the applied list's order. */
export function missingWebhookEvents(events: readonly string[]): string[] {
  const subscribed = new Set(events.map(normalizeEventName));
  return WHOP_EVENTS_APPLIED.filter((event) => !subscribed.has(event));
}

/**
 * What the integrations page says about the tenant's webhook: the one we created
 * (tenants.whop_webhook_id) or one whose URL is the tenant's endpoint. Never throws.
 */
export async function checkWebhookEvents(tenant: Tenant): Promise<WebhookEventsCheck> {
  if (!isConnected(tenant) || !tenant.whopCompanyId || !tenant.webhookSecretCiphertext) return { state: "not_checked" };
  try {
    const found = await findTenantWebhook(tenant, whopClientForTenant(tenant, PAGE_CHECK));
    if (!found) return { state: "not_found" };
    const missing = missingWebhookEvents(found.hook.events);
    return missing.length === 0
      ? { state: "up_to_date", webhookId: found.hook.id, source: found.source }
      : { state: "missing", webhookId: found.hook.id, source: found.source, missing };
  } catch (error) {
    logger.warn({ err: error, tenantId: tenant.id }, "could not read the tenant's Whop webhook");
    return { state: "unavailable", message: describeWebhookEventsProblem(error, { operation: "webhook_read", eventsToTick: WHOP_EVENTS_APPLIED, tenant }) };
  }
}

/**
 * **Update webhook events**: adds the applied events the tenant's webhook lacks with
 * `PATCH /api/v1/webhooks/{id}`. The secret stays (Whop keeps signing with it), so nothing is stored
 * but the audit row. Events the merchant added beyond the applied list are kept.
 */
export async function updateWebhookEvents(actor: Actor): Promise<UpdateWebhookEventsResult> {
  authorize(actor, "admin");
  const { tenant, userId: actorUserId, ip } = actor;
  if (!isConnected(tenant) || !tenant.whopCompanyId) {
    return { ok: false, message: "Connect your Whop company first: the webhook is updated with your company API key." };
  }
  const client = whopClientForTenant(tenant);
  let found: FoundWebhook | null;
  try {
    found = await findTenantWebhook(tenant, client);
  } catch (error) {
    return { ok: false, message: describeWebhookEventsProblem(error, { operation: "webhook_read", eventsToTick: WHOP_EVENTS_APPLIED, tenant }) };
  }
  if (!found) {
    return {
      ok: false,
      message: `Whop lists no webhook for your webhook URL (${webhookUrl(tenant)}). Create it automatically or by hand with the steps on this page.`,
    };
  }
  return patchMissingEvents(tenant, client, found, { actorUserId, ip });
}

/**
 * Brings the webhook the product created (tenants.whop_webhook_id) up to date when the applied list
 * grew: for jobs, with no merchant behind the call (audited without an actor). A tenant without a
 * created webhook is left alone (null): a webhook made by hand is only changed when the merchant asks.
 */
export async function bringCreatedWebhookUpToDate(tenant: Tenant): Promise<UpdateWebhookEventsResult | null> {
  if (!isConnected(tenant) || !tenant.whopWebhookId) return null;
  const client = whopClientForTenant(tenant);
  let hook: WhopWebhookEndpoint;
  try {
    hook = await client.getWebhook(tenant.whopWebhookId);
  } catch (error) {
    return { ok: false, message: describeWebhookEventsProblem(error, { operation: "webhook_read", eventsToTick: WHOP_EVENTS_APPLIED, tenant }) };
  }
  return patchMissingEvents(tenant, client, { hook, source: "created" }, { actorUserId: null, ip: null });
}

export interface CreatedWebhooksReport {
  checked: number;
  updated: number;
  failed: { tenantId: string; message: string }[];
}

/**
 * Every connected tenant whose created webhook may lack an applied event — its kept event list
 * (tenants.whop_webhook_events) is unknown or lacks one — is read from Whop and patched. Tenants
 * whose list is known to be complete cost no Whop call, so this runs with every reconciliation.
 */
export async function bringCreatedWebhooksUpToDate(): Promise<CreatedWebhooksReport> {
  const stale = await db()
    .select()
    .from(tenants)
    .where(
      and(
        isNotNull(tenants.whopWebhookId),
        isNotNull(tenants.whopApiKeyCiphertext),
        or(isNull(tenants.whopWebhookEvents), not(arrayContains(tenants.whopWebhookEvents, [...WHOP_EVENTS_APPLIED]))),
      ),
    );
  const report: CreatedWebhooksReport = { checked: 0, updated: 0, failed: [] };
  for (const tenant of stale) {
    let result: UpdateWebhookEventsResult | null;
    try {
      result = await bringCreatedWebhookUpToDate(tenant);
    } catch (error) {
      // One tenant's unreadable key (or a database hiccup) must not stop the others' updates.
      logger.warn({ err: error, tenantId: tenant.id }, "could not bring the tenant's created webhook up to date");
      result = { ok: false, message: (error as Error).message };
    }
    if (!result) continue;
    report.checked++;
    if (!result.ok) report.failed.push({ tenantId: tenant.id, message: result.message });
    else if (result.changed) report.updated++;
  }
  return report;
}

interface FoundWebhook {
  hook: WhopWebhookEndpoint;
  source: WebhookSource;
}

/** The webhook we created, else (it was deleted in Whop, or never ours) the first one listed with the tenant's URL. */
async function findTenantWebhook(tenant: Tenant, client: WhopClient): Promise<FoundWebhook | null> {
  if (tenant.whopWebhookId) {
    try {
      return { hook: await client.getWebhook(tenant.whopWebhookId), source: "created" };
    } catch (error) {
      if (!(isWhopApiError(error) && error.kind === "not_found")) throw error;
    }
  }
  const url = sameUrl(webhookUrl(tenant));
  let after: string | undefined;
  for (let page = 0; page < MAX_WEBHOOK_PAGES; page++) {
    const result = await client.listWebhooks({ companyId: tenant.whopCompanyId!, first: WEBHOOK_PAGE_SIZE, after });
    const match = result.data.find((hook) => hook.url !== null && sameUrl(hook.url) === url);
    if (match) return { hook: match, source: "found_by_url" };
    if (!result.pageInfo.hasNextPage || !result.pageInfo.endCursor) break;
    after = result.pageInfo.endCursor;
  }
  return null;
}

const sameUrl = (url: string): string => url.trim().replace(/\/+$/, "");

/** Remembers the events Whop lists for the webhook the product created (only that one: a hand-made webhook is not tracked). */
async function keepCreatedWebhookEvents(tenant: Tenant, webhookId: string, events: string[]): Promise<void> {
  if (webhookId !== tenant.whopWebhookId) return;
  await db()
    .update(tenants)
    .set({ whopWebhookEvents: events.map(normalizeEventName) })
    .where(and(eq(tenants.id, tenant.id), eq(tenants.whopWebhookId, webhookId)));
}

async function patchMissingEvents(
  tenant: Tenant,
  client: WhopClient,
  { hook, source }: FoundWebhook,
  actor: { actorUserId: string | null; ip: string | null },
): Promise<UpdateWebhookEventsResult> {
  const missing = missingWebhookEvents(hook.events);
  if (missing.length === 0) {
    await keepCreatedWebhookEvents(tenant, hook.id, hook.events);
    return { ok: true, changed: false, webhookId: hook.id };
  }

  // PATCH replaces the whole list: the applied events, then whatever else the webhook had.
  const applied = new Set<string>(WHOP_EVENTS_APPLIED);
  const events = [...WHOP_EVENTS_APPLIED, ...hook.events.filter((event) => !applied.has(normalizeEventName(event)))];
  let updated: { id: string; events: string[] };
  try {
    updated = await client.updateWebhook({ id: hook.id, events });
  } catch (error) {
    return { ok: false, message: describeWebhookEventsProblem(error, { operation: "webhook_update", eventsToTick: missing, tenant }) };
  }

  const stillMissing = missingWebhookEvents(updated.events);
  const added = missing.filter((event) => !stillMissing.includes(event));
  await keepCreatedWebhookEvents(tenant, hook.id, updated.events);
  if (added.length > 0) {
    await recordAudit(db(), {
      tenantId: tenant.id,
      actorUserId: actor.actorUserId,
      action: "webhook.events_updated",
      ip: actor.ip,
      detail: { webhookId: hook.id, source, added },
    });
  }
  if (stillMissing.length > 0) {
    logger.warn({ tenantId: tenant.id, webhookId: hook.id, stillMissing }, "Whop kept events off the webhook after the update");
    return {
      ok: false,
      message: `Whop updated webhook ${hook.id} but it still lacks these events: ${stillMissing.join(", ")}. Tick them in your Whop dashboard (Developer → Webhooks → edit the webhook).`,
    };
  }
  return { ok: true, changed: true, webhookId: hook.id, added };
}

// ---------------------------------------------------------------------------------------------

function open(tenant: Pick<Tenant, "id">, field: SecretField, ciphertext: string): string {
  return decryptSecret(ciphertext, { tenantId: tenant.id, field }, env().encryptionKeys);
}

interface StoreInput {
  tenantId: string;
  actorUserId: string;
  ip: string | null;
  secret: string;
  action: Extract<AuditAction, "webhook.secret_saved" | "webhook.auto_created">;
  webhookId?: string;
  /** The events the created webhook was given (with webhookId). */
  webhookEvents?: string[];
}

/**
 * One transaction: the current secret (if any) becomes the previous one for 24 h, the new one
 * becomes current, audit, and the "secret missing" problem is resolved. The row is locked and
 * read inside the transaction, so two saves at once cannot lose a secret.
 */
async function storeWebhookSecret(input: StoreInput): Promise<{ changed: boolean; secretHint: string; previousAcceptedUntil: Date | null }> {
  const { encryptionKeys } = env();
  const { tenantId, secret } = input;
  const secretHint = keyHint(secret);

  const stored = await db().transaction(async (tx) => {
    const [current] = await tx.select().from(tenants).where(eq(tenants.id, tenantId)).for("update");
    if (!current) throw new Error(`Tenant ${tenantId} not found`);
    const now = new Date();

    let currentSecret: string | null = null;
    if (current.webhookSecretCiphertext) {
      try {
        currentSecret = open(current, "webhook_secret", current.webhookSecretCiphertext);
      } catch (error) {
        logger.warn({ err: error, tenantId }, "stored webhook secret cannot be decrypted; replacing it without keeping it");
      }
    }

    const sameSecret = currentSecret === secret;
    const sameHook = input.webhookId === undefined || input.webhookId === current.whopWebhookId;
    if (sameSecret && sameHook) {
      await resolveProblems(tenantId, ["webhook_secret_missing"], tx);
      const previousLive = current.webhookSecretPreviousExpiresAt && current.webhookSecretPreviousExpiresAt > now;
      return { changed: false, secretHint, previousAcceptedUntil: previousLive ? current.webhookSecretPreviousExpiresAt : null };
    }

    // An unreadable current secret cannot verify anything, so only a readable one is kept.
    let previous: { ciphertext: string | null; expiresAt: Date | null } = {
      ciphertext: current.webhookSecretPreviousCiphertext,
      expiresAt: current.webhookSecretPreviousExpiresAt,
    };
    if (currentSecret !== null && !sameSecret) {
      // The AAD binds the field: the ciphertext must be re-encrypted for its new column.
      previous = {
        ciphertext: encryptSecret(currentSecret, { tenantId, field: "webhook_secret_previous" }, encryptionKeys),
        expiresAt: new Date(now.getTime() + PREVIOUS_SECRET_GRACE_MS),
      };
    }

    await tx
      .update(tenants)
      .set({
        webhookSecretCiphertext: encryptSecret(secret, { tenantId, field: "webhook_secret" }, encryptionKeys),
        webhookSecretPreviousCiphertext: previous.ciphertext,
        webhookSecretPreviousExpiresAt: previous.expiresAt,
        ...(input.webhookId !== undefined && { whopWebhookId: input.webhookId, whopWebhookEvents: input.webhookEvents ?? null }),
        updatedAt: now,
      })
      .where(eq(tenants.id, tenantId));
    await recordAudit(tx, {
      tenantId,
      actorUserId: input.actorUserId,
      action: input.action,
      ip: input.ip,
      detail: {
        secretHint,
        previousSecretHint: currentSecret === null ? null : keyHint(currentSecret),
        ...(input.webhookId !== undefined && { webhookId: input.webhookId }),
      },
    });
    await resolveProblems(tenantId, ["webhook_secret_missing"], tx);

    const previousLive = previous.ciphertext !== null && previous.expiresAt !== null && previous.expiresAt > now;
    return { changed: true, secretHint, previousAcceptedUntil: previousLive ? previous.expiresAt : null };
  });
  // This instance verifies with the new secret from its next delivery (others re-read on a failed check).
  if (stored.changed) forgetWebhookVerifier(tenantId);
  return stored;
}

function describeCreateWebhookProblem(error: unknown, tenant: Pick<Tenant, "environment">): string {
  if (isWhopApiError(error) && (error.kind === "forbidden" || error.kind === "missing_permissions") && !error.notCompanyKey) {
    return (
      `Your Whop API key lacks the ${WEBHOOK_PERMISSION} permission, so we could not create the webhook. Nothing was saved. ` +
      `Either give the key that permission in Whop (Developer → Company API keys → edit the key) and press Create webhook automatically again, ` +
      `or create the webhook by hand with the steps on this page and paste its secret under Webhook secret.`
    );
  }
  return `${describeWhopProblem(error, { tenant, operation: "webhook" })} Nothing was saved.`;
}
