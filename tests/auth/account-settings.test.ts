import { and, eq, sql } from "drizzle-orm";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { db, selectRows } from "@/db/client";
import { accounts, auditLog, items, loginThrottle, orders, problems, tenants, users, webhookEvents, webhookRejections, type Tenant } from "@/db/schema";
import { accountMembers } from "@/db/schema-auth";
import { ownerActor } from "@/lib/auth/actor";
import { ForbiddenError } from "@/lib/auth/roles";
import { findMembership, logIn, signUp } from "@/lib/auth/accounts";
import { changePassword, deleteAccount, deletionConfirmationPhrase, revokeAllSessions } from "@/lib/auth/account-settings";
import { currentAccount, endSession, getSession, startSession } from "@/lib/auth/session";
import { endOneSession, listLiveSessions } from "@/lib/auth/sessions";
import { MAX_FAILURES_PER_EMAIL } from "@/lib/auth/throttle";
import { randomBase62 } from "@/lib/ids";
import { reportProblem } from "@/lib/problems/report";
import { uniqueEmail, withTestDatabase } from "../db";
import { connectedMerchant, fixtureItem, fixtureOrder, withWebhookSecret } from "../fixtures";

// The real iron-session code over a fake cookie jar: one jar is one browser.
const jar = vi.hoisted(() => new Map<string, string>());
vi.mock("next/headers", () => ({
  cookies: async () => ({
    get: (name: string) => (jar.has(name) ? { name, value: jar.get(name)! } : undefined),
    set: (name: string, value: string) => void (value === "" ? jar.delete(name) : jar.set(name, value)),
  }),
  headers: async () => new Headers(),
}));

withTestDatabase();
beforeEach(() => jar.clear());

const password = "correct horse battery";
const newPassword = "an entirely new passphrase";

const findUser = async (id: string) => (await db().select().from(users).where(eq(users.id, id)))[0];

async function merchant() {
  const email = uniqueEmail();
  const result = await signUp({ email, password, ip: null });
  if (!result.ok) throw new Error("sign-up failed");
  return { ...result, email };
}

/** A browser logged in as `user`, as its cookie stands now. */
async function browserOf(user: Parameters<typeof startSession>[0]): Promise<Map<string, string>> {
  jar.clear();
  const membership = await findMembership(user.id);
  await startSession(user, membership!.account.id);
  return new Map(jar);
}

async function accountIn(browser: Map<string, string>) {
  jar.clear();
  for (const [name, value] of browser) jar.set(name, value);
  return currentAccount();
}

const auditActions = async (tenantId: string) =>
  (await db().select().from(auditLog).where(eq(auditLog.tenantId, tenantId)).orderBy(auditLog.id)).map((entry) => entry.action);

