import { and, eq, sql } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { verifySecondFactorAction } from "@/app/(auth)/actions";
import { createApiTokenAction } from "@/app/dashboard/api/actions";
import { replaceKeyAction } from "@/app/dashboard/integrations/whop/actions";
import {
  beginTwoFactorSetupAction,
  cancelTwoFactorSetupAction,
  confirmTwoFactorSetupAction,
  deleteAccountAction,
  disableTwoFactorAction,
  regenerateRecoveryCodesAction,
} from "@/app/dashboard/settings/actions";
import SettingsPage from "@/app/dashboard/settings/page";
import { confirmItsYouAction } from "@/app/dashboard/step-up-actions";
import { db, selectRows } from "@/db/client";
import { apiTokens, tenants } from "@/db/schema";
import { sessions, userTwoFactor } from "@/db/schema-auth";
import { secretContext } from "@/lib/auth/second-factor";
import { decodeTotpKey, totpCode, totpStepAt } from "@/lib/auth/totp";
import { beginTwoFactorSetup, confirmTwoFactorSetup } from "@/lib/auth/two-factor";
import { decryptSecret } from "@/lib/crypto/secrets";
import { env } from "@/lib/env";
import { withTestDatabase } from "../db";
import { connectedMerchant } from "../fixtures";
import { expectRedirect, html } from "./next-errors";
import { setPendingSecondFactor, signInAs, signInRecently, signOut, TEST_SESSION_ID } from "./session";
import { tenantSnapshot } from "./snapshot";

// The isolation session, plus spies where the log-in and deletion touch the cookie.
const cookie = vi.hoisted(() => ({ startSession: vi.fn(async (_user: unknown, _accountId: string) => {}), endSession: vi.fn(async () => {}) }));
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
afterEach(() => {
  signOut();
  setPendingSecondFactor(undefined);
});

/*
 * The two-factor and step-up actions take no user or tenant id from the form: whatever merchant A
 * smuggles in, only A's authenticator, recovery codes and session change, and B's stay exactly as
 * they were. Signed out, every one redirects to /login before touching anything.
 */

const NO_PREVIOUS_STATE = {};
const password = "long enough password"; // the fixtures' password

function form(fields: Record<string, string>): FormData {
  const data = new FormData();
  for (const [name, value] of Object.entries(fields)) data.set(name, value);
  return data;
}

const smuggled = (b: { user: { id: string }; tenant: { id: string } }) => ({ userId: b.user.id, tenantId: b.tenant.id, tenant_id: b.tenant.id, user_id: b.user.id });
const who = (m: { user: { id: string } }) => ({ userId: m.user.id });

async function appCode(m: { user: { id: string }; tenant: { id: string } }, offset = 0): Promise<string> {
  const [row] = await db()
    .select()
    .from(userTwoFactor)
    .where(eq(userTwoFactor.userId, m.user.id));
  return totpCode(decodeTotpKey(decryptSecret(row!.secretCiphertext, secretContext(who(m)), env().encryptionKeys)), totpStepAt(Date.now()) + offset);
}

async function withTwoFactor() {
  const m = await connectedMerchant();
  const actor = { ...who(m), sessionId: null, ip: null };
  await beginTwoFactorSetup(actor);
  const confirmed = await confirmTwoFactorSetup(actor, await appCode(m, -1));
  if (!confirmed.ok) throw new Error(confirmed.reason);
  return { ...m, recoveryCodes: confirmed.recoveryCodes };
}

/** Everything two-factor and session state of a merchant (their user and tenant), as text: equal before and after means untouched. */
async function authSnapshot(m: { user: { id: string }; tenant: { id: string } }): Promise<string> {
  const [tenantId, userId] = [m.tenant.id, m.user.id];
  const [row] = await selectRows<{ dump: string }>(sql`
    select json_build_object(
      'two_factor', (select coalesce(json_agg(t order by t.user_id), '[]') from user_two_factor t where t.user_id = ${userId}),
      'codes', (select coalesce(json_agg(c order by c.code_hash), '[]') from recovery_codes c where c.user_id = ${userId}),
      'sessions', (select coalesce(json_agg(s order by s.id), '[]') from sessions s where s.user_id = ${userId}),
      'throttle', (select coalesce(json_agg(l order by l.key), '[]') from login_throttle l where l.key = ${`2fa:user:${userId}`})
    )::text as dump`);
  return `${row!.dump}${await tenantSnapshot(tenantId)}`;
}

