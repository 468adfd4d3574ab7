import { WHOP_EVENTS_APPLIED } from "@/lib/whop/events";
import { and, eq, sql } from "drizzle-orm";
import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { db, selectRows } from "@/db/client";
import { auditLog, problems, tenants, webhookEvents, webhookRejections } from "@/db/schema";
import { decryptSecret } from "@/lib/crypto/secrets";
import { env } from "@/lib/env";
import { randomBase62 } from "@/lib/ids";
import { reportProblem } from "@/lib/problems/report";
import { getTenantById } from "@/lib/tenants/queries";
import {
  createWebhookAutomatically,
  saveWebhookSecret,

  webhookSecretsForVerification,
  webhookSecretSummary,
  webhookUrl,
} from "@/lib/tenants/webhook-secret";
import { webhookStatus } from "@/lib/tenants/webhook-status";
import { connectedMerchant } from "../fixtures";
import { withTestDatabase } from "../db";

withTestDatabase();

const ORIGIN = env().whopApiOrigin;
const HOUR = 60 * 60 * 1000;
const newSecret = () => `ws_${randomBase62(40)}`;

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

async function reload(tenantId: string) {
  return (await getTenantById(tenantId))!;
}

async function tenantRowText(tenantId: string): Promise<string> {
  const [row] = await selectRows<{ dump: string }>(sql`select row_to_json(t)::text as dump from tenants t where t.id = ${tenantId}`);
  return row!.dump;
}

async function auditActions(tenantId: string) {
  return db().select().from(auditLog).where(eq(auditLog.tenantId, tenantId));
}

