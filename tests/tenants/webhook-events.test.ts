import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { db } from "@/db/client";
import { auditLog, tenants } from "@/db/schema";
import { ownerActor } from "@/lib/auth/actor";
import { connectWhopKey } from "@/lib/tenants/connect-whop";
import { getTenantById } from "@/lib/tenants/queries";
import {
  bringCreatedWebhooksUpToDate,
  checkWebhookEvents,
  createWebhookAutomatically,
  saveWebhookSecret,
  updateWebhookEvents,
  webhookUrl,
} from "@/lib/tenants/webhook-secret";
import { WHOP_EVENTS_APPLIED } from "@/lib/whop/events";
import { withTestDatabase } from "../db";
import { connectedMerchant } from "../fixtures";
import { withLocalSandbox } from "../sandbox";

withTestDatabase();

/*
 * The webhook must receive every event the product applies (WHOP_EVENTS_APPLIED). A webhook created
 * by an earlier version, with a shorter list, is patched (its secret stays); a merchant's own webhook
 * is reported on the integrations page and patched only when they press Update webhook events.
 */
const sandbox = withLocalSandbox();

/** The events a webhook created before refunds and disputes had their own lifecycles was given. */
const OLD_EVENTS = ["payment.succeeded", "payment.failed", "refund.created", "dispute.created", "membership.deactivated"];

type Keys = { companyId: string; companyKey: string; noWebhookKey: string };

async function merchant() {
  const company = (await (await fetch(`${sandbox.current.url}/_sandbox/companies`, { method: "POST", body: "{}" })).json()) as Keys;
  const account = await connectedMerchant();
  await connectWhopKey(ownerActor({ ...account.tenant, whopCompanyId: null }, account.user), company.companyKey);
  return { ...account, company, tenant: (await getTenantById(account.tenant.id))! };
}

