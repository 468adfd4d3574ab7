import { cookies, headers } from "next/headers";
import { redirect } from "next/navigation";
import { getIronSession, type SessionOptions } from "iron-session";
import { db } from "@/db/client";
import { env } from "@/lib/env";
import type { User } from "@/db/schema";
import { clientIpFrom } from "@/lib/http/client-ip";
import type { Actor } from "./actor";
import { createSession, endSession as endSessionRow, findLiveSession, mustSetUpTwoFactor, SESSION_TTL_SECONDS, type LiveSession } from "./sessions";

/**
 * The session cookie (iron-session: sealed and signed with SESSION_SECRET) names a server-side
 * session row (lib/auth/sessions.ts); the row decides whether the request is signed in, and in
 * which account. A cookie from before sessions were stored (no session id) signs nobody in.
 */
export interface SessionData {
  sessionId?: string;
  userId?: string;
}

function sessionOptions(): SessionOptions {
  const { sessionSecret, appUrl } = env();
  return {
    password: sessionSecret,
    cookieName: "whop_connector_session",
    ttl: SESSION_TTL_SECONDS,
    cookieOptions: { httpOnly: true, sameSite: "lax", secure: appUrl.startsWith("https://"), path: "/" },
  };
}

export async function getSession() {
  return getIronSession<SessionData>(await cookies(), sessionOptions());
}

/** Signs the browser in as `user`, working in `accountId`: a new session row, and the cookie naming it. */
export async function startSession(user: Pick<User, "id">, accountId: string): Promise<void> {
  const requestHeaders = await headers();
  const row = await createSession(db(), user, accountId, { ip: clientIpFrom(requestHeaders), userAgent: requestHeaders.get("user-agent") });
  const session = await getSession();
  session.sessionId = row.id;
  session.userId = row.userId;
  // A cookie sealed before users had accounts of several carried the tenant too: it is not kept.
  delete (session as { tenantId?: string }).tenantId;
  await session.save();
}

/*
 * Between a correct password and the second factor: a cookie of its own (sealed like the session
 * cookie) naming the user and when the password was accepted. It signs nobody in; the page
 * /login/two-factor asks for the code and, once it is right, starts the session. It lasts 5 minutes.
 */
export const PENDING_SECOND_FACTOR_SECONDS = 5 * 60;

interface PendingSecondFactor {
  userId?: string;
  /** Epoch milliseconds after which the pending state is void (the seal's own ttl also ends it). */
  expiresAt?: number;
}

async function pendingCookie() {
  const { sessionSecret, appUrl } = env();
  return getIronSession<PendingSecondFactor>(await cookies(), {
    password: sessionSecret,
    cookieName: "whop_connector_pending_2fa",
    ttl: PENDING_SECOND_FACTOR_SECONDS,
    cookieOptions: { httpOnly: true, sameSite: "lax", secure: appUrl.startsWith("https://"), path: "/" },
  });
}

/** The password was right and the user has two-factor on: remember them for the second step. */
export async function startPendingSecondFactor(user: Pick<User, "id">): Promise<void> {
  const pending = await pendingCookie();
  pending.userId = user.id;
  pending.expiresAt = Date.now() + PENDING_SECOND_FACTOR_SECONDS * 1000;
  await pending.save();
}

/** The user waiting for their second factor, or undefined (none, or expired). */
export async function pendingSecondFactor(): Promise<{ userId: string } | undefined> {
  const pending = await pendingCookie();
  if (!pending.userId || !pending.expiresAt || pending.expiresAt < Date.now()) return undefined;
  return { userId: pending.userId };
}

export async function clearPendingSecondFactor(): Promise<void> {
  (await pendingCookie()).destroy();
}

/** Log-out: the session row ends (everywhere its cookie was copied) and the cookie goes. */
export async function endSession(): Promise<void> {
  const session = await getSession();
  if (session.sessionId && session.userId) await endSessionRow(db(), { sessionId: session.sessionId, userId: session.userId });
  session.destroy();
}

/** The signed-in user, the account they work in (its tenant, their role) and the session, or undefined (ended, expired, or no longer a member). */
export async function currentAccount(): Promise<LiveSession | undefined> {
  const session = await getSession();
  if (!session.sessionId || !session.userId) return undefined;
  return findLiveSession({ sessionId: session.sessionId, userId: session.userId });
}

/** Where a member who must still set up two-factor is sent (lib/auth/sessions.ts `mustSetUpTwoFactor`). */
export const TWO_FACTOR_SETUP_PATH = "/dashboard/settings?two-factor=required";

/**
 * For Settings and the user's own sign-in (password, sessions, two-factor, the account switcher):
 * any signed-in session, also one whose account requires two-factor the user has not set up yet.
 */
export async function requireSignedIn(): Promise<LiveSession> {
  const account = await currentAccount();
  if (!account) redirect("/login");
  return account;
}

/** For pages behind login: the signed-in account, or a redirect to /login (or to set up two-factor, when the account requires it). */
export async function requireAccount(): Promise<LiveSession> {
  const account = await requireSignedIn();
  if (mustSetUpTwoFactor(account)) redirect(TWO_FACTOR_SETUP_PATH);
  return account;
}

/** The caller's IP as the trusted proxies report it. */
export async function clientIp(): Promise<string | null> {
  return clientIpFrom(await headers());
}

/** The request's Actor (lib/auth/actor.ts), or a redirect to /login: what every dashboard use case receives. */
export async function requireActor(): Promise<Actor> {
  return actorOf(await requireAccount(), await clientIp());
}

/** requireActor for the user's own sign-in, allowed before a required two-factor is set up (requireSignedIn). */
export async function requireSignedInActor(): Promise<Actor> {
  return actorOf(await requireSignedIn(), await clientIp());
}

export function actorOf(live: LiveSession, ip: string | null): Actor {
  return { tenant: live.tenant, accountId: live.account.id, userId: live.user.id, email: live.user.email, role: live.role, ip, sessionId: live.session.id };
}