describe("saving a pasted webhook secret", () => {
  it("stores it encrypted, bound to the tenant and field, audits its last four characters and resolves the problem", async () => {
    const { tenant, actor } = await connectedMerchant();
    await reportProblem(tenant.id, "webhook_secret_missing", "No webhook secret saved");
    const secret = newSecret();

    const result = await saveWebhookSecret({ ...actor, ip: "203.0.113.7" }, `  ${secret}\n`);
    expect(result).toEqual({ ok: true, changed: true, secretHint: secret.slice(-4), previousAcceptedUntil: null });

    const stored = await reload(tenant.id);
    expect(stored.webhookSecretCiphertext).not.toBeNull();
    expect(stored.webhookSecretPreviousCiphertext).toBeNull();
    expect(decryptSecret(stored.webhookSecretCiphertext!, { tenantId: tenant.id, field: "webhook_secret" }, env().encryptionKeys)).toBe(secret);
    expect(() => decryptSecret(stored.webhookSecretCiphertext!, { tenantId: tenant.id, field: "webhook_secret_previous" }, env().encryptionKeys)).toThrow();
    const row = await tenantRowText(tenant.id);
    expect(row).not.toContain(secret);
    expect(row).not.toContain(secret.slice(3, 30));

    const audit = (await auditActions(tenant.id)).find((a) => a.action === "webhook.secret_saved");
    expect(audit).toMatchObject({ actorUserId: actor.userId, ip: "203.0.113.7", detail: { secretHint: secret.slice(-4) } });
    expect(JSON.stringify(audit?.detail)).not.toContain(secret.slice(0, -4));

    const [problem] = await db()
      .select()
      .from(problems)
      .where(and(eq(problems.tenantId, tenant.id), eq(problems.kind, "webhook_secret_missing")));
    expect(problem?.resolvedAt).toBeInstanceOf(Date);

    expect(webhookSecretSummary(stored)).toEqual({ saved: true, secretHint: secret.slice(-4), previousAcceptedUntil: null, webhookId: null });
  });

  it("keeps the first secret as the previous one for 24 hours, and verification accepts both", async () => {
    const { tenant, actor } = await connectedMerchant();
    const first = newSecret();
    const second = newSecret();
    await saveWebhookSecret(actor, first);

    const before = Date.now();
    const result = await saveWebhookSecret({ ...actor, tenant: await reload(tenant.id) }, second);
    expect(result.ok && result.changed).toBe(true);

    const stored = await reload(tenant.id);
    const expiresAt = stored.webhookSecretPreviousExpiresAt!.getTime();
    expect(expiresAt).toBeGreaterThanOrEqual(before + 24 * HOUR - 1000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 24 * HOUR + 1000);
    expect(result.ok && result.previousAcceptedUntil?.getTime()).toBe(expiresAt);
    expect(decryptSecret(stored.webhookSecretPreviousCiphertext!, { tenantId: tenant.id, field: "webhook_secret_previous" }, env().encryptionKeys)).toBe(first);

    expect(webhookSecretsForVerification(stored)).toEqual([second, first]);
    expect(webhookSecretsForVerification(stored, new Date(expiresAt + 1))).toEqual([second]);
    expect(webhookSecretSummary(stored, new Date(expiresAt + 1)).previousAcceptedUntil).toBeNull();
  });

  it("does not return a previous secret once it expired", async () => {
    const { tenant, actor } = await connectedMerchant();
    const first = newSecret();
    const second = newSecret();
    await saveWebhookSecret(actor, first);
    await saveWebhookSecret(actor, second);
    await db()
      .update(tenants)
      .set({ webhookSecretPreviousExpiresAt: new Date(Date.now() - 1000) })
      .where(eq(tenants.id, tenant.id));
    expect(webhookSecretsForVerification(await reload(tenant.id))).toEqual([second]);
  });

  it("treats saving the current secret again as a no-op that keeps the rotation window as it was", async () => {
    const { tenant, actor } = await connectedMerchant();
    const secret = newSecret();
    await saveWebhookSecret(actor, secret);
    const saved = await reload(tenant.id);

    const result = await saveWebhookSecret(actor, secret);
    expect(result).toEqual({ ok: true, changed: false, secretHint: secret.slice(-4), previousAcceptedUntil: null });
    const after = await reload(tenant.id);
    expect(after.webhookSecretCiphertext).toBe(saved.webhookSecretCiphertext);
    expect(after.webhookSecretPreviousCiphertext).toBeNull();
    expect((await auditActions(tenant.id)).filter((a) => a.action === "webhook.secret_saved")).toHaveLength(1);
  });

  it("refuses an API key pasted as the secret and stores nothing", async () => {
    const { tenant, actor } = await connectedMerchant();
    const apiKey = `apik_${randomBase62(30)}`;
    const result = await saveWebhookSecret(actor, apiKey);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.message).toMatch(/^That is an API key, not a webhook secret/);
    const stored = await reload(tenant.id);
    expect(stored.webhookSecretCiphertext).toBeNull();
    expect(await tenantRowText(tenant.id)).not.toContain(apiKey);
    expect((await auditActions(tenant.id)).some((a) => a.action.startsWith("webhook."))).toBe(false);
  });

  it.each([
    ["", /Paste the webhook secret/],
    ["ws_short", /too short/],
    [`ws_${"a".repeat(300)}`, /too long/],
    ["ws_abc def ghi jkl mno pqr", /spaces or line breaks/],
    ["ws_abcdefghijklmnop<script>", /characters a secret never has/],
    ["hook_Abc123Def4567", /Whop id \(hook_…\)/],
  ])("refuses %j with a message that says what is wrong", async (value, message) => {
    const { tenant, actor } = await connectedMerchant();
    const result = await saveWebhookSecret(actor, value);
    expect(!result.ok && result.message).toMatch(message);
    expect((await reload(tenant.id)).webhookSecretCiphertext).toBeNull();
  });

  it("never touches another tenant's secret", async () => {
    const a = await connectedMerchant();
    const b = await connectedMerchant();
    const secretB = newSecret();
    await saveWebhookSecret(b.actor, secretB);
    const bBefore = await reload(b.tenant.id);

    await saveWebhookSecret(a.actor, newSecret());
    await saveWebhookSecret(a.actor, newSecret());

    const bAfter = await reload(b.tenant.id);
    expect(bAfter.webhookSecretCiphertext).toBe(bBefore.webhookSecretCiphertext);
    expect(bAfter.webhookSecretPreviousCiphertext).toBeNull();
    expect(bAfter.updatedAt.getTime()).toBe(bBefore.updatedAt.getTime());
    expect(webhookSecretsForVerification(bAfter)).toEqual([secretB]);
    expect((await auditActions(b.tenant.id)).filter((e) => e.action === "webhook.secret_saved")).toHaveLength(1);
    // A's ciphertext is bound to A: copied onto B's row it does not decrypt.
    const aRow = await reload(a.tenant.id);
    expect(() => webhookSecretsForVerification({ ...bAfter, webhookSecretCiphertext: aRow.webhookSecretCiphertext })).toThrow();
  });
});