const stale = (m: { user: { id: string } }) =>
  db()
    .update(sessions)
    .set({ reauthenticatedAt: sql`now() - interval '11 minutes'` })
    .where(and(eq(sessions.userId, m.user.id), eq(sessions.id, TEST_SESSION_ID)));

describe("two-factor setup actions", () => {
  it("set up, confirm and cancel act on A's authenticator only, whatever the form names", async () => {
    const a = await connectedMerchant();
    const b = await withTwoFactor();
    const beforeB = await authSnapshot(b);
    signInAs(a);

    expect(await beginTwoFactorSetupAction(NO_PREVIOUS_STATE, form(smuggled(b)))).toEqual({});
    const page = html(await SettingsPage({ searchParams: Promise.resolve({}) }));
    for (const label of ["Two-factor authentication", "Authentication code", "Turn on two-factor", "<svg"]) expect(page).toContain(label);

    // B's current code is no code of A's.
    expect((await confirmTwoFactorSetupAction(NO_PREVIOUS_STATE, form({ code: await appCode(b), ...smuggled(b) }))).fieldErrors?.code).toBeDefined();
    const confirmed = await confirmTwoFactorSetupAction(NO_PREVIOUS_STATE, form({ code: await appCode(a), ...smuggled(b) }));
    expect(confirmed.success).toContain("on");
    expect(confirmed.reveal!.split("\n")).toHaveLength(10);
    expect(await authSnapshot(b)).toBe(beforeB);

    await cancelTwoFactorSetupAction(NO_PREVIOUS_STATE, form(smuggled(b))); // nothing pending: A stays on, B untouched
    expect(html(await SettingsPage({ searchParams: Promise.resolve({}) }))).toContain("Turn off two-factor");
    expect(await authSnapshot(b)).toBe(beforeB);
  });

  it("turning off and new recovery codes need a recent confirmation, and touch only A", async () => {
    const a = await withTwoFactor();
    const b = await withTwoFactor();
    const beforeB = await authSnapshot(b);
    await signInRecently(a);
    await stale(a);

    expect(await regenerateRecoveryCodesAction(NO_PREVIOUS_STATE, form(smuggled(b)))).toMatchObject({ reauthenticate: "code", error: expect.stringContaining("confirm it's you") });
    expect(await disableTwoFactorAction(NO_PREVIOUS_STATE, form(smuggled(b)))).toMatchObject({ reauthenticate: "code" });

    // B's code and B's recovery code confirm nothing for A (and spend nothing of B's).
    expect(await confirmItsYouAction(NO_PREVIOUS_STATE, form({ secret: await appCode(b), ...smuggled(b) }))).toMatchObject({ fieldErrors: { secret: expect.any(String) } });
    expect(await confirmItsYouAction(NO_PREVIOUS_STATE, form({ secret: b.recoveryCodes[0]!, ...smuggled(b) }))).toMatchObject({ fieldErrors: { secret: expect.any(String) } });
    expect(await authSnapshot(b)).toBe(beforeB);

    expect((await confirmItsYouAction(NO_PREVIOUS_STATE, form({ secret: await appCode(a) }))).success).toContain("Confirmed");
    const regenerated = await regenerateRecoveryCodesAction(NO_PREVIOUS_STATE, form(smuggled(b)));
    expect(regenerated.reveal!.split("\n")).toHaveLength(10);
    expect((await disableTwoFactorAction(NO_PREVIOUS_STATE, form(smuggled(b)))).success).toContain("off");
    expect(await db().$count(userTwoFactor, eq(userTwoFactor.userId, a.user.id))).toBe(0);
    expect(await authSnapshot(b)).toBe(beforeB);
  });
});

