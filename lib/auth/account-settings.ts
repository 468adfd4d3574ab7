import { and, eq, inArray, sql } from "drizzle-orm";
import { db } from "@/db/client";
import { accounts, apiTokenHashes, itemSlugs, loginThrottle, rateLimitBuckets, tenantPublicIds, tenants, users, type User } from "@/db/schema";
import { accountMembers, invitationTokens, sessions } from "@/db/schema-auth";
import { recordUserAudit } from "@/lib/audit/log";
import { logger } from "@/lib/logger";
import type { Actor } from "./actor";
import { hashPassword, verifyPassword } from "./password";
import { authorize } from "./roles";
import { endUserSessions } from "./sessions";
import { checkSecondFactor, isTwoFactorEnabled } from "./second-factor";
import { returnLoginAttempt, secondFactorKey, takeLoginAttempt, throttleKeys } from "./throttle";

/*
 * What a signed-in user can do to their own sign-in (any role), and what an owner can do to the
 * account (delete it). Every function takes the ids from the session, never from a form.
 */

async function findUser(userId: string): Promise<User | undefined> {
  const [user] = await db().select().from(users).where(eq(users.id, userId)).limit(1);
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
  currentPassword: string;
  newPassword: string;
  ip: string | null;
  /** The session the change is made from: it stays signed in, every other one ends. */
  keepSessionId?: string;
}): Promise<ChangePasswordResult> {
  const user = await findUser(input.userId);
  if (!user) return { ok: false, reason: "not_found" };

  const keys = throttleKeys(user.email, input.ip);
  if (!(await takeLoginAttempt(db(), keys))) return { ok: false, reason: "throttled" };
  if (!(await verifyPassword(user.passwordHash, input.currentPassword))) {
    await recordUserAudit(db(), user.id, { action: "password.change_failed", ip: input.ip });
    return { ok: false, reason: "incorrect" };
  }
  await returnLoginAttempt(db(), keys);
  if (input.newPassword === input.currentPassword) return { ok: false, reason: "same_password" };

  const passwordHash = await hashPassword(input.newPassword);
  return db().transaction(async (tx) => {
    const [updated] = await tx
      .update(users)
      .set({ passwordHash, updatedAt: new Date() })
      .where(eq(users.id, user.id))
      .returning();
    if (!updated) return { ok: false, reason: "not_found" } as const;
    await endUserSessions(tx, user.id, input.keepSessionId);
    await recordUserAudit(tx, updated.id, { action: "password.changed", ip: input.ip });
    return { ok: true, user: updated } as const;
  });
}

