import { eq, sql } from "drizzle-orm";
import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { db, selectRows } from "@/db/client";
import { auditLog, type Tenant } from "@/db/schema";
import { ownerActor } from "@/lib/auth/actor";
import { signUp } from "@/lib/auth/accounts";
import { decryptSecret } from "@/lib/crypto/secrets";
import { env } from "@/lib/env";
import { connectWhopKey, KEY_CHECKS_PER_WINDOW } from "@/lib/tenants/connect-whop";
import { getTenantById } from "@/lib/tenants/queries";
import { uniqueEmail, withTestDatabase } from "../db";

withTestDatabase();

const ORIGIN = env().whopApiOrigin;
const GOOD_KEY = "apik_GoodKey0123456789abcdefXYZ";
const OTHER_COMPANY_KEY = "apik_OtherCompany0123456789abcd";
const REVOKED_KEY = "apik_Revoked0123456789abcdefghij";
const company = { id: "biz_AcmeAcme012345", title: "Acme Templates", route: "acme", created_at: "2025-01-02T03:04:05Z" };

const server = setupServer(
  http.get(`${ORIGIN}/api/v1/accounts/me`, ({ request }) => {
    const auth = request.headers.get("authorization");
    if (auth === `Bearer ${GOOD_KEY}`) return HttpResponse.json(company);
    if (auth === `Bearer ${OTHER_COMPANY_KEY}`) return HttpResponse.json({ ...company, id: "biz_Other000000000", title: "Other Co" });
    return HttpResponse.json({ error: { type: "unauthorized", message: "Invalid API key" } }, { status: 401 });
  }),
);
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

async function newTenant(): Promise<{ tenant: Tenant; user: { id: string; email: string } }> {
  const result = await signUp({ email: uniqueEmail(), password: "long enough password", ip: null });
  if (!result.ok) throw new Error("signup failed");
  return { tenant: result.tenant, user: result.user };
}

/** Every row of every table of the application, as text. */
async function databaseDump(): Promise<string> {
  const tables = await selectRows<{ table_name: string }>(
    sql`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`,
  );
  let dump = "";
  for (const { table_name } of tables) {
    const [row] = await selectRows<{ dump: string | null }>(sql.raw(`select json_agg(t)::text as dump from "${table_name}" t`));
    dump += `${table_name}: ${row?.dump ?? ""}\n`;
  }
  return dump;
}

describe("connecting a Whop company", () => {
  it("stores the company, an encrypted key, its last four characters and an audit entry after Whop says 200", async () => {
    const { tenant, user } = await newTenant();
    const result = await connectWhopKey({ ...ownerActor(tenant, user), ip: "203.0.113.9" }, `  ${GOOD_KEY}\n`);
    expect(result).toEqual({ ok: true, company: { id: company.id, title: company.title } });

    const stored = (await getTenantById(tenant.id))!;
    expect(stored).toMatchObject({ whopCompanyId: company.id, whopCompanyTitle: "Acme Templates", whopApiKeyHint: "fXYZ", environment: "live" });
    expect(stored.whopApiKeyEncryptionKeyId).toBe(env().encryptionKeys.primary.id);
    expect(stored.keyVerifiedAt).toBeInstanceOf(Date);
    expect(decryptSecret(stored.whopApiKeyCiphertext!, { tenantId: tenant.id, field: "whop_api_key" }, env().encryptionKeys)).toBe(GOOD_KEY);

    const audit = await db().select().from(auditLog).where(eq(auditLog.tenantId, tenant.id));
    expect(audit.find((a) => a.action === "whop.key_connected")).toMatchObject({ actorUserId: user.id, ip: "203.0.113.9", detail: { companyId: company.id, keyHint: "fXYZ" } });

    const dump = await databaseDump();
    expect(dump).toContain(company.id);
    expect(dump).not.toContain(GOOD_KEY);
    expect(dump).not.toContain(GOOD_KEY.slice(5, 25));
  });

  it("stores nothing when Whop rejects the key, and says why", async () => {
    const { tenant, user } = await newTenant();
    const result = await connectWhopKey(ownerActor(tenant, user), REVOKED_KEY);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.message).toMatch(/rejected|revoked|typo/i);
    const stored = (await getTenantById(tenant.id))!;
    expect(stored.whopCompanyId).toBeNull();
    expect(stored.whopApiKeyCiphertext).toBeNull();
    expect(await databaseDump()).not.toContain(REVOKED_KEY);
  });

  it("refuses a malformed value without calling Whop", async () => {
    const { tenant, user } = await newTenant();
    const result = await connectWhopKey(ownerActor(tenant, user), "ws_ThisIsAWebhookSecret0123456789");
    expect(!result.ok && result.message).toMatch(/webhook secret, not an API key/);
    expect((await getTenantById(tenant.id))!.whopApiKeyCiphertext).toBeNull();
  });
});