describe("creating the webhook automatically", () => {
  it("sends the tenant's URL, company, API version and events, then stores the secret and the hook id", async () => {
    const { tenant, actor, apiKey } = await connectedMerchant();
    const secret = newSecret();
    let request: { auth: string | null; body: unknown } | undefined;
    server.use(
      http.post(`${ORIGIN}/api/v1/webhooks`, async ({ request: req }) => {
        request = { auth: req.headers.get("authorization"), body: await req.json() };
        return HttpResponse.json({ id: "hook_AutoHook12345", webhook_secret: secret, url: "…", enabled: true });
      }),
    );

    const result = await createWebhookAutomatically({ ...actor, ip: "198.51.100.4" });
    expect(result).toEqual({ ok: true, webhookId: "hook_AutoHook12345", secretHint: secret.slice(-4), previousAcceptedUntil: null });

    expect(request?.auth).toBe(`Bearer ${apiKey}`);
    expect(request?.body).toEqual({
      url: `${env().appUrl}/api/webhooks/whop/${tenant.publicId}`,
      api_version: "v1",
      enabled: true,
      events: [...WHOP_EVENTS_APPLIED],
      resource_id: tenant.whopCompanyId,
    });
    expect(webhookUrl(tenant)).toBe(`${env().appUrl}/api/webhooks/whop/${tenant.publicId}`);
    expect(webhookUrl(tenant)).not.toContain(tenant.id);

    const stored = await reload(tenant.id);
    expect(stored.whopWebhookId).toBe("hook_AutoHook12345");
    expect(webhookSecretsForVerification(stored)).toEqual([secret]);
    expect(await tenantRowText(tenant.id)).not.toContain(secret);
    const audit = (await auditActions(tenant.id)).find((a) => a.action === "webhook.auto_created");
    expect(audit).toMatchObject({ ip: "198.51.100.4", detail: { webhookId: "hook_AutoHook12345", secretHint: secret.slice(-4) } });
  });

  it("keeps a secret saved by hand valid for 24 hours after creating the webhook", async () => {
    const { tenant, actor } = await connectedMerchant();
    const manual = newSecret();
    const created = newSecret();
    await saveWebhookSecret(actor, manual);
    server.use(http.post(`${ORIGIN}/api/v1/webhooks`, () => HttpResponse.json({ id: "hook_Second0000001", webhook_secret: created })));

    const result = await createWebhookAutomatically({ ...actor, tenant: await reload(tenant.id) });
    expect(result.ok && result.previousAcceptedUntil).toBeInstanceOf(Date);
    expect(webhookSecretsForVerification(await reload(tenant.id))).toEqual([created, manual]);
  });

  it("explains the missing developer:manage_webhook permission on a 403 and stores nothing", async () => {
    const { tenant, actor } = await connectedMerchant();
    const secret = newSecret();
    await saveWebhookSecret(actor, secret);
    const before = await reload(tenant.id);
    server.use(
      http.post(`${ORIGIN}/api/v1/webhooks`, () =>
        HttpResponse.json({ error: { type: "forbidden", message: "You do not have permission to perform this action" } }, { status: 403 }),
      ),
    );

    const result = await createWebhookAutomatically({ ...actor, tenant: before });
    expect(result.ok).toBe(false);
    const message = !result.ok ? result.message : "";
    expect(message).toContain("developer:manage_webhook");
    expect(message).toMatch(/give the key that permission/i);
    expect(message).toMatch(/create the webhook by hand/i);
    expect(message).toMatch(/Nothing was saved/);

    const after = await reload(tenant.id);
    expect(after.webhookSecretCiphertext).toBe(before.webhookSecretCiphertext);
    expect(after.webhookSecretPreviousCiphertext).toBeNull();
    expect(after.whopWebhookId).toBeNull();
    expect((await auditActions(tenant.id)).some((a) => a.action === "webhook.auto_created")).toBe(false);
  });

  it("explains a 400 missing-permissions answer the same way", async () => {
    const { actor } = await connectedMerchant();
    server.use(
      http.post(`${ORIGIN}/api/v1/webhooks`, () =>
        HttpResponse.json({ error: { type: "invalid_request_error", message: "Actor is missing all required permissions: `developer:manage_webhook`" } }, { status: 400 }),
      ),
    );
    const result = await createWebhookAutomatically(actor);
    expect(!result.ok && result.message).toMatch(/lacks the developer:manage_webhook permission/);
  });

  it("says what went wrong when Whop fails otherwise", async () => {
    const { tenant, actor } = await connectedMerchant();
    server.use(http.post(`${ORIGIN}/api/v1/webhooks`, () => HttpResponse.json({ error: { message: "Invalid API key" } }, { status: 401 })));
    const result = await createWebhookAutomatically(actor);
    expect(!result.ok && result.message).toMatch(/rejected your API key.*Nothing was saved/);
    expect((await reload(tenant.id)).webhookSecretCiphertext).toBeNull();
  });

  it("refuses without a connected Whop company, without calling Whop", async () => {
    const { tenant, actor } = await connectedMerchant();
    const unconnected = { ...tenant, whopCompanyId: null, whopApiKeyCiphertext: null };
    const result = await createWebhookAutomatically({ ...actor, tenant: unconnected });
    expect(!result.ok && result.message).toMatch(/Connect your Whop company first/);
  });
});

