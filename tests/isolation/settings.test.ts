import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { changePasswordAction, deleteAccountAction, endSessionAction, revokeAllSessionsAction } from "@/app/dashboard/settings/actions";
import SettingsPage from "@/app/dashboard/settings/page";
import { db } from "@/db/client";
import { auditLog, tenants } from "@/db/schema";
import { findMembership, logIn } from "@/lib/auth/accounts";
import { createSession, listLiveSessions } from "@/lib/auth/sessions";
import { randomBase62 } from "@/lib/ids";
import { withTestDatabase } from "../db";
import { connectedMerchant, fixtureItem, fixtureOrder } from "../fixtures";
import { expectRedirect, html } from "./next-errors";
import { signInAs, signOut } from "./session";
import { tenantSnapshot } from "./snapshot";

// The isolation session, plus spies where the settings actions touch the cookie.
const cookie = vi.hoisted(() => ({ startSession: vi.fn(async (_user: unknown) => {}), endSession: vi.fn(async () => {}) }));
vi.mock("@/lib/auth/session", async () => ({ ...(await import("./session")), ...cookie }));
vi.mock("next/cache", () => ({ revalidatePath: vi.fn(), revalidateTag: vi.fn() }));
vi.mock("next/navigation", async (importOriginal) => ({
  ...(await importOriginal<typeof import("next/navigation")>()),
  useRouter: () => ({ push: vi.fn(), replace: vi.fn(), refresh: vi.fn(), back: vi.fn(), forward: vi.fn(), prefetch: vi.fn() }),
}));

withTestDatabase();
beforeEach(() => {
  cookie.startSession.mockClear();
  cookie.endSession.mockClear();
});
afterEach(() => signOut());

/*
 * The settings actions take no user or tenant id from the form: whatever ids merchant A smuggles
 * in, A's own account is the one changed, logged out or deleted, and B's rows stay exactly as they
 * were. Signed out, every action and the page redirect to /login before touching anything.
 */

const NO_PREVIOUS_STATE = {};
const password = "long enough password"; // the fixtures' password
const newPassword = "a brand new passphrase";

function form(fields: Record<string, string>): FormData {
  const data = new FormData();
  for (const [name, value] of Object.entries(fields)) data.set(name, value);
  return data;
}

async function merchant() {
  const m = await connectedMerchant();
  const marker = randomBase62(12);
  await fixtureOrder(m.tenant, await fixtureItem(m.tenant, { title: `Item ${marker}` }));
  await db().insert(auditLog).values({ tenantId: m.tenant.id, actorUserId: m.user.id, action: "item.created", ip: "203.0.113.77", detail: { title: `Item ${marker}` } });
  return { ...m, marker };
}

const smuggled = (b: Awaited<ReturnType<typeof merchant>>) => ({ userId: b.user.id, tenantId: b.tenant.id, tenant_id: b.tenant.id });

describe("changePasswordAction", () => {
  it("changes the signed-in merchant's password only and ends their other sessions, never B's", async () => {
    const a = await merchant();
    const b = await merchant();
    const aElsewhere = await createSession(db(), a.user, a.account.id, { ip: null, userAgent: null });
    const bSession = await createSession(db(), b.user, b.account.id, { ip: null, userAgent: null });
    const beforeB = await tenantSnapshot(b.tenant.id);

    signInAs(a);
    const result = await changePasswordAction(NO_PREVIOUS_STATE, form({ currentPassword: password, newPassword, ...smuggled(b) }));

    expect(result).toEqual({ success: "Password changed. Every other session has been logged out." });
    expect(cookie.startSession).not.toHaveBeenCalled();
    expect((await listLiveSessions(a.user.id)).map((row) => row.id)).not.toContain(aElsewhere.id);
    expect((await listLiveSessions(b.user.id)).map((row) => row.id)).toEqual([bSession.id]);
    expect((await logIn({ email: a.user.email, password: newPassword, ip: null })).ok).toBe(true);
    expect(await tenantSnapshot(b.tenant.id)).toBe(beforeB);
  });

  it("says “Current password is incorrect.” for a wrong one (B's password too) and changes nothing", async () => {
    const a = await merchant();
    signInAs(a);
    const before = (await findMembership(a.user.id))!.user;

    const result = await changePasswordAction(NO_PREVIOUS_STATE, form({ currentPassword: "someone else's password", newPassword }));

    expect(result.fieldErrors).toEqual({ currentPassword: "Current password is incorrect." });
    expect(result.values).toEqual({});
    expect(cookie.startSession).not.toHaveBeenCalled();
    expect((await findMembership(a.user.id))!.user).toMatchObject({ passwordHash: before.passwordHash });
  });

  it("applies the password rules to the new password", async () => {
    const a = await merchant();
    signInAs(a);
    const result = await changePasswordAction(NO_PREVIOUS_STATE, form({ currentPassword: password, newPassword: "short" }));
    expect(result.fieldErrors?.newPassword).toBe("Password must be at least 10 characters.");
  });
});