/** Log out everywhere: every live session of the user, this one included, ends. */
export async function revokeAllSessions(userId: string, ip: string | null): Promise<{ ok: boolean; ended: number }> {
  return db().transaction(async (tx) => {
    const [user] = await tx.select({ id: users.id }).from(users).where(eq(users.id, userId));
    if (!user) return { ok: false, ended: 0 };
    const ended = await endUserSessions(tx, userId);
    await recordUserAudit(tx, userId, { action: "sessions.revoked", ip, detail: { ended } });
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
 * Deletes the account (Owner only), and with it (foreign keys, ON DELETE CASCADE) its tenant's
 * items, orders, webhook events, rejections, problems and audit trail, its members and
 * invitations. Members who belong to no other account go too (their sessions, authenticators and
 * recovery codes), so their email is free for a new sign-up; members of other accounts stay and
 * their sessions in this one end. Rows in the global lookup tables (slugs, token hashes, public
 * id, invitation tokens) are deleted by name: under Citus those tables keep no foreign keys to
 * tenant tables. Nothing on Whop is touched: the merchant revokes the key and deletes the webhook
 * there. The confirmation must equal the phrase exactly (case-sensitive) after trimming, and the
 * owner proves who they are in the same form: the password (counted like a log-in) and, with
 * two-factor on, a code (TOTP or recovery code, counted per user). The phrase is checked first, so
 * a typo spends no attempt and no code.
 */
export async function deleteAccount(
  actor: Actor,
  input: {
    confirmation: string;
    password: string;
    /** The authenticator (or recovery) code; required when two-factor is on. */
    code?: string;
  },
): Promise<DeleteAccountResult> {
  authorize(actor, "owner");
  const user = await findUser(actor.userId);
  if (!user) return { ok: false, reason: "not_found" };
  const phrase = deletionConfirmationPhrase({ tenant: actor.tenant, user });
  if (input.confirmation.trim() !== phrase) return { ok: false, reason: "mismatch", expected: phrase };

  const keys = throttleKeys(user.email, actor.ip);
  if (!(await takeLoginAttempt(db(), keys))) return { ok: false, reason: "throttled" };
  if (!(await verifyPassword(user.passwordHash, input.password))) return { ok: false, reason: "incorrect_password" };
  await returnLoginAttempt(db(), keys);
  const who = { userId: actor.userId };
  if (await isTwoFactorEnabled(who)) {
    if (!input.code?.trim()) return { ok: false, reason: "code_required" };
    const check = await checkSecondFactor(who, input.code, actor.ip);
    if (!check.ok) return { ok: false, reason: check.reason === "throttled" ? "throttled" : "incorrect_code" };
  }

  return db().transaction(async (tx) => {
    // Locks the tenant so that the phrase checked is the one in force when the row goes, and
    // checks again that the actor is still an owner of this account.
    const [account] = await tx
      .select({ tenant: tenants })
      .from(tenants)
      .innerJoin(accountMembers, and(eq(accountMembers.accountId, tenants.accountId), eq(accountMembers.userId, actor.userId), eq(accountMembers.role, "owner")))
      .where(and(eq(tenants.id, actor.tenant.id), eq(tenants.accountId, actor.accountId)))
      .limit(1)
      .for("update", { of: tenants });
    if (!account) return { ok: false, reason: "not_found" } as const;
    const expected = deletionConfirmationPhrase({ tenant: account.tenant, user });
    if (input.confirmation.trim() !== expected) return { ok: false, reason: "mismatch", expected } as const;

    const tenantIds = (await tx.select({ id: tenants.id }).from(tenants).where(eq(tenants.accountId, actor.accountId))).map((row) => row.id);
    // Members with no other account: they go with it.
    const leaving = await tx
      .select({ id: users.id, email: users.email })
      .from(accountMembers)
      .innerJoin(users, eq(users.id, accountMembers.userId))
      .where(
        and(
          eq(accountMembers.accountId, actor.accountId),
          sql`not exists (select 1 from ${accountMembers} other where other.user_id = ${accountMembers.userId} and other.account_id <> ${actor.accountId})`,
        ),
      );
    await tx.delete(itemSlugs).where(inArray(itemSlugs.tenantId, tenantIds));
    await tx.delete(apiTokenHashes).where(inArray(apiTokenHashes.tenantId, tenantIds));
    await tx.delete(tenantPublicIds).where(inArray(tenantPublicIds.tenantId, tenantIds));
    await tx.delete(invitationTokens).where(eq(invitationTokens.accountId, actor.accountId));
    await tx.update(sessions).set({ endedAt: sql`now()` }).where(and(eq(sessions.accountId, actor.accountId), sql`${sessions.endedAt} is null`));
    await tx.delete(accounts).where(eq(accounts.id, actor.accountId));
    if (leaving.length > 0) {
      // users → user_emails, sessions, auth tokens, authenticators and recovery codes cascade.
      await tx.delete(users).where(inArray(users.id, leaving.map((member) => member.id)));
      const counters = leaving.flatMap((member) => [throttleKeys(member.email, null).email, secondFactorKey({ userId: member.id })]);
      await tx.delete(loginThrottle).where(inArray(loginThrottle.key, counters));
    }
    await tx.delete(rateLimitBuckets).where(inArray(rateLimitBuckets.key, tenantIds.map((id) => `checkout:tenant:${id}`)));
    logger.info({ accountId: actor.accountId, tenantId: actor.tenant.id, userId: actor.userId }, "account deleted by its owner");
    return { ok: true } as const;
  });
}
