import { and, eq } from "drizzle-orm";
import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createItemAction } from "@/app/dashboard/items/actions";
import ItemsPage from "@/app/dashboard/items/page";
import { GET as exportOrders } from "@/app/dashboard/orders/export/route";
import { beginTwoFactorSetupAction, confirmTwoFactorSetupAction, disableTwoFactorAction } from "@/app/dashboard/settings/actions";
import SettingsPage from "@/app/dashboard/settings/page";
import { setTwoFactorRequirementAction } from "@/app/dashboard/settings/team/actions";
import TeamPage from "@/app/dashboard/settings/team/page";
import { db } from "@/db/client";
import { accounts, auditLog, items } from "@/db/schema";
import { userTwoFactor } from "@/db/schema-auth";
import { FORBIDDEN_MESSAGES } from "@/lib/auth/roles";
import { secretContext } from "@/lib/auth/second-factor";
import { createSession, findLiveSession, mustSetUpTwoFactor } from "@/lib/auth/sessions";
import { decodeTotpKey, totpCode, totpStepAt } from "@/lib/auth/totp";
import { beginTwoFactorSetup, confirmTwoFactorSetup } from "@/lib/auth/two-factor";
import { decryptSecret } from "@/lib/crypto/secrets";
import { env } from "@/lib/env";
import { randomBase62 } from "@/lib/ids";
import { withTestDatabase } from "../db";
import { addMember as member, connectedMerchant } from "../fixtures";
import { expectRedirect, html } from "./next-errors";
import { signInRecently, signOut, TWO_FACTOR_SETUP_PATH } from "./session";

vi.mock("@/lib/auth/session", () => import("./session"));
vi.mock("next/cache", () => ({ revalidatePath: vi.fn(), revalidateTag: vi.fn() }));
vi.mock("next/navigation", async (importOriginal) => ({
  ...(await importOriginal<typeof import("next/navigation")>()),
  useRouter: () => ({ push: vi.fn(), replace: vi.fn(), refresh: vi.fn(), back: vi.fn(), forward: vi.fn(), prefetch: vi.fn() }),
}));

withTestDatabase();
const server = setupServer(http.post(`${env().whopApiOrigin}/api/v1/products`, () => HttpResponse.json({ id: `prod_${randomBase62(14)}` })));
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterEach(() => signOut());
afterAll(() => server.close());

/*
 * An owner may require two-factor of every member. A member without it stays signed in but reaches
 * only Settings, where they set it up; every other page sends them there, every other action is
 * refused before it touches anything, and nobody turns two-factor off while an account of theirs
 * requires it.
 */

const NO_PREVIOUS_STATE = {};

function form(fields: Record<string, string>): FormData {
  const data = new FormData();
  for (const [name, value] of Object.entries(fields)) data.set(name, value);
  return data;
}

async function appCode(userId: string, offset = 0): Promise<string> {
  const [row] = await db().select().from(userTwoFactor).where(eq(userTwoFactor.userId, userId));
  return totpCode(decodeTotpKey(decryptSecret(row!.secretCiphertext, secretContext({ userId }), env().encryptionKeys)), totpStepAt(Date.now()) + offset);
}

async function turnOnTwoFactor(userId: string): Promise<void> {
  const actor = { userId, sessionId: null, ip: null };
  await beginTwoFactorSetup(actor);
  const confirmed = await confirmTwoFactorSetup(actor, await appCode(userId, -1));
  if (!confirmed.ok) throw new Error(confirmed.reason);
}

const requiredAt = async (accountId: string) => (await db().select({ at: accounts.twoFactorRequiredAt }).from(accounts).where(eq(accounts.id, accountId)))[0]!.at;
const require2fa = (required: boolean) => setTwoFactorRequirementAction(NO_PREVIOUS_STATE, form({ required: String(required) }));
const itemFields = { title: "Guide", price: "12.00", currency: "usd", description: "" };

