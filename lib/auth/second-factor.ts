import { and, eq, isNotNull, isNull, lt, or, sql } from "drizzle-orm";
import { db, type Executor } from "@/db/client";
import { recoveryCodes, userTwoFactor } from "@/db/schema-auth";
import { recordUserAudit } from "@/lib/audit/log";
import { decryptSecret } from "@/lib/crypto/secrets";
import { env } from "@/lib/env";
import { clearSecondFactorAttempts, takeSecondFactorAttempt } from "./throttle";
import { decodeTotpKey, digestRecoveryCode, matchTotpStep, normalizeRecoveryCode, normalizeTotpInput } from "./totp";

/*
 * Checking a second factor: a 6-digit TOTP code or a recovery code, for log-in's second step,
 * **Confirm it's you** and deleting the account. Every attempt is counted per user before it is
 * checked (lib/auth/throttle.ts); a TOTP code is spent by moving last_used_step forward in one
 * conditional update, a recovery code by setting its used_at in one, so neither works twice.
 */

export interface UserRef {
  userId: string;
}

/**
 * What a user's TOTP secret is bound to: the user (a secret sealed before users had accounts of
 * several names the tenant it was sealed under, `sealed_tenant_id`, until it is re-sealed).
 */
export const secretContext = (user: UserRef, sealedTenantId: string | null = null) => ({ tenantId: sealedTenantId ?? "user", field: "totp_secret" as const, rowId: user.userId });

/** Whether the user signs in with a second factor (an enabled authenticator). */
export async function isTwoFactorEnabled(user: UserRef, executor: Executor = db()): Promise<boolean> {
  const [row] = await executor
    .select({ enabledAt: userTwoFactor.enabledAt })
    .from(userTwoFactor)
    .where(and(eq(userTwoFactor.userId, user.userId), isNotNull(userTwoFactor.enabledAt)))
    .limit(1);
  return row !== undefined;
}

export type SecondFactorCheck = { ok: true; method: "totp" | "recovery_code" } | { ok: false; reason: "invalid" | "throttled" | "not_enabled" };

/** Checks and spends `input` (a TOTP code or a recovery code) for the user; a used recovery code is audited. */
export async function checkSecondFactor(user: UserRef, input: string, ip: string | null, nowMs = Date.now()): Promise<SecondFactorCheck> {
  if (!(await takeSecondFactorAttempt(db(), user))) return { ok: false, reason: "throttled" };
  const [row] = await db()
    .select()
    .from(userTwoFactor)
    .where(and(eq(userTwoFactor.userId, user.userId), isNotNull(userTwoFactor.enabledAt)))
    .limit(1);
  if (!row) return { ok: false, reason: "not_enabled" };

  const totp = normalizeTotpInput(input);
  if (totp) {
    const step = matchTotpStep(decodeTotpKey(decryptSecret(row.secretCiphertext, secretContext(user, row.sealedTenantId), env().encryptionKeys)), totp, nowMs);
    if (step === null) return { ok: false, reason: "invalid" };
    const spent = await db()
      .update(userTwoFactor)
      .set({ lastUsedStep: step })
      .where(
        and(
          eq(userTwoFactor.userId, user.userId),
          isNotNull(userTwoFactor.enabledAt),
          or(isNull(userTwoFactor.lastUsedStep), lt(userTwoFactor.lastUsedStep, step)),
        ),
      )
      .returning({ step: userTwoFactor.lastUsedStep });
    if (spent.length === 0) return { ok: false, reason: "invalid" }; // this step's code (or a later one) was already used
    await clearSecondFactorAttempts(db(), user);
    return { ok: true, method: "totp" };
  }

  const recovery = normalizeRecoveryCode(input);
  if (!recovery) return { ok: false, reason: "invalid" };
  return db().transaction(async (tx) => {
    const used = await tx
      .update(recoveryCodes)
      .set({ usedAt: sql`now()` })
      .where(and(eq(recoveryCodes.userId, user.userId), eq(recoveryCodes.codeHash, digestRecoveryCode(recovery)), isNull(recoveryCodes.usedAt)))
      .returning({ codeHash: recoveryCodes.codeHash });
    if (used.length === 0) return { ok: false, reason: "invalid" } as const;
    const [{ left } = { left: 0 }] = await tx
      .select({ left: sql<number>`count(*)::int` })
      .from(recoveryCodes)
      .where(and(eq(recoveryCodes.userId, user.userId), isNull(recoveryCodes.usedAt)));
    await recordUserAudit(tx, user.userId, { action: "two_factor.recovery_code_used", ip, detail: { codesLeft: left } });
    await clearSecondFactorAttempts(tx, user);
    return { ok: true, method: "recovery_code" } as const;
  });
}