async function whop<T>(key: string, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${sandbox.current.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return (await response.json()) as T;
}

type Hook = { id: string; events: string[]; webhook_secret?: string };

/** A webhook with the old list, made in Whop directly (by hand, or by an earlier version of the product). */
async function oldWebhook(m: Awaited<ReturnType<typeof merchant>>, events = OLD_EVENTS): Promise<Hook> {
  return whop<Hook>(m.company.companyKey, "POST", "/api/v1/webhooks", {
    url: webhookUrl(m.tenant),
    api_version: "v1",
    enabled: true,
    events,
    resource_id: m.company.companyId,
  });
}

const readHook = (m: Awaited<ReturnType<typeof merchant>>, id: string) => whop<Hook>(m.company.companyKey, "GET", `/api/v1/webhooks/${id}`);
const missingFrom = (events: string[]) => WHOP_EVENTS_APPLIED.filter((event) => !events.includes(event));

describe("webhooks the product created", () => {
  it("a new one is given every applied event and the list is kept, so no later run asks Whop", async () => {
    const m = await merchant();
    const created = await createWebhookAutomatically(ownerActor(m.tenant, m.user));
    if (!created.ok) throw new Error(created.message);
    expect((await readHook(m, created.webhookId)).events).toEqual([...WHOP_EVENTS_APPLIED]);
    expect((await getTenantById(m.tenant.id))!.whopWebhookEvents).toEqual([...WHOP_EVENTS_APPLIED]);

    const report = await bringCreatedWebhooksUpToDate();
    expect(report.failed.filter((f) => f.tenantId === m.tenant.id)).toEqual([]);
    expect(await checkWebhookEvents((await getTenantById(m.tenant.id))!)).toEqual({ state: "up_to_date", webhookId: created.webhookId, source: "created" });
  });

  it("an earlier one with a shorter list is patched by the batch run: the events added, the merchant's extras and the secret kept, audited without an actor", async () => {
    const m = await merchant();
    const hook = await oldWebhook(m, [...OLD_EVENTS, "invoice.paid"]);
    expect((await saveWebhookSecret(ownerActor(m.tenant, m.user), hook.webhook_secret!)).ok).toBe(true);
    // As an earlier version left it: the hook id stored, its events not known.
    await db().update(tenants).set({ whopWebhookId: hook.id, whopWebhookEvents: null }).where(eq(tenants.id, m.tenant.id));
    const before = (await getTenantById(m.tenant.id))!;

    const first = await bringCreatedWebhooksUpToDate();
    expect(first.failed.filter((f) => f.tenantId === m.tenant.id)).toEqual([]);
    expect(first.updated).toBeGreaterThanOrEqual(1);

    const patched = await readHook(m, hook.id);
    expect(missingFrom(patched.events)).toEqual([]);
    expect(patched.events).toContain("invoice.paid");
    const after = (await getTenantById(m.tenant.id))!;
    expect(after.webhookSecretCiphertext).toBe(before.webhookSecretCiphertext);
    expect(after.whopWebhookEvents).toEqual(expect.arrayContaining([...WHOP_EVENTS_APPLIED]));

    const [entry] = await db().select().from(auditLog).where(and(eq(auditLog.tenantId, m.tenant.id), eq(auditLog.action, "webhook.events_updated")));
    expect(entry).toMatchObject({ actorUserId: null, detail: { webhookId: hook.id, source: "created", added: missingFrom(OLD_EVENTS) } });

    // Known to be complete now: the next run leaves this tenant alone.
    await whop(m.company.companyKey, "PATCH", `/api/v1/webhooks/${hook.id}`, { events: OLD_EVENTS });
    await bringCreatedWebhooksUpToDate();
    expect(missingFrom((await readHook(m, hook.id)).events)).toEqual(missingFrom(OLD_EVENTS));
  });

  it("a key without developer:manage_webhook: the run reports what to tick by hand and changes nothing", async () => {
    const m = await merchant();
    const hook = await oldWebhook(m);
    await db().update(tenants).set({ whopWebhookId: hook.id, whopWebhookEvents: null }).where(eq(tenants.id, m.tenant.id));
    await connectWhopKey(ownerActor((await getTenantById(m.tenant.id))!, m.user), m.company.noWebhookKey);

    const report = await bringCreatedWebhooksUpToDate();
    const failure = report.failed.find((f) => f.tenantId === m.tenant.id);
    expect(failure?.message).toContain("developer:manage_webhook");
    expect(failure?.message).toContain("refund.updated");
    expect((await readHook(m, hook.id)).events).toEqual(OLD_EVENTS);
    expect((await getTenantById(m.tenant.id))!.whopWebhookEvents).toBeNull();
  });
});

describe("the merchant's own webhook", () => {
  it("the integrations page lists the events it lacks; Update webhook events adds them, audited with the merchant", async () => {
    const m = await merchant();
    const hook = await oldWebhook(m);
    expect((await saveWebhookSecret(ownerActor(m.tenant, m.user), hook.webhook_secret!)).ok).toBe(true);
    const tenant = (await getTenantById(m.tenant.id))!;

    expect(await checkWebhookEvents(tenant)).toEqual({ state: "missing", webhookId: hook.id, source: "found_by_url", missing: missingFrom(OLD_EVENTS) });
    // The batch run never touches a webhook the merchant made.
    await bringCreatedWebhooksUpToDate();
    expect((await readHook(m, hook.id)).events).toEqual(OLD_EVENTS);

    const result = await updateWebhookEvents({ ...ownerActor(tenant, m.user), ip: "203.0.113.9" });
    expect(result).toEqual({ ok: true, changed: true, webhookId: hook.id, added: missingFrom(OLD_EVENTS) });
    expect(missingFrom((await readHook(m, hook.id)).events)).toEqual([]);
    expect(await checkWebhookEvents(tenant)).toMatchObject({ state: "up_to_date", source: "found_by_url" });
    expect(await updateWebhookEvents(ownerActor(tenant, m.user))).toEqual({ ok: true, changed: false, webhookId: hook.id });
    const [entry] = await db().select().from(auditLog).where(and(eq(auditLog.tenantId, m.tenant.id), eq(auditLog.action, "webhook.events_updated")));
    expect(entry).toMatchObject({ actorUserId: m.user.id, ip: "203.0.113.9", detail: { webhookId: hook.id, source: "found_by_url" } });
    // Only the webhook the product created has its list kept.
    expect((await getTenantById(m.tenant.id))!.whopWebhookEvents).toBeNull();
  });

  it("without the permission the page says which events to tick, and the update refuses with the same advice", async () => {
    const m = await merchant();
    const hook = await oldWebhook(m);
    expect((await saveWebhookSecret(ownerActor(m.tenant, m.user), hook.webhook_secret!)).ok).toBe(true);
    await connectWhopKey(ownerActor((await getTenantById(m.tenant.id))!, m.user), m.company.noWebhookKey);
    const tenant = (await getTenantById(m.tenant.id))!;

    const check = await checkWebhookEvents(tenant);
    expect(check.state).toBe("unavailable");
    expect(check.state === "unavailable" && check.message).toMatch(/lacks the developer:manage_webhook permission.*make sure these events are ticked: payment\.succeeded/);
    const result = await updateWebhookEvents(ownerActor(tenant, m.user));
    expect(result.ok).toBe(false);
    expect(!result.ok && result.message).toContain("developer:manage_webhook");
    expect((await readHook(m, hook.id)).events).toEqual(OLD_EVENTS);
  });

  it("no webhook with the tenant's URL: nothing to check, and the update says to create one", async () => {
    const m = await merchant();
    await db().update(tenants).set({ webhookSecretCiphertext: "v1:placeholder" }).where(eq(tenants.id, m.tenant.id));
    const tenant = (await getTenantById(m.tenant.id))!;
    expect(await checkWebhookEvents(tenant)).toEqual({ state: "not_found" });
    const result = await updateWebhookEvents(ownerActor(tenant, m.user));
    expect(!result.ok && result.message).toMatch(/^Whop lists no webhook for your webhook URL/);
  });
});