describe("change password", () => {
  it("refuses a wrong current password and changes nothing", async () => {
    const m = await merchant();
    const result = await changePassword({ userId: m.user.id, currentPassword: "not my password", newPassword, ip: "203.0.113.5" });

    expect(result).toEqual({ ok: false, reason: "incorrect" });
    const user = (await findUser(m.user.id))!;
    expect(user).toMatchObject({ passwordHash: m.user.passwordHash });
    expect(await auditActions(m.tenant.id)).toEqual(["account.created", "password.change_failed"]);
  });

  it(`is throttled after ${MAX_FAILURES_PER_EMAIL} wrong current passwords, like logins, even with the right one`, async () => {
    const m = await merchant();
    for (let i = 0; i < MAX_FAILURES_PER_EMAIL; i++) {
      const result = await changePassword({ userId: m.user.id, currentPassword: `guess ${i}`, newPassword, ip: `192.0.2.${i}` });
      expect(result).toEqual({ ok: false, reason: "incorrect" });
    }
    expect(await changePassword({ userId: m.user.id, currentPassword: password, newPassword, ip: "192.0.2.99" })).toEqual({
      ok: false,
      reason: "throttled",
    });
    expect(await logIn({ email: m.email, password, ip: "192.0.2.99" })).toEqual({ ok: false, reason: "throttled" });
    expect((await findUser(m.user.id))!.passwordHash).toBe(m.user.passwordHash);
  });

  it("stores the new argon2id hash, so only the new password logs in, and ends every other session", async () => {
    const m = await merchant();
    const here = await browserOf(m.user);
    const hereId = (await accountIn(here))!.session.id;
    const otherBrowser = await browserOf(m.user);
    expect((await accountIn(otherBrowser))?.user.id).toBe(m.user.id);

    const result = await changePassword({ userId: m.user.id, currentPassword: password, newPassword, ip: "203.0.113.9", keepSessionId: hereId });

    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.user.passwordHash).toMatch(/^\$argon2id\$/);
    expect(await logIn({ email: m.email, password, ip: null })).toEqual({ ok: false, reason: "invalid" });
    expect((await logIn({ email: m.email, password: newPassword, ip: null })).ok).toBe(true);

    // The other browser is logged out; the one the change was made from stays.
    expect(await accountIn(otherBrowser)).toBeUndefined();
    expect((await accountIn(here))?.user.id).toBe(m.user.id);

    const [changed] = await db().select().from(auditLog).where(and(eq(auditLog.action, "password.changed"), eq(auditLog.tenantId, m.tenant.id)));
    expect(changed).toMatchObject({ actorUserId: m.user.id, ip: "203.0.113.9", detail: {} });
  });

  it("refuses to set the same password again", async () => {
    const m = await merchant();
    expect(await changePassword({ userId: m.user.id, currentPassword: password, newPassword: password, ip: null })).toEqual({
      ok: false,
      reason: "same_password",
    });
    expect((await findUser(m.user.id))!.passwordHash).toBe(m.user.passwordHash);
  });

  it("answers not_found for a user that does not exist", async () => {
    const result = await changePassword({ userId: "usr_doesnotexist", currentPassword: password, newPassword, ip: null });
    expect(result).toEqual({ ok: false, reason: "not_found" });
  });
});

describe("log out everywhere", () => {
  it("ends every session of the user, this one included, wherever the cookie was copied", async () => {
    const m = await merchant();
    const laptop = await browserOf(m.user);
    const phone = await browserOf(m.user);

    expect(await revokeAllSessions(m.user.id, "198.51.100.4")).toEqual({ ok: true, ended: 2 });

    expect(await accountIn(laptop)).toBeUndefined();
    expect(await accountIn(phone)).toBeUndefined();
    expect(await auditActions(m.tenant.id)).toEqual(["account.created", "sessions.revoked"]);
    // Logging in again works and gives a session that opens.
    const again = await logIn({ email: m.email, password, ip: null });
    expect(again.ok && (await accountIn(await browserOf(again.user)))?.user.id).toBe(m.user.id);
  });

  it("ends only that user's sessions", async () => {
    const a = await merchant();
    const b = await merchant();
    const bBrowser = await browserOf(b.user);
    expect(await revokeAllSessions(a.user.id, null)).toEqual({ ok: true, ended: 0 });
    expect((await accountIn(bBrowser))?.user.id).toBe(b.user.id);
    expect(await auditActions(b.tenant.id)).toEqual(["account.created"]);
  });
});

describe("server-side sessions", () => {
  it("log-out ends the session for every copy of its cookie", async () => {
    const m = await merchant();
    const browser = await browserOf(m.user);
    const copied = new Map(browser);
    await accountIn(browser);
    await endSession();
    expect(await accountIn(copied)).toBeUndefined();
  });

  it("Settings lists live sessions; ending one logs that browser out and no other", async () => {
    const m = await merchant();
    const laptop = await browserOf(m.user);
    const phone = await browserOf(m.user);
    const phoneId = (await accountIn(phone))!.session.id;
    expect((await listLiveSessions(m.user.id)).map((s) => s.id)).toContain(phoneId);

    expect(await endOneSession({ userId: m.user.id, ip: null }, phoneId)).toEqual({ ok: true });
    expect(await accountIn(phone)).toBeUndefined();
    expect((await accountIn(laptop))?.user.id).toBe(m.user.id);
    expect(await endOneSession({ userId: m.user.id, ip: null }, phoneId)).toEqual({ ok: false, message: "That session has already ended." });
    // Another user's session id is not theirs to end.
    const other = await merchant();
    const otherId = (await accountIn(await browserOf(other.user)))!.session.id;
    expect(await endOneSession({ userId: m.user.id, ip: null }, otherId)).toMatchObject({ ok: false });
    expect((await listLiveSessions(other.user.id)).map((s) => s.id)).toEqual([otherId]);
  });

  it("a cookie from before server-side sessions (user id and version only) signs nobody in", async () => {
    const m = await merchant();
    const session = await getSession();
    Object.assign(session, { userId: m.user.id, tenantId: m.tenant.id, sessionVersion: 1 });
    await session.save();
    expect(await currentAccount()).toBeUndefined();
  });
});

