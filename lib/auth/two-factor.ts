import { and, eq, isNotNull, isNull, sql } from "drizzle-orm";
import QRCode from "qrcode";
import { db, type Executor } from "@/db/client";
import { accounts, users, type User } from "@/db/schema";
import { accountNameOf } from "@/lib/tenants/queries";
import { accountMembers, recoveryCodes, userTwoFactor } from "@/db/schema-auth";
import { recordUserAudit } from "@/lib/audit/log";
import { decryptSecret, encryptSecret } from "@/lib/crypto/secrets";
import { env } from "@/lib/env";
import { checkSecondFactor, secretContext, type UserRef } from "./second-factor";
import { requireRecentAuthentication, type SessionActor, type StepUpRequired } from "./step-up";
import { clearSecondFactorAttempts, takeSecondFactorAttempt } from "./throttle";
import { decodeTotpKey, digestRecoveryCode, encodeTotpKey, formatTotpSecret, matchTotpStep, newRecoveryCodes, newTotpKey, normalizeTotpInput, totpUri } from "./totp";

/*
 * Two-factor sign-in under Settings: set up (a new secret, pending until its first code is typed),
 * turn off, and new recovery codes (both behind step-up). Every function takes the ids from the
 * session and scopes each query by tenant and user.
 */

/** The signed-in user acting on their own sign-in (any role may). */
export interface UserActor extends SessionActor {
  ip: string | null;
}

export type TwoFactorState =
  | { status: "off" }
  | { status: "pending"; secret: string; uri: string; qrSvg: string }
  | { status: "on"; enabledAt: Date; recoveryCodesLeft: number };

const whereUser = (user: UserRef) => eq(userTwoFactor.userId, user.userId);
const whereCodes = (user: UserRef) => eq(recoveryCodes.userId, user.userId);

/** What the Settings card shows; a pending setup carries its secret, URI and QR code (SVG). */
export async function twoFactorState(user: UserRef & { email: string }): Promise<TwoFactorState> {
  const [row] = await db().select().from(userTwoFactor).where(whereUser(user)).limit(1);
  if (!row) return { status: "off" };
  if (row.enabledAt) {
    const [{ left } = { left: 0 }] = await db()
      .select({ left: sql<number>`count(*)::int` })
      .from(recoveryCodes)
      .where(and(whereCodes(user), isNull(recoveryCodes.usedAt)));
    return { status: "on", enabledAt: row.enabledAt, recoveryCodesLeft: left };
  }
  const key = decodeTotpKey(decryptSecret(row.secretCiphertext, secretContext(user, row.sealedTenantId), env().encryptionKeys));
  const uri = totpUri(key, user.email);
  const qrSvg = await QRCode.toString(uri, { type: "svg", margin: 1, errorCorrectionLevel: "M" });
  return { status: "pending", secret: formatTotpSecret(key), uri, qrSvg };
}

/** **Set up two-factor**: a new secret, pending until confirmed (a setup started before is replaced). */
export async function beginTwoFactorSetup(actor: UserActor): Promise<{ ok: true } | { ok: false; message: string }> {
  const ciphertext = encryptSecret(encodeTotpKey(newTotpKey()), secretContext(actor), env().encryptionKeys);
  const written = await db()
    .insert(userTwoFactor)
    .values({ userId: actor.userId, secretCiphertext: ciphertext })
    .onConflictDoUpdate({
      target: [userTwoFactor.userId],
      set: { secretCiphertext: ciphertext, sealedTenantId: null, lastUsedStep: null, createdAt: sql`now()` },
      setWhere: isNull(userTwoFactor.enabledAt),
    })
    .returning({ userId: userTwoFactor.userId });
  if (written.length === 0) return { ok: false, message: "Two-factor authentication is already on." };
  return { ok: true };
}

/** **Cancel** a pending setup: its secret is forgotten. */
export async function cancelTwoFactorSetup(actor: UserActor): Promise<void> {
  await db().delete(userTwoFactor).where(and(whereUser(actor), isNull(userTwoFactor.enabledAt)));
}

async function replaceRecoveryCodes(tx: Executor, user: UserRef): Promise<string[]> {
  const codes = newRecoveryCodes();
  await tx.delete(recoveryCodes).where(whereCodes(user));
  await tx.insert(recoveryCodes).values(codes.map((code) => ({ userId: user.userId, codeHash: digestRecoveryCode(code.replace("-", "")) })));
  return codes;
}

export type ConfirmSetupResult = { ok: true; recoveryCodes: string[] } | { ok: false; reason: "invalid" | "throttled" | "no_setup" };