describe("step-up on the other sensitive actions", () => {
  it("a stale session creates no API token and replaces no key until the password confirms it's you", async () => {
    const a = await connectedMerchant();
    const b = await connectedMerchant();
    const beforeB = await authSnapshot(b);
    await signInRecently(a);
    await stale(a);

    expect(await createApiTokenAction(NO_PREVIOUS_STATE, form({ name: "app", scopes: "orders:read", ...smuggled(b) }))).toMatchObject({ reauthenticate: "password" });
    expect(await replaceKeyAction(NO_PREVIOUS_STATE, form({ apiKey: "apik_whatever0123456789abcdefghij" }))).toMatchObject({ reauthenticate: "password" });
    expect(await db().$count(apiTokens, eq(apiTokens.tenantId, a.tenant.id))).toBe(0);

    // B's password is not A's.
    expect(await confirmItsYouAction(NO_PREVIOUS_STATE, form({ secret: "not the fixtures' password" }))).toMatchObject({ fieldErrors: { secret: "That password is not right." } });
    expect((await confirmItsYouAction(NO_PREVIOUS_STATE, form({ secret: password, ...smuggled(b) }))).success).toContain("Confirmed");
    expect((await createApiTokenAction(NO_PREVIOUS_STATE, form({ name: "app", scopes: "orders:read" }))).reveal).toMatch(/^whc_/);
    expect(await authSnapshot(b)).toBe(beforeB);
  });
});

describe("log-in's second step", () => {
  it("signs in the pending user only; a form naming B changes nothing of B's", async () => {
    const a = await withTwoFactor();
    const b = await withTwoFactor();
    const beforeB = await authSnapshot(b);
    setPendingSecondFactor(who(a));

    expect(await verifySecondFactorAction(NO_PREVIOUS_STATE, form({ code: await appCode(b), ...smuggled(b) }))).toMatchObject({ fieldErrors: { code: expect.any(String) } });
    expect(cookie.startSession).not.toHaveBeenCalled();
    const code = await appCode(a);
    await expectRedirect(() => verifySecondFactorAction(NO_PREVIOUS_STATE, form({ code, ...smuggled(b) })), "/dashboard");
    expect(cookie.startSession).toHaveBeenCalledTimes(1);
    expect(cookie.startSession.mock.calls[0]).toMatchObject([{ id: a.user.id }, a.tenant.accountId]);
    expect(await authSnapshot(b)).toBe(beforeB);
  });

  it("deleting the account with two-factor on needs A's code, never B's", async () => {
    const a = await withTwoFactor();
    const b = await withTwoFactor();
    const beforeB = await authSnapshot(b);
    signInAs(a);
    expect(await deleteAccountAction(NO_PREVIOUS_STATE, form({ confirmation: "Fixture Co", password }))).toMatchObject({ fieldErrors: { code: expect.any(String) } });
    expect(await deleteAccountAction(NO_PREVIOUS_STATE, form({ confirmation: "Fixture Co", password, code: b.recoveryCodes[0]! }))).toMatchObject({ fieldErrors: { code: expect.any(String) } });
    await expectRedirect(() => deleteAccountAction(NO_PREVIOUS_STATE, form({ confirmation: "Fixture Co", password, code: a.recoveryCodes[0]!, ...smuggled(b) })), "/signup");
    expect(await db().$count(tenants, eq(tenants.id, a.tenant.id))).toBe(0);
    expect(await authSnapshot(b)).toBe(beforeB);
  });
});

describe("signed out", () => {
  it("every new action redirects to /login before touching anything", async () => {
    const b = await withTwoFactor();
    const before = await authSnapshot(b);
    signOut();
    const code = await appCode(b);

    await expectRedirect(() => beginTwoFactorSetupAction(NO_PREVIOUS_STATE, form(smuggled(b))), "/login");
    await expectRedirect(() => cancelTwoFactorSetupAction(NO_PREVIOUS_STATE, form(smuggled(b))), "/login");
    await expectRedirect(() => confirmTwoFactorSetupAction(NO_PREVIOUS_STATE, form({ code, ...smuggled(b) })), "/login");
    await expectRedirect(() => disableTwoFactorAction(NO_PREVIOUS_STATE, form(smuggled(b))), "/login");
    await expectRedirect(() => regenerateRecoveryCodesAction(NO_PREVIOUS_STATE, form(smuggled(b))), "/login");
    await expectRedirect(() => confirmItsYouAction(NO_PREVIOUS_STATE, form({ secret: code, ...smuggled(b) })), "/login");
    // No pending second factor (no password typed, or more than 5 minutes ago): back to the log-in.
    await expectRedirect(() => verifySecondFactorAction(NO_PREVIOUS_STATE, form({ code, ...smuggled(b) })), "/login");

    expect(cookie.startSession).not.toHaveBeenCalled();
    expect(await authSnapshot(b)).toBe(before);
  });
});