describe("revokeAllSessionsAction", () => {
  it("ends the signed-in merchant's sessions only, then this one, and sends them to /login", async () => {
    const a = await merchant();
    const b = await merchant();
    await createSession(db(), a.user, a.account.id, { ip: null, userAgent: null });
    const bSession = await createSession(db(), b.user, b.account.id, { ip: null, userAgent: null });
    const beforeB = await tenantSnapshot(b.tenant.id);

    signInAs(a);
    await expectRedirect(() => revokeAllSessionsAction(NO_PREVIOUS_STATE, form(smuggled(b))), "/login");

    expect(cookie.endSession).toHaveBeenCalledTimes(1);
    expect(await listLiveSessions(a.user.id)).toEqual([]);
    expect((await listLiveSessions(b.user.id)).map((row) => row.id)).toEqual([bSession.id]);
    expect(await tenantSnapshot(b.tenant.id)).toBe(beforeB);
  });
});

describe("endSessionAction", () => {
  it("ends one of the merchant's own other sessions; B's session id is refused and B stays signed in", async () => {
    const a = await merchant();
    const b = await merchant();
    const aPhone = await createSession(db(), a.user, a.account.id, { ip: null, userAgent: null });
    const bSession = await createSession(db(), b.user, b.account.id, { ip: null, userAgent: null });
    const beforeB = await tenantSnapshot(b.tenant.id);

    signInAs(a);
    expect(await endSessionAction(NO_PREVIOUS_STATE, form({ sessionId: bSession.id, ...smuggled(b) }))).toMatchObject({ error: "That session has already ended." });
    expect((await listLiveSessions(b.user.id)).map((row) => row.id)).toEqual([bSession.id]);
    expect(await tenantSnapshot(b.tenant.id)).toBe(beforeB);

    expect(await endSessionAction(NO_PREVIOUS_STATE, form({ sessionId: aPhone.id }))).toMatchObject({ success: "Session ended: that browser is logged out." });
    expect(await listLiveSessions(a.user.id)).toEqual([]);
    expect((await endSessionAction(NO_PREVIOUS_STATE, form({ sessionId: "not-a-session" }))).fieldErrors).toEqual({ sessionId: "That is not a session." });
  });
});

describe("deleteAccountAction", () => {
  it("deletes the signed-in merchant's tenant, never the one the form names, and sends them to /signup", async () => {
    const a = await merchant();
    const b = await merchant(); // also “Fixture Co”
    const beforeB = await tenantSnapshot(b.tenant.id);

    signInAs(a);
    await expectRedirect(() => deleteAccountAction(NO_PREVIOUS_STATE, form({ confirmation: "Fixture Co", password, ...smuggled(b) })), "/signup");

    expect(cookie.endSession).toHaveBeenCalledTimes(1);
    expect(await db().$count(tenants, eq(tenants.id, a.tenant.id))).toBe(0);
    expect(await tenantSnapshot(b.tenant.id)).toBe(beforeB);
  });

  it("says the name does not match and deletes nothing", async () => {
    const a = await merchant();
    const before = await tenantSnapshot(a.tenant.id);
    signInAs(a);

    const result = await deleteAccountAction(NO_PREVIOUS_STATE, form({ confirmation: "fixture co", password }));

    expect(result.fieldErrors?.confirmation).toBe("That does not match “Fixture Co” exactly (capitals count). Nothing was deleted.");
    expect(result.values).toEqual({ confirmation: "fixture co" });
    expect(cookie.endSession).not.toHaveBeenCalled();
    expect(await tenantSnapshot(a.tenant.id)).toBe(before);
  });
});

describe("/dashboard/settings", () => {
  it("shows merchant A's audit log and never B's", async () => {
    const a = await merchant();
    const b = await merchant();
    signInAs(a);
    const markup = html(await SettingsPage({ searchParams: Promise.resolve({}) }));
    expect(markup).toContain(`Item ${a.marker}`);
    expect(markup).toContain("203.0.113.77");
    expect(markup).toContain(a.user.email);
    expect(markup).not.toContain(b.marker);
    expect(markup).not.toContain(b.user.email);
    for (const label of ["Current password", "New password", "Change password", "Log out everywhere", "Type your company name to confirm", "Delete account", "Audit log"]) {
      expect(markup).toContain(label);
    }
  });
});

describe("signed out", () => {
  it("the page and every settings action redirect to /login before touching anything", async () => {
    const b = await merchant();
    const before = await tenantSnapshot(b.tenant.id);
    signOut();

    await expectRedirect(() => SettingsPage({ searchParams: Promise.resolve({}) }), "/login");
    await expectRedirect(() => changePasswordAction(NO_PREVIOUS_STATE, form({ currentPassword: password, newPassword, ...smuggled(b) })), "/login");
    await expectRedirect(() => revokeAllSessionsAction(NO_PREVIOUS_STATE, form(smuggled(b))), "/login");
    await expectRedirect(() => endSessionAction(NO_PREVIOUS_STATE, form({ sessionId: `ses_${"x".repeat(32)}` })), "/login");
    await expectRedirect(() => deleteAccountAction(NO_PREVIOUS_STATE, form({ confirmation: "Fixture Co", password, ...smuggled(b) })), "/login");

    expect(cookie.startSession).not.toHaveBeenCalled();
    expect(cookie.endSession).not.toHaveBeenCalled();
    expect(await tenantSnapshot(b.tenant.id)).toBe(before);
  });
});