/** The first code from the app: two-factor is on, and the ten recovery codes are made (returned once, stored as digests). */
export async function confirmTwoFactorSetup(actor: UserActor, input: string, nowMs = Date.now()): Promise<ConfirmSetupResult> {
  if (!(await takeSecondFactorAttempt(db(), actor))) return { ok: false, reason: "throttled" };
  const [row] = await db().select().from(userTwoFactor).where(and(whereUser(actor), isNull(userTwoFactor.enabledAt))).limit(1);
  if (!row) return { ok: false, reason: "no_setup" };
  const code = normalizeTotpInput(input);
  const step = code ? matchTotpStep(decodeTotpKey(decryptSecret(row.secretCiphertext, secretContext(actor, row.sealedTenantId), env().encryptionKeys)), code, nowMs) : null;
  if (step === null) return { ok: false, reason: "invalid" };
  return db().transaction(async (tx) => {
    const enabled = await tx
      .update(userTwoFactor)
      .set({ enabledAt: sql`now()`, lastUsedStep: step })
      // The secret checked is the one enabled: a setup restarted meanwhile needs its own code.
      .where(and(whereUser(actor), isNull(userTwoFactor.enabledAt), eq(userTwoFactor.secretCiphertext, row.secretCiphertext)))
      .returning({ userId: userTwoFactor.userId });
    if (enabled.length === 0) return { ok: false, reason: "no_setup" } as const;
    const codes = await replaceRecoveryCodes(tx, actor);
    await clearSecondFactorAttempts(tx, actor);
    await recordUserAudit(tx, actor.userId, { action: "two_factor.enabled", ip: actor.ip });
    return { ok: true, recoveryCodes: codes } as const;
  });
}

/** The names of the user's accounts whose owners require two-factor of every member. */
export async function accountsRequiringTwoFactor(user: UserRef): Promise<string[]> {
  const rows = await db()
    .select({ accountId: accounts.id, name: accountNameOf(accounts.id) })
    .from(accountMembers)
    .innerJoin(accounts, eq(accounts.id, accountMembers.accountId))
    .where(and(eq(accountMembers.userId, user.userId), isNotNull(accounts.twoFactorRequiredAt)));
  return rows.map((row) => row.name ?? "An account not connected yet");
}

/** **Turn off two-factor** (behind step-up): the authenticator and every recovery code go, unless an account of the user's requires it. */
export async function disableTwoFactor(
  actor: UserActor,
): Promise<{ ok: true } | { ok: false; reason: "not_enabled" | "required"; message: string } | StepUpRequired> {
  const requiring = await accountsRequiringTwoFactor(actor);
  if (requiring.length > 0) {
    const names = requiring.map((name) => `“${name}”`).join(", ");
    return {
      ok: false,
      reason: "required",
      message: `${names} ${requiring.length === 1 ? "requires" : "require"} two-factor of every member: it stays on while you belong to ${requiring.length === 1 ? "that account" : "those accounts"}.`,
    };
  }
  const recent = await requireRecentAuthentication(actor.sessionId, actor);
  if (!recent.ok) return recent;
  return db().transaction(async (tx) => {
    const removed = await tx.delete(userTwoFactor).where(and(whereUser(actor), isNotNull(userTwoFactor.enabledAt))).returning({ userId: userTwoFactor.userId });
    if (removed.length === 0) return { ok: false, reason: "not_enabled", message: "Two-factor authentication is already off." } as const;
    await tx.delete(recoveryCodes).where(whereCodes(actor));
    await recordUserAudit(tx, actor.userId, { action: "two_factor.disabled", ip: actor.ip });
    return { ok: true } as const;
  });
}

/** **New recovery codes** (behind step-up): ten new ones, and every old one stops working. */
export async function regenerateRecoveryCodes(
  actor: UserActor,
): Promise<{ ok: true; recoveryCodes: string[] } | { ok: false; reason: "not_enabled"; message: string } | StepUpRequired> {
  const recent = await requireRecentAuthentication(actor.sessionId, actor);
  if (!recent.ok) return recent;
  return db().transaction(async (tx) => {
    // Locks the authenticator row: two regenerations in parallel leave one set, not a mixture.
    const [row] = await tx.select({ userId: userTwoFactor.userId }).from(userTwoFactor).where(and(whereUser(actor), isNotNull(userTwoFactor.enabledAt))).for("update");
    if (!row) return { ok: false, reason: "not_enabled", message: "Turn on two-factor authentication first." } as const;
    const codes = await replaceRecoveryCodes(tx, actor);
    await recordUserAudit(tx, actor.userId, { action: "two_factor.recovery_codes_regenerated", ip: actor.ip });
    return { ok: true, recoveryCodes: codes } as const;
  });
}

export type SecondStepResult = { ok: true; user: User } | { ok: false; reason: "invalid" | "throttled" | "not_found" };

/**
 * Log-in's second step, for the user whose password was accepted moments ago (the pending state of
 * lib/auth/session.ts names them): a TOTP or recovery code. Success is the log-in (audited); the
 * caller starts the session.
 */
export async function logInSecondFactor(pending: UserRef, input: string, ip: string | null): Promise<SecondStepResult> {
  const check = await checkSecondFactor(pending, input, ip);
  if (!check.ok) {
    if (check.reason === "not_enabled") return { ok: false, reason: "not_found" };
    if (check.reason === "invalid") await recordUserAudit(db(), pending.userId, { action: "login.second_factor_failed", ip });
    return { ok: false, reason: check.reason };
  }
  const [user] = await db()
    .select()
    .from(users)
    .where(eq(users.id, pending.userId))
    .limit(1);
  if (!user) return { ok: false, reason: "not_found" };
  await recordUserAudit(db(), user.id, { action: "login.succeeded", ip, detail: { method: check.method === "totp" ? "authenticator code" : "recovery code" } });
  return { ok: true, user };
}