describe("requiring two-factor for the team", () => {
  it("is an owner's, who must have two-factor on first; it is audited", async () => {
    const m = await connectedMerchant();
    await signInRecently(m);
    expect((await require2fa(true)).error).toMatch(/^Turn on two-factor for yourself first/);
    expect(await requiredAt(m.tenant.accountId)).toBeNull();

    const admin = await member(m, "admin");
    await turnOnTwoFactor(admin.user.id);
    await signInRecently(admin);
    expect((await require2fa(true)).error).toBe(FORBIDDEN_MESSAGES.owner);
    expect(await requiredAt(m.tenant.accountId)).toBeNull();

    await turnOnTwoFactor(m.user.id);
    await member(m, "viewer");
    await signInRecently(m);
    expect((await require2fa(true)).success).toBe("Two-factor is now required. 1 member has to set it up before using the dashboard.");
    expect(await requiredAt(m.tenant.accountId)).toBeInstanceOf(Date);
    const audited = await db()
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.tenantId, m.tenant.id), eq(auditLog.action, "two_factor.requirement_changed")));
    expect(audited.map((row) => [row.actorUserId, row.detail])).toEqual([[m.user.id, { requirement: "required" }]]);

    const page = html(await TeamPage());
    for (const text of ["Stop requiring two-factor", "two-factor off", "1 member has not set it up yet."]) expect(page).toContain(text);
    expect((await require2fa(false)).success).toBe("Two-factor is optional again.");
    expect(await requiredAt(m.tenant.accountId)).toBeNull();
  });

  it("sends a member without it to Settings, refuses their actions, and lets them set it up", async () => {
    const m = await connectedMerchant();
    await turnOnTwoFactor(m.user.id);
    await db().update(accounts).set({ twoFactorRequiredAt: new Date() }).where(eq(accounts.id, m.tenant.accountId));
    const admin = await member(m, "admin");
    await signInRecently(admin);

    await expectRedirect(() => ItemsPage(), TWO_FACTOR_SETUP_PATH);
    await expectRedirect(() => TeamPage(), TWO_FACTOR_SETUP_PATH);
    await expectRedirect(() => createItemAction(NO_PREVIOUS_STATE, form(itemFields)), TWO_FACTOR_SETUP_PATH);
    expect(await db().select().from(items).where(eq(items.tenantId, m.tenant.id))).toEqual([]);
    const csv = await exportOrders(new Request("http://localhost/dashboard/orders/export"));
    expect([csv.status, csv.headers.get("location")]).toEqual([303, TWO_FACTOR_SETUP_PATH]);

    const settings = html(await SettingsPage({ searchParams: Promise.resolve({}) }));
    expect(settings).toContain("require two-factor authentication");
    expect(settings).toContain("Set up two-factor");
    for (const text of ["Audit log", "Delete account", "Team: members"]) expect(settings).not.toContain(text);

    expect((await beginTwoFactorSetupAction(NO_PREVIOUS_STATE, form({}))).error).toBeUndefined();
    const confirmed = await confirmTwoFactorSetupAction(NO_PREVIOUS_STATE, form({ code: await appCode(admin.user.id) }));
    expect(confirmed.success).toMatch(/^Two-factor authentication is on/);

    html(await ItemsPage());
    expect((await createItemAction(NO_PREVIOUS_STATE, form(itemFields))).error).toBeUndefined();
    expect(await db().select({ title: items.title }).from(items).where(eq(items.tenantId, m.tenant.id))).toEqual([{ title: "Guide" }]);
  });

  it("keeps two-factor on while an account of the user's requires it", async () => {
    const m = await connectedMerchant();
    await turnOnTwoFactor(m.user.id);
    await signInRecently(m);
    expect((await require2fa(true)).success).toMatch(/^Two-factor is now required/);

    const refused = await disableTwoFactorAction(NO_PREVIOUS_STATE, form({}));
    expect(refused.error).toBe("“Fixture Co” requires two-factor of every member: it stays on while you belong to that account.");
    expect(await db().select().from(userTwoFactor).where(eq(userTwoFactor.userId, m.user.id))).toHaveLength(1);

    await require2fa(false);
    expect((await disableTwoFactorAction(NO_PREVIOUS_STATE, form({}))).success).toBe("Two-factor authentication is off.");
  });

  it("is read by the real session lookup on every request", async () => {
    const m = await connectedMerchant();
    const session = await createSession(db(), m.user, m.tenant.accountId, { ip: null, userAgent: null });
    const live = () => findLiveSession({ sessionId: session.id, userId: m.user.id });
    expect(mustSetUpTwoFactor((await live())!)).toBe(false);
    await db().update(accounts).set({ twoFactorRequiredAt: new Date() }).where(eq(accounts.id, m.tenant.accountId));
    expect(mustSetUpTwoFactor((await live())!)).toBe(true);
    await turnOnTwoFactor(m.user.id);
    expect(await live()).toMatchObject({ twoFactorOn: true });
    expect(mustSetUpTwoFactor((await live())!)).toBe(false);
  });
});