describe("replacing the key", () => {
  it("keeps the old key when the new one fails", async () => {
    const { tenant, user } = await newTenant();
    await connectWhopKey(ownerActor(tenant, user), GOOD_KEY);
    const connected = (await getTenantById(tenant.id))!;

    const result = await connectWhopKey(ownerActor(connected, user), REVOKED_KEY);
    expect(result.ok).toBe(false);
    const after = (await getTenantById(tenant.id))!;
    expect(after.whopApiKeyCiphertext).toBe(connected.whopApiKeyCiphertext);
    expect(after.whopApiKeyHint).toBe(connected.whopApiKeyHint);
  });

  it("refuses a key of another Whop company", async () => {
    const { tenant, user } = await newTenant();
    await connectWhopKey(ownerActor(tenant, user), GOOD_KEY);
    const connected = (await getTenantById(tenant.id))!;
    const result = await connectWhopKey(ownerActor(connected, user), OTHER_COMPANY_KEY);
    expect(!result.ok && result.message).toMatch(/belongs to a different Whop company; this account is connected to Acme Templates/);
    expect(!result.ok && result.message).not.toMatch(/Other Co|biz_Other/);
    expect((await getTenantById(tenant.id))!.whopApiKeyCiphertext).toBe(connected.whopApiKeyCiphertext);
  });

  it("overwrites the key after the new one passes and audits the replacement", async () => {
    const { tenant, user } = await newTenant();
    await connectWhopKey(ownerActor(tenant, user), REVOKED_KEY.replace("Revoked", "Xevoked"));
    server.use(http.get(`${ORIGIN}/api/v1/accounts/me`, () => HttpResponse.json(company)));
    await connectWhopKey(ownerActor(tenant, user), GOOD_KEY);
    const connected = (await getTenantById(tenant.id))!;
    const newKey = "apik_Replacement0123456789abWXYZ";
    const result = await connectWhopKey(ownerActor(connected, user), newKey);
    expect(result.ok).toBe(true);
    const after = (await getTenantById(tenant.id))!;
    expect(after.whopApiKeyHint).toBe("WXYZ");
    expect(decryptSecret(after.whopApiKeyCiphertext!, { tenantId: tenant.id, field: "whop_api_key" }, env().encryptionKeys)).toBe(newKey);
    const actions = (await db().select().from(auditLog).where(eq(auditLog.tenantId, tenant.id))).map((a) => a.action);
    expect(actions).toContain("whop.key_replaced");
  });
});

describe("throttling key checks", () => {
  it(`checks at most ${KEY_CHECKS_PER_WINDOW} keys per account in 10 minutes, counted before Whop is asked, even in parallel`, async () => {
    const { tenant, user } = await newTenant();
    let asked = 0;
    server.use(
      http.get(`${ORIGIN}/api/v1/accounts/me`, () => {
        asked++;
        return HttpResponse.json({ error: { type: "unauthorized", message: "Invalid API key" } }, { status: 401 });
      }),
    );
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => connectWhopKey(ownerActor(tenant, user), `apik_Guess${String(i).padStart(2, "0")}0123456789abcdefgh`)),
    );
    expect(asked).toBe(KEY_CHECKS_PER_WINDOW);
    expect(results.filter((r) => !r.ok && r.message.startsWith("Too many keys were checked"))).toHaveLength(40 - KEY_CHECKS_PER_WINDOW);
    // Another account is not slowed down.
    server.resetHandlers();
    const other = await newTenant();
    expect((await connectWhopKey(ownerActor(other.tenant, other.user), GOOD_KEY)).ok).toBe(true);
  });
});
