import { eq } from "drizzle-orm";
import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/db/client";
import { auditLog } from "@/db/schema";
import { ownerActor } from "@/lib/auth/actor";
import { logIn, signUp } from "@/lib/auth/accounts";
import { changePassword, revokeAllSessions } from "@/lib/auth/account-settings";
import { AUDIT_PAGE_SIZE, auditActionLabel, listAuditEntries, type AuditRow } from "@/lib/audit/queries";
import { env } from "@/lib/env";
import { randomBase62 } from "@/lib/ids";
import { createItem, setItemActive, updateItem } from "@/lib/items/items";
import { connectWhopKey } from "@/lib/tenants/connect-whop";
import { getTenantById } from "@/lib/tenants/queries";
import { createWebhookAutomatically, saveWebhookSecret } from "@/lib/tenants/webhook-secret";
import { uniqueEmail, withTestDatabase } from "../db";

withTestDatabase();

const ORIGIN = env().whopApiOrigin;
const password = "correct horse battery";
const companyId = `biz_${randomBase62(14)}`;
const hookSecret = `ws_${randomBase62(40)}`;

const server = setupServer(
  http.get(`${ORIGIN}/api/v1/accounts/me`, () => HttpResponse.json({ id: companyId, title: "Audit Co", route: "audit-co", created_at: "2025-01-02T03:04:05Z" })),
  http.post(`${ORIGIN}/api/v1/products`, () => HttpResponse.json({ id: `prod_${randomBase62(14)}` })),
  http.post(`${ORIGIN}/api/v1/webhooks`, () => HttpResponse.json({ id: `hook_${randomBase62(14)}`, webhook_secret: hookSecret })),
);
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

async function merchant(email = uniqueEmail()) {
  const result = await signUp({ email, password, ip: `203.0.113.${Math.floor(Math.random() * 250) + 1}` });
  if (!result.ok) throw new Error("sign-up failed");
  return { ...result, email };
}

async function allPages(tenantId: string, pageSize: number): Promise<AuditRow[]> {
  const seen: AuditRow[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 100; page++) {
    const { entries, nextCursor } = await listAuditEntries(tenantId, cursor, pageSize);
    expect(entries.length).toBeLessThanOrEqual(pageSize);
    seen.push(...entries);
    if (!nextCursor) return seen;
    expect(entries).toHaveLength(pageSize);
    cursor = nextCursor;
  }
  throw new Error("pagination did not end");
}

