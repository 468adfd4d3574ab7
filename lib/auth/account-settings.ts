import { and, eq, inArray } from "drizzle-orm";
import { db } from "@/db/client";
import { apiTokenHashes, itemSlugs, loginThrottle, rateLimitBuckets, tenantPublicIds, tenants, userEmails, users, type User } from "@/db/schema";
import { recordAudit } from "@/lib/audit/log";
import { logger } from "@/lib/logger";
import { hashPassword, verifyPassword } from "./password";
import { authTokens } from "@/db/schema-auth";
import { endUserSessions } from "./sessions";
import { checkSecondFactor, isTwoFactorEnabled } from "./second-factor";
import { returnLoginAttempt, secondFactorKey, takeLoginAttempt, throttleKeys } from "./throttle";

/*
 * What a signed-in merchant can do to their own account. Every function takes the ids from the
 * session (never from a form) and scopes each query by both the user and the tenant.
 */

async function findUser(userId: string, tenantId: string): Promise<User | undefined> {
  const [user] = await db()
    .select()
    .from(users)
    .where(and(eq(users.id, userId), eq(users.tenantId, tenantId)))
    .limit(1);
  return user;
}

export type ChangePasswordResult =
  | { ok: true; user: User }
  | { ok: false; reason: "incorrect" | "throttled" | "same_password" | "not_found" };

/**
 * Re-authenticates with the current password (failures count against the same throttle as
 * logins, so this form is no side door for guessing), stores the new argon2id hash and bumps the
 * session version, which ends every session issued before. The caller re-issues its own session
 * from the returned user. `newPassword` is already validated against the password rules.
 */
export async function changePassword(input: {
  userId: string;
  tenantId: string;
  currentPassword: string;
  newPassword: string;
  ip: string | null;
  /** The session the change is made from: it stays signed in, every other one ends. */
  keepSessionId?: string;
}): Promise<ChangePasswordResult> {
  const user = await findUser(input.userId, input.tenantId);
  if (!user) return { ok: false, reason: "not_found" };

  const keys = throttleKeys(user.email, input.ip);
  if (!(await takeLoginAttempt(db(), keys))) return { ok: false, reason: "throttled" };
  if (!(await verifyPassword(user.passwordHash, input.currentPassword))) {
    await recordAudit(db(), { tenantId: user.tenantId, actorUserId: user.id, action: "password.change_failed", ip: input.ip });
    return { ok: false, reason: "incorrect" };
  }
  await returnLoginAttempt(db(), keys);
  if (input.newPassword === input.currentPassword) return { ok: false, reason: "same_password" };

  const passwordHash = await hashPassword(input.newPassword);
  return db().transaction(async (tx) => {
    const [updated] = await tx
      .update(users)
      .set({ passwordHash, updatedAt: new Date() })
      .where(and(eq(users.id, user.id), eq(users.tenantId, user.tenantId)))
      .returning();
    if (!updated) return { ok: false, reason: "not_found" } as const;
    await endUserSessions(tx, { tenantId: user.tenantId, userId: user.id }, input.keepSessionId);
    await recordAudit(tx, { tenantId: updated.tenantId, actorUserId: updated.id, action: "password.changed", ip: input.ip });
    return { ok: true, user: updated } as const;
  });
}

/** Log out everywhere: every live session of the user, this one included, ends. */
export async function revokeAllSessions(userId: string, tenantId: string, ip: string | null): Promise<{ ok: boolean; ended: number }> {
  return db().transaction(async (tx) => {
    const [user] = await tx.select({ id: users.id }).from(users).where(and(eq(users.id, userId), eq(users.tenantId, tenantId)));
    if (!user) return { ok: false, ended: 0 };
    const ended = await endUserSessions(tx, { tenantId, userId });
    await recordAudit(tx, { tenantId, actorUserId: userId, action: "sessions.revoked", ip, detail: { ended } });
    return { ok: true, ended };
  });
}

/** What the merchant must type to delete the account: the Whop company's name, or the email before connecting. */
export function deletionConfirmationPhrase(account: { tenant: { whopCompanyTitle: string | null }; user: { email: string } }): string {
  return account.tenant.whopCompanyTitle?.trim() || account.user.email;
}

export type DeleteAccountResult =
  | { ok: true }
  | { ok: false; reason: "mismatch"; expected: string }
  | { ok: false; reason: "not_found" | "incorrect_password" | "code_required" | "incorrect_code" | "throttled" };

