import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { db } from "@/db/client";
import { auditLog, tenants, users } from "@/db/schema";
import { accountMembers } from "@/db/schema-auth";
import { logIn, signUp, SIGN_UPS_PER_IP_PER_HOUR } from "@/lib/auth/accounts";
import { emailSchema } from "@/lib/auth/password";
import { MAX_FAILURES_PER_EMAIL } from "@/lib/auth/throttle";
import { uniqueEmail, withTestDatabase } from "../db";

withTestDatabase();
const password = "correct horse battery";

describe("sign up", () => {
  it("creates the user with an argon2id hash, owner of their own account and its unconnected tenant", async () => {
    const email = uniqueEmail();
    const result = await signUp({ email, password, ip: `203.0.113.${Math.floor(Math.random() * 250) + 1}` });
    expect(result.ok).toBe(true);
    if (!result.ok) return;

    const [user] = await db().select().from(users).where(eq(users.email, email));
    expect(user!.passwordHash).toMatch(/^\$argon2id\$/);
    expect(user!.passwordHash).not.toContain(password);
    // An account of their own, with them as its owner, holding one unconnected tenant.
    const [member] = await db().select().from(accountMembers).where(eq(accountMembers.userId, user!.id));
    expect(member).toMatchObject({ accountId: result.account.id, role: "owner" });
    const [tenant] = await db().select().from(tenants).where(eq(tenants.accountId, member!.accountId));
    expect(tenant!.whopCompanyId).toBeNull();
    expect(tenant!.publicId).toMatch(/^wh_[A-Za-z0-9]{22}$/);
    const audit = await db().select().from(auditLog).where(eq(auditLog.tenantId, tenant!.id));
    expect(audit.map((a) => a.action)).toEqual(["account.created"]);
  });

  it("refuses a second account for the same email and leaves no orphan tenant", async () => {
    const email = uniqueEmail();
    await signUp({ email, password, ip: null });
    const before = await db().$count(tenants);
    const again = await signUp({ email, password: "another password!", ip: null });
    expect(again).toEqual({ ok: false, reason: "email_taken" });
    expect(await db().$count(tenants)).toBe(before);
  });

  it("normalises the email so case and spaces do not create duplicates", () => {
    expect(emailSchema.parse("  Merchant@Example.COM ")).toBe("merchant@example.com");
    expect(emailSchema.safeParse("not-an-email").success).toBe(false);
  });
});

describe("throttles count each attempt before checking it", () => {
  const randomIp = () => `198.18.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250) + 1}`;

  it(`200 parallel guesses at one email: ${MAX_FAILURES_PER_EMAIL} passwords checked, the rest throttled`, async () => {
    const email = uniqueEmail();
    const created = await signUp({ email, password, ip: null });
    if (!created.ok) throw new Error("sign-up failed");
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => logIn({ email, password: `guess ${i}`, ip: randomIp() })));
    expect(results.filter((r) => !r.ok && r.reason === "invalid")).toHaveLength(MAX_FAILURES_PER_EMAIL);
    expect(results.filter((r) => !r.ok && r.reason === "throttled")).toHaveLength(200 - MAX_FAILURES_PER_EMAIL);
    const failed = await db().select().from(auditLog).where(and(eq(auditLog.tenantId, created.tenant.id), eq(auditLog.action, "login.failed")));
    expect(failed).toHaveLength(MAX_FAILURES_PER_EMAIL);
  });

  it(`200 parallel sign-ups from one IP: ${SIGN_UPS_PER_IP_PER_HOUR} accounts, the rest throttled before hashing`, async () => {
    const ip = randomIp();
    const results = await Promise.all(Array.from({ length: 200 }, () => signUp({ email: uniqueEmail("burst"), password, ip })));
    expect(results.filter((r) => r.ok)).toHaveLength(SIGN_UPS_PER_IP_PER_HOUR);
    expect(results.filter((r) => !r.ok && r.reason === "throttled")).toHaveLength(200 - SIGN_UPS_PER_IP_PER_HOUR);
    expect((await signUp({ email: uniqueEmail(), password, ip: randomIp() })).ok).toBe(true);
  });

  it("loopback (this machine: the demo, the e2e suite) is held to the overall ceiling only", async () => {
    const results = await Promise.all(Array.from({ length: SIGN_UPS_PER_IP_PER_HOUR + 2 }, () => signUp({ email: uniqueEmail("local"), password, ip: "127.0.0.1" })));
    expect(results.every((r) => r.ok)).toBe(true);
  });
});

describe("log in", () => {
  it("accepts the right password and refuses a wrong one with the same generic reason as an unknown email", async () => {
    const email = uniqueEmail();
    await signUp({ email, password, ip: null });
    const ok = await logIn({ email, password, ip: "198.51.100.7" });
    expect(ok.ok && ok.user.email).toBe(email);
    expect(await logIn({ email, password: "wrong password", ip: "198.51.100.7" })).toEqual({ ok: false, reason: "invalid" });
    expect(await logIn({ email: uniqueEmail("nobody"), password, ip: "198.51.100.7" })).toEqual({ ok: false, reason: "invalid" });
  });

  it(`throttles an email after ${MAX_FAILURES_PER_EMAIL} failures, even with the right password`, async () => {
    const email = uniqueEmail();
    await signUp({ email, password, ip: null });
    for (let i = 0; i < MAX_FAILURES_PER_EMAIL; i++) {
      expect(await logIn({ email, password: `wrong ${i}`, ip: `192.0.2.${i}` })).toEqual({ ok: false, reason: "invalid" });
    }
    expect(await logIn({ email, password, ip: "192.0.2.200" })).toEqual({ ok: false, reason: "throttled" });
  });

  it("throttles an IP that sprays many emails", async () => {
    const ip = `10.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.9`;
    const email = uniqueEmail();
    await signUp({ email, password, ip: null });
    for (let i = 0; i < 30; i++) await logIn({ email: uniqueEmail("spray"), password, ip });
    expect(await logIn({ email, password, ip })).toEqual({ ok: false, reason: "throttled" });
    expect((await logIn({ email, password, ip: "10.255.255.1" })).ok).toBe(true);
  });

  it("clears the email's failures after a successful login", async () => {
    const email = uniqueEmail();
    await signUp({ email, password, ip: null });
    for (let i = 0; i < MAX_FAILURES_PER_EMAIL - 1; i++) await logIn({ email, password: "nope nope nope", ip: null });
    expect((await logIn({ email, password, ip: null })).ok).toBe(true);
    for (let i = 0; i < MAX_FAILURES_PER_EMAIL - 1; i++) await logIn({ email, password: "nope nope nope", ip: null });
    expect((await logIn({ email, password, ip: null })).ok).toBe(true);
  });
});
