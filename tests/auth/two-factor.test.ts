import { randomBytes } from "node:crypto";
import { and, eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { db } from "@/db/client";
import { apiTokens, auditLog, tenants } from "@/db/schema";
import { recoveryCodes, sessions, userTwoFactor } from "@/db/schema-auth";
import { createApiToken, revokeApiToken } from "@/lib/api/tokens";
import { ownerActor } from "@/lib/auth/actor";
import { logIn, signUp } from "@/lib/auth/accounts";
import { deleteAccount } from "@/lib/auth/account-settings";
import { isTwoFactorEnabled, secretContext } from "@/lib/auth/second-factor";
import { createSession } from "@/lib/auth/sessions";
import { confirmIdentity, requireRecentAuthentication } from "@/lib/auth/step-up";
import { MAX_SECOND_FACTOR_ATTEMPTS } from "@/lib/auth/throttle";
import { decodeTotpKey, encodeTotpKey, matchTotpStep, newRecoveryCodes, newTotpKey, normalizeRecoveryCode, totpCode, totpStepAt, totpUri } from "@/lib/auth/totp";
import {
  beginTwoFactorSetup,
  cancelTwoFactorSetup,
  confirmTwoFactorSetup,
  disableTwoFactor,
  logInSecondFactor,
  regenerateRecoveryCodes,
  twoFactorState,
} from "@/lib/auth/two-factor";
import { decryptSecret, encryptSecret, encryptionKeyIdOf } from "@/lib/crypto/secrets";
import { rotateStoredSecrets } from "@/lib/crypto/rotate";
import { parseEncryptionKeys } from "@/lib/crypto/keyring";
import { env } from "@/lib/env";
import { uniqueEmail, withTestDatabase } from "../db";

withTestDatabase();

const password = "correct horse battery";
const anyIp = () => `198.19.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250) + 1}`;

async function merchant() {
  const email = uniqueEmail("twofa");
  const result = await signUp({ email, password, ip: null });
  if (!result.ok) throw new Error("sign-up failed");
  const who = { userId: result.user.id };
  return { ...result, email, who, actor: { ...who, sessionId: null, ip: null } };
}

/** The authenticator app: the code for `offset` steps from now, from the secret as stored. */
async function appCode(who: { userId: string }, offset = 0): Promise<string> {
  const [row] = await db()
    .select()
    .from(userTwoFactor)
    .where(eq(userTwoFactor.userId, who.userId));
  const key = decodeTotpKey(decryptSecret(row!.secretCiphertext, secretContext(who), env().encryptionKeys));
  return totpCode(key, totpStepAt(Date.now()) + offset);
}

/** A merchant with two-factor on, enabled with the previous step's code (so this step's and the next are still unused). */
async function merchantWithTwoFactor() {
  const m = await merchant();
  expect(await beginTwoFactorSetup(m.actor)).toEqual({ ok: true });
  const confirmed = await confirmTwoFactorSetup(m.actor, await appCode(m.who, -1));
  if (!confirmed.ok) throw new Error(`could not enable: ${confirmed.reason}`);
  return { ...m, recoveryCodes: confirmed.recoveryCodes };
}

const actions = async (tenantId: string) =>
  (await db().select().from(auditLog).where(eq(auditLog.tenantId, tenantId)).orderBy(auditLog.id)).map((entry) => entry.action);

describe("TOTP (RFC 6238)", () => {
  it("matches RFC 6238's SHA-1 test vector (the 8-digit code's last 6 digits), within one step either side", () => {
    const key = new TextEncoder().encode("12345678901234567890");
    // RFC 6238, appendix B: T = 59 s → 94287082; 6 digits are the last six.
    expect(totpCode(key, totpStepAt(59_000))).toBe("287082");
    expect(matchTotpStep(key, "287082", 59_000)).toBe(1);
    expect(matchTotpStep(key, "287082", 59_000 + 30_000)).toBe(1);
    expect(matchTotpStep(key, "287082", 59_000 + 60_000)).toBeNull();
    expect(totpUri(key, "a@example.com")).toMatch(/^otpauth:\/\/totp\/Whop%20Connector:a%40example\.com\?/);
  });

  it("makes ten distinct recovery codes xxxxx-xxxxx, read back in any case and without the dash", () => {
    const codes = newRecoveryCodes();
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(/^[a-z2-7]{5}-[a-z2-7]{5}$/);
    expect(normalizeRecoveryCode(` ${codes[0]!.toUpperCase().replace("-", " ")} `)).toBe(codes[0]!.replace("-", ""));
    expect(normalizeRecoveryCode("123456")).toBeNull();
  });
});

describe("setting up two-factor", () => {
  it("enabling needs a valid code; then the ten recovery codes exist as digests only", async () => {
    const m = await merchant();
    expect(await beginTwoFactorSetup(m.actor)).toEqual({ ok: true });
    const pending = await twoFactorState({ ...m.who, email: m.email });
    expect(pending).toMatchObject({ status: "pending", secret: expect.stringMatching(/^[A-Z2-7 ]{32,40}$/), qrSvg: expect.stringContaining("<svg") });
    expect(await isTwoFactorEnabled(m.who)).toBe(false);

    const right = await appCode(m.who);
    const wrong = right === "000000" ? "111111" : "000000";
    expect(await confirmTwoFactorSetup(m.actor, wrong)).toEqual({ ok: false, reason: "invalid" });
    expect(await confirmTwoFactorSetup(m.actor, "not a code")).toEqual({ ok: false, reason: "invalid" });
    expect(await isTwoFactorEnabled(m.who)).toBe(false);

    const confirmed = await confirmTwoFactorSetup(m.actor, right);
    expect(confirmed.ok).toBe(true);
    if (!confirmed.ok) return;
    expect(confirmed.recoveryCodes).toHaveLength(10);
    expect(await isTwoFactorEnabled(m.who)).toBe(true);
    const stored = await db().select().from(recoveryCodes).where(eq(recoveryCodes.userId, m.user.id));
    expect(stored).toHaveLength(10);
    for (const row of stored) {
      expect(row.codeHash).toMatch(/^[0-9a-f]{64}$/);
      expect(confirmed.recoveryCodes.some((code) => row.codeHash.includes(code.replace("-", "")))).toBe(false);
    }
    // The secret is stored encrypted, bound to the user: it does not open for another user.
    const [row] = await db().select().from(userTwoFactor).where(eq(userTwoFactor.userId, m.user.id));
    expect(row!.secretCiphertext).toMatch(/^v1\./);
    expect(() => decryptSecret(row!.secretCiphertext, { ...secretContext(m.who), rowId: "usr_other" }, env().encryptionKeys)).toThrow();
    expect(await twoFactorState({ ...m.who, email: m.email })).toMatchObject({ status: "on", recoveryCodesLeft: 10 });
    expect(await actions(m.tenant.id)).toContain("two_factor.enabled");
    // Set up again while on: refused, the secret unchanged.
    expect(await beginTwoFactorSetup(m.actor)).toMatchObject({ ok: false });
  });

  it("a cancelled or restarted setup needs the new secret's code", async () => {
    const m = await merchant();
    await beginTwoFactorSetup(m.actor);
    const first = await appCode(m.who);
    await beginTwoFactorSetup(m.actor);
    const second = await appCode(m.who);
    if (first !== second) expect(await confirmTwoFactorSetup(m.actor, first)).toEqual({ ok: false, reason: "invalid" });
    await cancelTwoFactorSetup(m.actor);
    expect(await confirmTwoFactorSetup(m.actor, second)).toEqual({ ok: false, reason: "no_setup" });
    expect(await twoFactorState({ ...m.who, email: m.email })).toEqual({ status: "off" });
  });
});

describe("logging in with two-factor", () => {
  it("a correct password is not a log-in yet; the TOTP code is, once: a replayed code fails", async () => {
    const m = await merchantWithTwoFactor();
    const first = await logIn({ email: m.email, password, ip: anyIp() });
    expect(first).toMatchObject({ ok: true, secondFactor: true });
    expect(await actions(m.tenant.id)).not.toContain("login.succeeded");

    const code = await appCode(m.who);
    expect(await logInSecondFactor(m.who, code, "203.0.113.8")).toMatchObject({ ok: true, user: { id: m.user.id } });
    expect(await logInSecondFactor(m.who, code, "203.0.113.8")).toEqual({ ok: false, reason: "invalid" });
    // The step before is older than the one used: spent too.
    expect(await logInSecondFactor(m.who, await appCode(m.who, -1), "203.0.113.8")).toEqual({ ok: false, reason: "invalid" });
    const log = await actions(m.tenant.id);
    expect(log.filter((action) => action === "login.succeeded")).toHaveLength(1);
    expect(log).toContain("login.second_factor_failed");
  });

  it("a recovery code logs in once, and is then spent (audited, with the count left)", async () => {
    const m = await merchantWithTwoFactor();
    const code = m.recoveryCodes[3]!;
    expect(await logInSecondFactor(m.who, code.toUpperCase(), null)).toMatchObject({ ok: true });
    expect(await logInSecondFactor(m.who, code, null)).toEqual({ ok: false, reason: "invalid" });
    expect(await logInSecondFactor(m.who, m.recoveryCodes[4]!.replace("-", ""), null)).toMatchObject({ ok: true });
    const [used] = await db()
      .select({ detail: auditLog.detail })
      .from(auditLog)
      .where(and(eq(auditLog.tenantId, m.tenant.id), eq(auditLog.action, "two_factor.recovery_code_used")))
      .orderBy(auditLog.id)
      .limit(1);
    expect(used!.detail).toEqual({ codesLeft: 9 });
    expect(await twoFactorState({ ...m.who, email: m.email })).toMatchObject({ status: "on", recoveryCodesLeft: 8 });
  });

  it(`200 parallel wrong codes: at most ${MAX_SECOND_FACTOR_ATTEMPTS} checked, the rest throttled, and then the right code waits too — never an error`, async () => {
    const m = await merchantWithTwoFactor();
    const right = new Set([await appCode(m.who, -1), await appCode(m.who), await appCode(m.who, 1)]);
    const wrong = Array.from({ length: 200 }, (_, i) => String(100_000 + i * 7)).filter((code) => !right.has(code));
    const results = await Promise.all(wrong.map((code) => logInSecondFactor(m.who, code, anyIp())));
    expect(results.filter((r) => !r.ok && r.reason === "invalid").length).toBeLessThanOrEqual(MAX_SECOND_FACTOR_ATTEMPTS);
    expect(results.filter((r) => !r.ok && r.reason === "throttled").length).toBeGreaterThanOrEqual(wrong.length - MAX_SECOND_FACTOR_ATTEMPTS);
    expect(results.every((r) => !r.ok)).toBe(true);
    const failures = (await actions(m.tenant.id)).filter((action) => action === "login.second_factor_failed");
    expect(failures.length).toBeLessThanOrEqual(MAX_SECOND_FACTOR_ATTEMPTS);
    expect(await logInSecondFactor(m.who, await appCode(m.who), null)).toEqual({ ok: false, reason: "throttled" });
  });

  it("without two-factor, a password is the whole log-in", async () => {
    const m = await merchant();
    expect(await logIn({ email: m.email, password, ip: anyIp() })).toMatchObject({ ok: true, secondFactor: false });
    expect(await logInSecondFactor(m.who, "123456", null)).toEqual({ ok: false, reason: "not_found" });
  });
});

describe("step-up: sensitive actions ask again after 10 minutes", () => {
  const age = (sessionId: string, userId: string, minutes: number) =>
    db()
      .update(sessions)
      .set({ reauthenticatedAt: sql`now() - make_interval(mins => ${minutes})` })
      .where(and(eq(sessions.userId, userId), eq(sessions.id, sessionId)));

  it("a session re-authenticated 11 minutes ago creates and revokes no token until the password confirms it's you", async () => {
    const m = await merchant();
    const session = await createSession(db(), m.user, m.account.id, { ip: null, userAgent: null });
    const actor = { ...ownerActor(m.tenant, m.user), sessionId: session.id };
    expect(await requireRecentAuthentication(session.id, m.who)).toEqual({ ok: true });
    const token = await createApiToken(actor, "fresh");
    expect(token.ok).toBe(true);

    await age(session.id, m.user.id, 9);
    expect(await requireRecentAuthentication(session.id, m.who)).toEqual({ ok: true });
    await age(session.id, m.user.id, 11);
    expect(await requireRecentAuthentication(session.id, m.who)).toMatchObject({ ok: false, reason: "reauthenticate", method: "password" });
    expect(await createApiToken(actor, "stale")).toMatchObject({ ok: false, reauthenticate: "password" });
    if (token.ok) expect(await revokeApiToken(actor, token.row.id)).toMatchObject({ ok: false, reauthenticate: "password" });
    expect(await db().$count(apiTokens, and(eq(apiTokens.tenantId, m.tenant.id), sql`${apiTokens.revokedAt} is null`))).toBe(1);

    expect(await confirmIdentity({ ...actor, ip: anyIp() }, "not my password")).toMatchObject({ ok: false, reason: "incorrect" });
    expect(await createApiToken(actor, "still stale")).toMatchObject({ ok: false });
    expect(await confirmIdentity({ ...actor, ip: anyIp() }, password)).toEqual({ ok: true });
    expect(await createApiToken(actor, "confirmed")).toMatchObject({ ok: true });
    expect(await actions(m.tenant.id)).toContain("session.reauthenticated");
  });

  it("another user's session never counts, nor an ended one", async () => {
    const a = await merchant();
    const b = await merchant();
    const bSession = await createSession(db(), b.user, b.account.id, { ip: null, userAgent: null });
    expect(await requireRecentAuthentication(bSession.id, a.who)).toMatchObject({ ok: false, reason: "reauthenticate" });
    expect(await confirmIdentity({ ...a.who, sessionId: bSession.id, ip: anyIp() }, password)).toMatchObject({ ok: false, reason: "not_found" });
    await db().update(sessions).set({ endedAt: new Date() }).where(and(eq(sessions.userId, b.user.id), eq(sessions.id, bSession.id)));
    expect(await requireRecentAuthentication(bSession.id, b.who)).toMatchObject({ ok: false });
  });

  it("with two-factor on, a code confirms it's you (not the password); turning it off and new recovery codes need it", async () => {
    const m = await merchantWithTwoFactor();
    const session = await createSession(db(), m.user, m.account.id, { ip: null, userAgent: null });
    const actor = { ...ownerActor(m.tenant, m.user), sessionId: session.id };
    await age(session.id, m.user.id, 11);

    expect(await regenerateRecoveryCodes(actor)).toMatchObject({ ok: false, reason: "reauthenticate", method: "code" });
    expect(await disableTwoFactor(actor)).toMatchObject({ ok: false, reason: "reauthenticate", method: "code" });
    expect(await confirmIdentity({ ...actor, ip: anyIp() }, password)).toMatchObject({ ok: false, reason: "incorrect", method: "code" });
    expect(await confirmIdentity({ ...actor, ip: anyIp() }, await appCode(m.who))).toEqual({ ok: true });

    const fresh = await regenerateRecoveryCodes(actor);
    expect(fresh.ok).toBe(true);
    if (!fresh.ok || !("recoveryCodes" in fresh)) return;
    // The old codes stop working; the new ones work.
    expect(await logInSecondFactor(m.who, m.recoveryCodes[0]!, null)).toEqual({ ok: false, reason: "invalid" });
    expect(await logInSecondFactor(m.who, fresh.recoveryCodes[0]!, null)).toMatchObject({ ok: true });

    expect(await disableTwoFactor(actor)).toEqual({ ok: true });
    expect(await isTwoFactorEnabled(m.who)).toBe(false);
    expect(await db().$count(recoveryCodes, eq(recoveryCodes.userId, m.user.id))).toBe(0);
    expect(await logIn({ email: m.email, password, ip: anyIp() })).toMatchObject({ ok: true, secondFactor: false });
    const log = await actions(m.tenant.id);
    for (const action of ["two_factor.enabled", "two_factor.recovery_codes_regenerated", "two_factor.recovery_code_used", "two_factor.disabled"]) expect(log).toContain(action);
  });
});

describe("deleting the account with two-factor on", () => {
  it("needs the password and the code; a wrong or missing code deletes nothing", async () => {
    const m = await merchantWithTwoFactor();
    const owner = { ...ownerActor(m.tenant, m.user), ip: anyIp() };
    const input = { confirmation: m.email, password };
    expect(await deleteAccount(owner, input)).toEqual({ ok: false, reason: "code_required" });
    expect(await deleteAccount(owner, { ...input, code: "12345" })).toEqual({ ok: false, reason: "incorrect_code" });
    expect(await deleteAccount(owner, { ...input, password: "wrong password", code: await appCode(m.who) })).toEqual({ ok: false, reason: "incorrect_password" });
    expect(await db().$count(tenants, eq(tenants.id, m.tenant.id))).toBe(1);
    expect(await deleteAccount(owner, { ...input, code: m.recoveryCodes[0]! })).toEqual({ ok: true });
    expect(await db().$count(tenants, eq(tenants.id, m.tenant.id))).toBe(0);
    expect(await db().$count(userTwoFactor, eq(userTwoFactor.userId, m.user.id))).toBe(0);
  });
});

describe("key rotation", () => {
  it("re-encrypts TOTP secrets under the new primary key, and codes still match", async () => {
    // Like tests/outbound/rotate-secrets.test.ts: the row is under a key of its own, so rotating
    // with (new, that key) moves it and leaves every other test's secrets (under ENCRYPTION_KEYS) alone.
    const oldKey = `old${randomBytes(3).toString("hex")}:${randomBytes(32).toString("base64")}`;
    const before = parseEncryptionKeys(oldKey);
    const m = await merchant();
    const key = newTotpKey();
    await db().insert(userTwoFactor).values({ ...m.who, secretCiphertext: encryptSecret(encodeTotpKey(key), secretContext(m.who), before), enabledAt: new Date() });

    const after = parseEncryptionKeys(`new${randomBytes(3).toString("hex")}:${randomBytes(32).toString("base64")},${oldKey}`);
    const report = await rotateStoredSecrets(db(), after);
    expect(report.secretsMoved).toBeGreaterThanOrEqual(1);
    const [row] = await db().select().from(userTwoFactor).where(eq(userTwoFactor.userId, m.user.id));
    expect(encryptionKeyIdOf(row!.secretCiphertext)).toBe(after.primary.id);
    const onlyNew = parseEncryptionKeys(`${after.primary.id}:${after.primary.key.toString("base64")}`);
    expect(decryptSecret(row!.secretCiphertext, secretContext(m.who), onlyNew)).toBe(encodeTotpKey(key));
  });
});