describe("webhook delivery status", () => {
  it("shows the latest delivery (not reconciliation reads) and counts only the last 24 hours of rejections", async () => {
    const { tenant } = await connectedMerchant();
    const other = await connectedMerchant();
    const now = new Date();
    const hourStart = (msAgo: number) => {
      const d = new Date(now.getTime() - msAgo);
      d.setUTCMinutes(0, 0, 0);
      return d;
    };

    expect(await webhookStatus(tenant.id, now)).toEqual({ lastDelivery: null, rejectedLast24h: 0, lastRejection: null });

    const event = (overrides: Partial<typeof webhookEvents.$inferInsert>) => ({
      tenantId: tenant.id,
      eventKey: `msg_${randomBase62(24)}`,
      eventType: "payment.succeeded",
      scheme: "standard" as const,
      result: "applied" as const,
      payload: "{}",
      ...overrides,
    });
    await db()
      .insert(webhookEvents)
      .values([
        event({ eventType: "payment.pending", result: "ignored", receivedAt: new Date(now.getTime() - 2 * HOUR) }),
        event({ eventType: "payment.succeeded", detail: "Order ord_1 paid", receivedAt: new Date(now.getTime() - HOUR) }),
        event({ eventType: "payment.failed", scheme: "reconcile", receivedAt: new Date(now.getTime() - 60_000) }),
        { ...event({ eventType: "refund.created" }), tenantId: other.tenant.id, receivedAt: now },
      ]);
    await db()
      .insert(webhookRejections)
      .values([
        { tenantId: tenant.id, hour: hourStart(0), count: 3, lastReason: "signature mismatch", lastAt: now },
        { tenantId: tenant.id, hour: hourStart(5 * HOUR), count: 2, lastAt: new Date(now.getTime() - 5 * HOUR) },
        { tenantId: tenant.id, hour: hourStart(26 * HOUR), count: 50, lastAt: new Date(now.getTime() - 26 * HOUR) },
        { tenantId: other.tenant.id, hour: hourStart(0), count: 7, lastAt: now },
      ]);

    const status = await webhookStatus(tenant.id, now);
    expect(status.lastDelivery).toEqual({
      receivedAt: new Date(now.getTime() - HOUR),
      eventType: "payment.succeeded",
      result: "applied",
      detail: "Order ord_1 paid",
    });
    expect(status.rejectedLast24h).toBe(5);
    expect(status.lastRejection).toEqual({ at: now, reason: "signature mismatch" });
    expect((await webhookStatus(other.tenant.id, now)).rejectedLast24h).toBe(7);
  });
});