/** Row counts of everything a merchant's account owns, its owner's user row included. */
async function owned(m: { tenant: Tenant; user: { id: string } }) {
  const tenantId = m.tenant.id;
  const count = async (table: typeof items | typeof orders | typeof webhookEvents | typeof problems | typeof auditLog | typeof webhookRejections) =>
    db().$count(table, eq(table.tenantId, tenantId));
  return {
    accounts: await db().$count(accounts, eq(accounts.id, m.tenant.accountId)),
    tenants: await db().$count(tenants, eq(tenants.id, tenantId)),
    members: await db().$count(accountMembers, eq(accountMembers.accountId, m.tenant.accountId)),
    users: await db().$count(users, eq(users.id, m.user.id)),
    items: await count(items),
    orders: await count(orders),
    webhookEvents: await count(webhookEvents),
    webhookRejections: await count(webhookRejections),
    problems: await count(problems),
    auditLog: await count(auditLog),
  };
}

/** A connected merchant with a secret, an item, an order, a webhook event, a rejection, a problem and audit entries. */
async function merchantWithEverything() {
  const m = await connectedMerchant();
  const { tenant } = await withWebhookSecret(m.tenant);
  const item = await fixtureItem(tenant);
  const order = await fixtureOrder(tenant, item);
  await db().insert(webhookEvents).values({ tenantId: tenant.id, eventKey: `msg_${randomBase62(20)}`, eventType: "payment.succeeded", scheme: "standard", result: "applied", orderId: order.id, payload: "{}" });
  await db().insert(webhookRejections).values({ tenantId: tenant.id, hour: new Date(), count: 2, lastReason: "signature mismatch" });
  await reportProblem(tenant.id, "webhook_secret_missing", "No webhook secret.");
  await logIn({ email: m.user.email, password: "wrong password!", ip: null });
  return { ...m, tenant: tenant as Tenant };
}

const FIXTURE_PASSWORD = "long enough password"; // connectedMerchant()'s
/** The merchant acting as the owner of their account, from an IP of its own. */
const as = (m: { tenant: Tenant; user: { id: string; email: string } }) => ({ ...ownerActor(m.tenant, m.user), ip: anyIp() });
/** An IP of its own per call: deleting counts its password like a log-in, per IP too. */
const anyIp = () => `2001:db8::${randomBase62(4).toLowerCase().replace(/[^a-f0-9]/g, "a")}:${Math.floor(Math.random() * 65535).toString(16)}`;