describe("listAuditEntries", () => {
  it("lists every entry newest first across pages, without skipping or repeating entries that share a millisecond", async () => {
    const a = await merchant();
    const b = await merchant();
    const base = Date.now() + 60_000;
    // 61 entries for A in groups of four per millisecond, B's interleaved at the same instants.
    for (let i = 0; i < 61; i++) {
      const createdAt = new Date(base + Math.floor(i / 4));
      await db().insert(auditLog).values({ tenantId: a.tenant.id, actorUserId: a.user.id, action: "item.updated", detail: { title: `A${i}` }, ip: null, createdAt });
      await db().insert(auditLog).values({ tenantId: b.tenant.id, actorUserId: b.user.id, action: "item.updated", detail: { title: `B${i}` }, ip: null, createdAt });
    }
    const stored = await db().select().from(auditLog).where(eq(auditLog.tenantId, a.tenant.id));
    const expected = stored
      .sort((x, y) => y.createdAt.getTime() - x.createdAt.getTime() || y.id - x.id)
      .map((entry) => entry.id);

    for (const pageSize of [AUDIT_PAGE_SIZE, 7, 4, 1]) {
      const ids = (await allPages(a.tenant.id, pageSize)).map((entry) => entry.id);
      expect(ids).toEqual(expected);
    }
    const [first] = (await listAuditEntries(a.tenant.id, undefined)).entries;
    expect(first).toMatchObject({ label: "Item updated", actorEmail: a.email, details: [{ label: "Item", value: "A60" }] });
    expect((await allPages(a.tenant.id, AUDIT_PAGE_SIZE)).some((entry) => entry.details.some((d) => d.value.startsWith("B")))).toBe(false);
  });

  it("shows 25 per page by default and ignores a malformed cursor", async () => {
    const a = await merchant();
    for (let i = 0; i < 30; i++) await db().insert(auditLog).values({ tenantId: a.tenant.id, actorUserId: null, action: "login.failed", ip: "192.0.2.1" });
    const first = await listAuditEntries(a.tenant.id, undefined);
    expect(first.entries).toHaveLength(25);
    expect((await listAuditEntries(a.tenant.id, first.nextCursor!)).entries).toHaveLength(31 - 25);
    for (const junk of ["%%%", Buffer.from("yesterday|1").toString("base64url"), Buffer.from("2025-01-01T00:00:00Z|1;drop").toString("base64url")]) {
      expect((await listAuditEntries(a.tenant.id, junk)).entries).toHaveLength(25);
    }
  });

  it("names the actor only while that user is a member of the tenant's account", async () => {
    const a = await merchant();
    const b = await merchant();
    await db().insert(auditLog).values([
      { tenantId: a.tenant.id, actorUserId: `usr_${randomBase62(20)}`, action: "item.created", ip: null },
      { tenantId: a.tenant.id, actorUserId: b.user.id, action: "item.activated", ip: null },
    ]);
    const { entries } = await listAuditEntries(a.tenant.id, undefined);
    expect(entries.map((entry) => [entry.action, entry.actorEmail])).toEqual([
      ["item.activated", null],
      ["item.created", null],
      ["account.created", a.email],
    ]);
  });

  it("records what a merchant does, who did it and from where, with a human label and no secret", async () => {
    const m = await merchant();
    const apiKey = `apik_${randomBase62(30)}`;
    const replacementKey = `apik_${randomBase62(30)}`;
    const manualSecret = `ws_${randomBase62(40)}`;
    const newPassword = "an entirely new passphrase";
    const ip = "198.51.100.23";

    expect((await connectWhopKey({ ...ownerActor(m.tenant, m.user), ip }, ` ${apiKey} `)).ok).toBe(true);
    let tenant = (await getTenantById(m.tenant.id))!;
    expect((await connectWhopKey({ ...ownerActor(tenant, m.user), ip }, replacementKey)).ok).toBe(true);
    tenant = (await getTenantById(m.tenant.id))!;
    expect((await saveWebhookSecret({ ...ownerActor(tenant, m.user), ip }, manualSecret)).ok).toBe(true);
    expect((await createWebhookAutomatically({ ...ownerActor(tenant, m.user), ip })).ok).toBe(true);
    const actor = { ...ownerActor(tenant, m.user), ip };
    const created = await createItem(actor, { title: "Template pack", priceMinor: 2999, currency: "usd", description: null });
    if (!created.ok) throw new Error(created.message);
    await updateItem(actor, created.item.id, { title: "Template pack v2", priceMinor: 3999, currency: "usd", description: null });
    await setItemActive(actor, created.item.id, false);
    await setItemActive(actor, created.item.id, true);
    await logIn({ email: m.email, password: "wrong password here", ip });
    await logIn({ email: m.email, password, ip });
    await changePassword({ userId: m.user.id, currentPassword: "not it at all", newPassword, ip });
    await changePassword({ userId: m.user.id, currentPassword: password, newPassword, ip });
    await revokeAllSessions(m.user.id, ip);

    const { entries } = await listAuditEntries(m.tenant.id, undefined);
    expect(entries.map((entry) => entry.label)).toEqual([
      "Logged out everywhere",
      "Password changed",
      "Failed password change",
      "Logged in",
      "Failed login",
      "Item activated",
      "Item deactivated",
      "Item updated",
      "Item created",
      "Webhook created automatically",
      "Webhook secret saved",
      "Whop key replaced",
      "Whop key connected",
      "Account created",
    ]);
    expect(entries.slice(0, -1).every((entry) => entry.ip === ip && entry.actorEmail === m.email)).toBe(true);
    const byLabel = Object.fromEntries(entries.map((entry) => [entry.label, Object.fromEntries(entry.details.map((d) => [d.label, d.value]))]));
    expect(byLabel["Whop key replaced"]).toEqual({ Company: companyId, "Key ending in": replacementKey.slice(-4), "Previous key ending in": apiKey.slice(-4) });
    expect(byLabel["Webhook secret saved"]).toEqual({ "Secret ending in": manualSecret.slice(-4) });
    expect(byLabel["Webhook created automatically"]).toMatchObject({ "Secret ending in": hookSecret.slice(-4), "Previous secret ending in": manualSecret.slice(-4) });
    expect(byLabel["Item updated"]).toEqual({ Item: "Template pack v2", "Item id": created.item.id });

    // Neither what is listed nor what is stored holds a key, a secret or a password.
    const stored = JSON.stringify(await db().select().from(auditLog).where(eq(auditLog.tenantId, m.tenant.id)));
    for (const secret of [apiKey, replacementKey, manualSecret, hookSecret, password, newPassword]) {
      expect(JSON.stringify(entries)).not.toContain(secret);
      expect(stored).not.toContain(secret);
    }
  });

  it("shows only listed detail fields, so a secret stored by mistake is never displayed", async () => {
    const m = await merchant();
    const leaked = `apik_${randomBase62(30)}`;
    await db().insert(auditLog).values({ tenantId: m.tenant.id, actorUserId: m.user.id, action: "whop.key_connected", ip: null, detail: { apiKey: leaked, keyHint: leaked.slice(-4), note: { nested: leaked } } });
    const [entry] = (await listAuditEntries(m.tenant.id, undefined)).entries;
    expect(entry!.details).toEqual([{ label: "Key ending in", value: leaked.slice(-4) }]);
    expect(JSON.stringify(entry)).not.toContain(leaked);
  });

  it("labels every known action and falls back to the raw action", () => {
    expect(auditActionLabel("order.reconciled")).toBe("Order checked with Whop");
    expect(auditActionLabel("something.new")).toBe("something.new");
    expect(auditActionLabel("toString")).toBe("toString");
  });
});
