import { and, eq, isNull, sql } from "drizzle-orm";
import { db } from "@/db/client";
import { users } from "@/db/schema";
import { sessions } from "@/db/schema-auth";
import { recordUserAudit } from "@/lib/audit/log";
import { verifyPassword } from "./password";
import { checkSecondFactor, isTwoFactorEnabled, type UserRef } from "./second-factor";
import { returnLoginAttempt, takeLoginAttempt, throttleKeys } from "./throttle";

/*
 * Step-up re-authentication. Sensitive actions (replacing the Whop key, creating or revoking API
 * tokens, turning two-factor off, new recovery codes) call requireRecentAuthentication in their use
 * case: the session must have proved who is using it — at log-in or with **Confirm it's you** —
 * within the last 10 minutes. Otherwise the action does nothing and answers `reauthenticate`, and
 * the page offers the confirmation (the password, or a code when two-factor is on).
 */

export const REAUTHENTICATE_AFTER_MINUTES = 10;

export type ReauthMethod = "password" | "code";

export interface StepUpRequired {
  ok: false;
  reason: "reauthenticate";
  method: ReauthMethod;
  message: string;
}

export interface SessionActor extends UserRef {
  /** The session the request comes from; null only for server-side callers (fixtures, scripts), never a browser. */
  sessionId: string | null;
}

export const STEP_UP_MESSAGE = "For your security, confirm it's you before doing this: it has been more than 10 minutes since you last did.";

export async function reauthMethodOf(user: UserRef): Promise<ReauthMethod> {
  return (await isTwoFactorEnabled(user)) ? "code" : "password";
}

/** `{ ok: true }` when the session re-authenticated within the last 10 minutes, else what to ask for. */
export async function requireRecentAuthentication(sessionId: string | null, user: UserRef): Promise<{ ok: true } | StepUpRequired> {
  if (sessionId === null) return { ok: true };
  const [row] = await db()
    .select({ recent: sql<boolean>`coalesce(${sessions.reauthenticatedAt} > now() - make_interval(mins => ${REAUTHENTICATE_AFTER_MINUTES}), false)` })
    .from(sessions)
    .where(and(eq(sessions.userId, user.userId), eq(sessions.id, sessionId), isNull(sessions.endedAt)))
    .limit(1);
  if (row?.recent) return { ok: true };
  return { ok: false, reason: "reauthenticate", method: await reauthMethodOf(user), message: STEP_UP_MESSAGE };
}

/** Marks the session as just re-authenticated (log-in does it when it creates the row). */
export async function markReauthenticated(sessionId: string, user: UserRef): Promise<boolean> {
  const updated = await db()
    .update(sessions)
    .set({ reauthenticatedAt: sql`now()` })
    .where(and(eq(sessions.userId, user.userId), eq(sessions.id, sessionId), isNull(sessions.endedAt)))
    .returning({ id: sessions.id });
  return updated.length > 0;
}

export type ConfirmIdentityResult = { ok: true } | { ok: false; reason: "incorrect" | "throttled" | "not_found"; method: ReauthMethod };

/**
 * **Confirm it's you**: with two-factor on, a code (TOTP or recovery code, counted per user like
 * log-in's second step); otherwise the password (counted against the log-in throttle, so this is
 * no side door for guessing). Success sets the session's reauthenticated_at.
 */
export async function confirmIdentity(actor: SessionActor & { sessionId: string; ip: string | null }, secret: string): Promise<ConfirmIdentityResult> {
  const [user] = await db()
    .select()
    .from(users)
    .where(eq(users.id, actor.userId))
    .limit(1);
  const method = user ? await reauthMethodOf(actor) : "password";
  if (!user) return { ok: false, reason: "not_found", method };

  if (method === "code") {
    const check = await checkSecondFactor(actor, secret, actor.ip);
    if (!check.ok) return { ok: false, reason: check.reason === "throttled" ? "throttled" : "incorrect", method };
  } else {
    const keys = throttleKeys(user.email, actor.ip);
    if (!(await takeLoginAttempt(db(), keys))) return { ok: false, reason: "throttled", method };
    if (!(await verifyPassword(user.passwordHash, secret))) return { ok: false, reason: "incorrect", method };
    await returnLoginAttempt(db(), keys);
  }
  if (!(await markReauthenticated(actor.sessionId, actor))) return { ok: false, reason: "not_found", method };
  await recordUserAudit(db(), actor.userId, { action: "session.reauthenticated", ip: actor.ip, detail: { method: method === "code" ? "two-factor code" : "password" } });
  return { ok: true };
}