describe("delete account", () => {
  it("deletes nothing when the typed name does not match exactly", async () => {
    const m = await merchantWithEverything();
    const before = await owned(m);
    for (const confirmation of ["fixture co", "Fixture", "", "Fixture  Co", m.user.email]) {
      expect(await deleteAccount(as(m), { confirmation, password: FIXTURE_PASSWORD })).toEqual({ ok: false, reason: "mismatch", expected: "Fixture Co" });
    }
    expect(await owned(m)).toEqual(before);
  });

  it("with the company name (spaces around it ignored) deletes the tenant and every row it owns, and only those", async () => {
    const m = await merchantWithEverything();
    const other = await merchantWithEverything();
    const otherBefore = await owned(other);
    expect(Object.values(await owned(m)).every((n) => n > 0)).toBe(true);

    expect(deletionConfirmationPhrase(m)).toBe("Fixture Co");
    expect(await deleteAccount(as(m), { confirmation: "  Fixture Co ", password: FIXTURE_PASSWORD })).toEqual({ ok: true });

    expect(await owned(m)).toEqual({ accounts: 0, tenants: 0, members: 0, users: 0, items: 0, orders: 0, webhookEvents: 0, webhookRejections: 0, problems: 0, auditLog: 0 });
    expect(await db().$count(loginThrottle, eq(loginThrottle.key, `login:email:${m.user.email}`))).toBe(0);
    expect(await owned(other)).toEqual(otherBefore);
    // The email is free again.
    expect((await signUp({ email: m.user.email, password, ip: anyIp() })).ok).toBe(true);
  });

  it("asks for the email when no Whop company is connected", async () => {
    const m = await merchant();
    expect(deletionConfirmationPhrase(m)).toBe(m.email);
    expect(await deleteAccount(as(m), { confirmation: "Fixture Co", password })).toMatchObject({ ok: false, reason: "mismatch" });
    expect(await deleteAccount(as(m), { confirmation: m.email, password })).toEqual({ ok: true });
    expect(await findUser(m.user.id)).toBeUndefined();
  });

  it("needs the password: a wrong one deletes nothing and counts as a failed log-in", async () => {
    const m = await merchantWithEverything();
    const before = await owned(m);
    expect(await deleteAccount(as(m), { confirmation: "Fixture Co", password: "not the password" })).toEqual({ ok: false, reason: "incorrect_password" });
    expect(await owned(m)).toEqual(before);
    const [counter] = await db().select().from(loginThrottle).where(eq(loginThrottle.key, `login:email:${m.user.email}`));
    expect(counter!.failures).toBeGreaterThanOrEqual(2); // merchantWithEverything's failed log-in, and this
  });

  it("refuses an actor who is not an owner of that account, even one claiming to be", async () => {
    const a = await merchant();
    const b = await merchant();
    // a's user, with b's tenant and account: the transaction finds no owner membership.
    const forged = { ...ownerActor(b.tenant, a.user), ip: anyIp() };
    expect(await deleteAccount(forged, { confirmation: a.email, password })).toEqual({ ok: false, reason: "not_found" });
    // An admin of the account is refused before anything is checked.
    await expect(deleteAccount({ ...ownerActor(b.tenant, b.user), role: "admin" }, { confirmation: b.email, password })).rejects.toThrow(ForbiddenError);
    expect(await owned(b)).toMatchObject({ accounts: 1, tenants: 1, members: 1, users: 1 });
  });

  it("leaves no row anywhere that names the deleted tenant", async () => {
    const m = await merchantWithEverything();
    expect(await deleteAccount(as(m), { confirmation: "Fixture Co", password: FIXTURE_PASSWORD })).toEqual({ ok: true });
    const tables = await selectRows<{ table_name: string }>(
      sql`select table_name from information_schema.columns where column_name = 'tenant_id' and table_schema = 'public'`,
    );
    expect(tables.length).toBeGreaterThanOrEqual(7);
    for (const { table_name } of tables) {
      const [row] = await selectRows<{ n: number }>(sql`select count(*)::int as n from ${sql.identifier(table_name)} where tenant_id = ${m.tenant.id}`);
      expect({ table_name, n: row!.n }).toEqual({ table_name, n: 0 });
    }
    const accountTables = await selectRows<{ table_name: string }>(
      sql`select table_name from information_schema.columns where column_name = 'account_id' and table_schema = 'public'`,
    );
    expect(accountTables.map((t) => t.table_name)).toEqual(expect.arrayContaining(["tenants", "account_members", "invitations", "sessions"]));
    for (const { table_name } of accountTables) {
      const [row] = await selectRows<{ n: number }>(sql`select count(*)::int as n from ${sql.identifier(table_name)} where account_id = ${m.tenant.accountId}`);
      expect({ table_name, n: row!.n }).toEqual({ table_name, n: 0 });
    }
  });
});