/**
 * Deletes the tenant, and with it (foreign keys, ON DELETE CASCADE) its users (their sessions,
 * authenticators and recovery codes), items, orders, webhook events, rejections, problems and audit trail, plus the throttle counters that name it.
 * Its rows in the global lookup tables (emails, slugs, token hashes, public id) are deleted by
 * name too: here they would cascade, but under Citus those tables cannot keep foreign keys to
 * tenant tables, and an email must be free for a new sign-up once its account is gone.
 * Nothing on Whop is touched: the merchant revokes the key and deletes the webhook there.
 * The confirmation must equal the phrase exactly (case-sensitive) after trimming, and the merchant
 * proves who they are in the same form: the password (counted like a log-in) and, with two-factor
 * on, a code (TOTP or recovery code, counted per user). The phrase is checked first, so a typo
 * spends no attempt and no code.
 */
export async function deleteAccount(input: {
  tenantId: string;
  userId: string;
  confirmation: string;
  password: string;
  /** The authenticator (or recovery) code; required when two-factor is on. */
  code?: string;
  ip: string | null;
}): Promise<DeleteAccountResult> {
  const [found] = await db()
    .select({ user: users, tenant: tenants })
    .from(users)
    .innerJoin(tenants, eq(tenants.id, users.tenantId))
    .where(and(eq(users.id, input.userId), eq(users.tenantId, input.tenantId)))
    .limit(1);
  if (!found) return { ok: false, reason: "not_found" };
  const phrase = deletionConfirmationPhrase(found);
  if (input.confirmation.trim() !== phrase) return { ok: false, reason: "mismatch", expected: phrase };

  const keys = throttleKeys(found.user.email, input.ip);
  if (!(await takeLoginAttempt(db(), keys))) return { ok: false, reason: "throttled" };
  if (!(await verifyPassword(found.user.passwordHash, input.password))) return { ok: false, reason: "incorrect_password" };
  await returnLoginAttempt(db(), keys);
  const who = { tenantId: input.tenantId, userId: input.userId };
  if (await isTwoFactorEnabled(who)) {
    if (!input.code?.trim()) return { ok: false, reason: "code_required" };
    const check = await checkSecondFactor(who, input.code, input.ip);
    if (!check.ok) return { ok: false, reason: check.reason === "throttled" ? "throttled" : "incorrect_code" };
  }

  return db().transaction(async (tx) => {
    // Locks the tenant so that the phrase checked is the one in force when the row goes.
    const [account] = await tx
      .select({ user: users, tenant: tenants })
      .from(users)
      .innerJoin(tenants, eq(tenants.id, users.tenantId))
      .where(and(eq(users.id, input.userId), eq(users.tenantId, input.tenantId)))
      .limit(1)
      .for("update", { of: tenants });
    if (!account) return { ok: false, reason: "not_found" } as const;
    const expected = deletionConfirmationPhrase(account);
    if (input.confirmation.trim() !== expected) return { ok: false, reason: "mismatch", expected } as const;

    const members = await tx.select({ id: users.id, email: users.email }).from(users).where(eq(users.tenantId, input.tenantId));
    await tx.delete(userEmails).where(eq(userEmails.tenantId, input.tenantId));
    await tx.delete(itemSlugs).where(eq(itemSlugs.tenantId, input.tenantId));
    await tx.delete(apiTokenHashes).where(eq(apiTokenHashes.tenantId, input.tenantId));
    await tx.delete(tenantPublicIds).where(eq(tenantPublicIds.tenantId, input.tenantId));
    await tx.delete(authTokens).where(eq(authTokens.tenantId, input.tenantId));
    await tx.delete(tenants).where(eq(tenants.id, input.tenantId));
    if (members.length > 0) {
      const counters = members.flatMap((member) => [throttleKeys(member.email, null).email, secondFactorKey({ tenantId: input.tenantId, userId: member.id })]);
      await tx.delete(loginThrottle).where(inArray(loginThrottle.key, counters));
    }
    await tx.delete(rateLimitBuckets).where(eq(rateLimitBuckets.key, `checkout:tenant:${input.tenantId}`));
    logger.info({ tenantId: input.tenantId, userId: input.userId }, "account deleted by its owner");
    return { ok: true } as const;
  });
}
