import { and, desc, eq, gt, isNull, ne, sql } from "drizzle-orm";
import { db, type Executor } from "@/db/client";
import { tenants, users, type Tenant, type User } from "@/db/schema";
import { sessions, type Session } from "@/db/schema-auth";
import { recordAudit } from "@/lib/audit/log";
import { randomBase62 } from "@/lib/ids";

/*
 * Server-side sessions. The sealed cookie names a row here; a request is signed in while that row
 * is neither ended nor expired. Log-out ends the row (a copied cookie stops working at once), and
 * Settings lists the rows and ends any of them.
 */

export const SESSION_TTL_SECONDS = 7 * 24 * 60 * 60;
/** `last_seen_at` is written at most this often per session, so reading a page is not a write each time. */
const TOUCH_EVERY_MS = 60_000;

export interface SessionRef {
  tenantId: string;
  sessionId: string;
  userId: string;
}

export async function createSession(executor: Executor, user: Pick<User, "id" | "tenantId">, client: { ip: string | null; userAgent: string | null }): Promise<Session> {
  const [session] = await executor
    .insert(sessions)
    .values({
      tenantId: user.tenantId,
      id: `ses_${randomBase62(32)}`,
      userId: user.id,
      expiresAt: new Date(Date.now() + SESSION_TTL_SECONDS * 1000),
      // Signing in is proving who one is: sensitive actions need no step-up for the next 10 minutes.
      reauthenticatedAt: new Date(),
      ip: client.ip,
      userAgent: client.userAgent?.slice(0, 300) ?? null,
    })
    .returning();
  return session!;
}

/** The signed-in user and tenant for a cookie's session, when that session is still live. */
export async function findLiveSession(ref: SessionRef, now = new Date()): Promise<{ user: User; tenant: Tenant; session: Session } | undefined> {
  const [row] = await db()
    .select({ session: sessions, user: users, tenant: tenants })
    .from(sessions)
    .innerJoin(users, and(eq(users.tenantId, sessions.tenantId), eq(users.id, sessions.userId)))
    .innerJoin(tenants, eq(tenants.id, sessions.tenantId))
    .where(and(eq(sessions.tenantId, ref.tenantId), eq(sessions.id, ref.sessionId), eq(sessions.userId, ref.userId), isNull(sessions.endedAt), gt(sessions.expiresAt, now)))
    .limit(1);
  if (!row) return undefined;
  if (now.getTime() - row.session.lastSeenAt.getTime() > TOUCH_EVERY_MS) {
    await db()
      .update(sessions)
      .set({ lastSeenAt: now })
      .where(and(eq(sessions.tenantId, ref.tenantId), eq(sessions.id, ref.sessionId)));
  }
  return row;
}

/** The user's live sessions, most recently used first. */
export async function listLiveSessions(tenantId: string, userId: string, now = new Date()): Promise<Session[]> {
  return db()
    .select()
    .from(sessions)
    .where(and(eq(sessions.tenantId, tenantId), eq(sessions.userId, userId), isNull(sessions.endedAt), gt(sessions.expiresAt, now)))
    .orderBy(desc(sessions.lastSeenAt));
}

/** Ends one session of the user's (their own, by id); false when there is no such live session. */
export async function endSession(executor: Executor, ref: SessionRef): Promise<boolean> {
  const ended = await executor
    .update(sessions)
    .set({ endedAt: sql`now()` })
    .where(and(eq(sessions.tenantId, ref.tenantId), eq(sessions.id, ref.sessionId), eq(sessions.userId, ref.userId), isNull(sessions.endedAt)))
    .returning({ id: sessions.id });
  return ended.length > 0;
}

/** Ends every live session of the user, but `keep` when given; the number ended. */
export async function endUserSessions(executor: Executor, user: { tenantId: string; userId: string }, keep?: string): Promise<number> {
  const ended = await executor
    .update(sessions)
    .set({ endedAt: sql`now()` })
    .where(and(eq(sessions.tenantId, user.tenantId), eq(sessions.userId, user.userId), isNull(sessions.endedAt), keep ? ne(sessions.id, keep) : undefined))
    .returning({ id: sessions.id });
  return ended.length;
}

/** **End session** on Settings: one of the signed-in user's other sessions, audited. */
export async function endOneSession(actor: { tenantId: string; userId: string; ip: string | null }, sessionId: string): Promise<{ ok: true } | { ok: false; message: string }> {
  return db().transaction(async (tx) => {
    const ended = await endSession(tx, { tenantId: actor.tenantId, userId: actor.userId, sessionId });
    if (!ended) return { ok: false, message: "That session has already ended." } as const;
    await recordAudit(tx, { tenantId: actor.tenantId, actorUserId: actor.userId, action: "session.ended", ip: actor.ip, detail: { sessionId: sessionId.slice(0, 10) } });
    return { ok: true } as const;
  });
}
