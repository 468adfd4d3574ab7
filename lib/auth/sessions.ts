import { and, asc, desc, eq, gt, isNull, ne, sql, type SQL } from "drizzle-orm";
import { db, type Executor } from "@/db/client";
import { accounts, accountTenants, tenants, users, type Account, type Environment, type Tenant, type User } from "@/db/schema";
import { accountMembers, sessions, userTwoFactor, type Role, type Session } from "@/db/schema-auth";
import { recordUserAudit } from "@/lib/audit/log";
import { randomBase62 } from "@/lib/ids";
import { accountNameOf, openEnvironment } from "@/lib/tenants/queries";

/*
 * Server-side sessions. The sealed cookie names a row here; a request is signed in while that row
 * is neither ended nor expired and its user is still a member of the row's account. Log-out ends
 * the row (a copied cookie stops working at once), and Settings lists the rows and ends any of them.
 */

export const SESSION_TTL_SECONDS = 7 * 24 * 60 * 60;
/** `last_seen_at` is written at most this often per session, so reading a page is not a write each time. */
const TOUCH_EVERY_MS = 60_000;

export interface SessionRef {
  sessionId: string;
  userId: string;
}

/** The account a user lands in at log-in: the one they joined first. */
export async function defaultAccountId(userId: string, executor: Executor = db()): Promise<string | undefined> {
  const [row] = await executor
    .select({ accountId: accountMembers.accountId })
    .from(accountMembers)
    .where(eq(accountMembers.userId, userId))
    .orderBy(asc(accountMembers.createdAt), asc(accountMembers.accountId))
    .limit(1);
  return row?.accountId;
}

/**
 * The environment a session starts in when it enters an account (log-in, the account switcher, an
 * accepted invitation): the one the user last worked in there, else the first the account has a
 * tenant in — Live for every new account.
 */
function startingEnvironment(userId: string, accountId: string): SQL<Environment> {
  return sql<Environment>`coalesce(
    (select ${sessions.environment} from ${sessions} where ${sessions.userId} = ${userId} and ${sessions.accountId} = ${accountId} order by ${sessions.lastSeenAt} desc limit 1),
    (select ${accountTenants.environment} from ${accountTenants} where ${accountTenants.accountId} = ${accountId} order by ${accountTenants.environment} limit 1),
    'live')`;
}

export async function createSession(
  executor: Executor,
  user: Pick<User, "id">,
  accountId: string,
  client: { ip: string | null; userAgent: string | null },
): Promise<Session> {
  const [session] = await executor
    .insert(sessions)
    .values({
      userId: user.id,
      id: `ses_${randomBase62(32)}`,
      accountId,
      environment: startingEnvironment(user.id, accountId),
      expiresAt: new Date(Date.now() + SESSION_TTL_SECONDS * 1000),
      // Signing in is proving who one is: sensitive actions need no step-up for the next 10 minutes.
      reauthenticatedAt: new Date(),
      ip: client.ip,
      userAgent: client.userAgent?.slice(0, 300) ?? null,
    })
    .returning();
  return session!;
}

export interface LiveSession {
  user: User;
  account: Account;
  tenant: Tenant;
  role: Role;
  session: Session;
  /** The user has two-factor sign-in on (a setup not yet confirmed does not count). */
  twoFactorOn: boolean;
}

/**
 * An owner may require two-factor of every member (`accounts.two_factor_required_at`). A member
 * without it stays signed in but reaches only Settings, to set it up (and their own sign-in:
 * password, sessions, log-out, the account switcher); every other page sends them there and every
 * other action is refused.
 */
export function mustSetUpTwoFactor(live: { account: Pick<Account, "twoFactorRequiredAt">; twoFactorOn: boolean }): boolean {
  return live.account.twoFactorRequiredAt !== null && !live.twoFactorOn;
}

/** The select list's "has two-factor on" for a query joining user_two_factor by user. */
export const twoFactorOnColumn = sql<boolean>`(${userTwoFactor.enabledAt} is not null)`;

/**
 * The signed-in user, the account they work in, its tenant in the session's environment and their
 * role, for a cookie's session while it is live and the user still belongs to that account: one
 * statement.
 */
export async function findLiveSession(ref: SessionRef, now = new Date()): Promise<LiveSession | undefined> {
  const [row] = await db()
    .select({ session: sessions, user: users, account: accounts, tenant: tenants, role: accountMembers.role, twoFactorOn: twoFactorOnColumn })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .innerJoin(accountMembers, and(eq(accountMembers.accountId, sessions.accountId), eq(accountMembers.userId, sessions.userId)))
    .innerJoin(accounts, eq(accounts.id, sessions.accountId))
    .innerJoin(accountTenants, and(eq(accountTenants.accountId, sessions.accountId), eq(accountTenants.environment, sessions.environment)))
    .innerJoin(tenants, eq(tenants.id, accountTenants.tenantId))
    .leftJoin(userTwoFactor, eq(userTwoFactor.userId, sessions.userId))
    .where(and(eq(sessions.userId, ref.userId), eq(sessions.id, ref.sessionId), isNull(sessions.endedAt), gt(sessions.expiresAt, now)))
    .limit(1);
  if (!row) return undefined;
  if (now.getTime() - row.session.lastSeenAt.getTime() > TOUCH_EVERY_MS) {
    await db()
      .update(sessions)
      .set({ lastSeenAt: now })
      .where(and(eq(sessions.userId, ref.userId), eq(sessions.id, ref.sessionId)));
  }
  return row;
}

/** The accounts a user belongs to, for the header's switcher: each with its name and the user's role. */
export async function listUserAccounts(userId: string): Promise<{ accountId: string; name: string | null; role: Role }[]> {
  return db()
    .select({ accountId: accountMembers.accountId, name: accountNameOf(accountMembers.accountId), role: accountMembers.role })
    .from(accountMembers)
    .where(eq(accountMembers.userId, userId))
    .orderBy(asc(accountMembers.createdAt), asc(accountMembers.accountId));
}

/** The account switcher: the session now works in `accountId` (in the environment it starts in there), if the user is a member of it. */
export async function switchSessionAccount(ref: SessionRef, accountId: string): Promise<boolean> {
  const moved = await db()
    .update(sessions)
    .set({ accountId, environment: startingEnvironment(ref.userId, accountId) })
    .where(
      and(
        eq(sessions.userId, ref.userId),
        eq(sessions.id, ref.sessionId),
        isNull(sessions.endedAt),
        sql`exists (select 1 from ${accountMembers} where ${accountMembers.accountId} = ${accountId} and ${accountMembers.userId} = ${ref.userId})`,
      ),
    )
    .returning({ id: sessions.id });
  return moved.length > 0;
}

/**
 * **Switch to Test** / **Switch to Live**: the session now works in the account's tenant of
 * `environment`, opened (created, not connected yet) the first time. Any member may switch: it
 * changes what they look at, not what they may do. False when the session has ended or moved to
 * another account meanwhile.
 */
export async function switchSessionEnvironment(ref: SessionRef, accountId: string, environment: Environment): Promise<boolean> {
  return db().transaction(async (tx) => {
    const tenant = await openEnvironment(tx, accountId, environment);
    if (!tenant) return false;
    const moved = await tx
      .update(sessions)
      .set({ environment })
      .where(and(eq(sessions.userId, ref.userId), eq(sessions.id, ref.sessionId), eq(sessions.accountId, accountId), isNull(sessions.endedAt)))
      .returning({ id: sessions.id });
    return moved.length > 0;
  });
}

/** The user's live sessions, most recently used first. */
export async function listLiveSessions(userId: string, now = new Date()): Promise<Session[]> {
  return db()
    .select()
    .from(sessions)
    .where(and(eq(sessions.userId, userId), isNull(sessions.endedAt), gt(sessions.expiresAt, now)))
    .orderBy(desc(sessions.lastSeenAt));
}

/** Ends one session of the user's (their own, by id); false when there is no such live session. */
export async function endSession(executor: Executor, ref: SessionRef): Promise<boolean> {
  const ended = await executor
    .update(sessions)
    .set({ endedAt: sql`now()` })
    .where(and(eq(sessions.userId, ref.userId), eq(sessions.id, ref.sessionId), isNull(sessions.endedAt)))
    .returning({ id: sessions.id });
  return ended.length > 0;
}

/** Ends every live session of the user, but `keep` when given; the number ended. */
export async function endUserSessions(executor: Executor, userId: string, keep?: string): Promise<number> {
  const ended = await executor
    .update(sessions)
    .set({ endedAt: sql`now()` })
    .where(and(eq(sessions.userId, userId), isNull(sessions.endedAt), keep ? ne(sessions.id, keep) : undefined))
    .returning({ id: sessions.id });
  return ended.length;
}

/** **End session** on Settings: one of the signed-in user's other sessions, audited. */
export async function endOneSession(actor: { userId: string; ip: string | null }, sessionId: string): Promise<{ ok: true } | { ok: false; message: string }> {
  return db().transaction(async (tx) => {
    const ended = await endSession(tx, { userId: actor.userId, sessionId });
    if (!ended) return { ok: false, message: "That session has already ended." } as const;
    await recordUserAudit(tx, actor.userId, { action: "session.ended", ip: actor.ip, detail: { sessionId: sessionId.slice(0, 10) } });
    return { ok: true } as const;
  });
}
