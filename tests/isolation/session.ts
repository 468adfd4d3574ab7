import { redirect } from "next/navigation";
import { db } from "@/db/client";
import type { Environment, User } from "@/db/schema";
import { sessions, type Session } from "@/db/schema-auth";
import type { Actor } from "@/lib/auth/actor";
import { findMembership } from "@/lib/auth/accounts";
import { mustSetUpTwoFactor, type LiveSession } from "@/lib/auth/sessions";

/*
 * Stands in for `@/lib/auth/session` (which needs Next's request cookies): the signed-in user and
 * the account they work in are chosen by the test; membership, role, account and tenant are read
 * from the database on every call exactly as the real session does, so an action always sees the
 * role and the tenant as they are stored now (a removed member is signed out).
 *   vi.mock("@/lib/auth/session", () => import("./session"));
 */

let signedIn: { userId: string; accountId?: string; environment: Environment } | undefined;

type SignIn = { user: Pick<User, "id">; tenant?: { accountId: string; environment?: Environment }; accountId?: string; environment?: Environment };

/** As the session cookie: the user and, when given, the account and environment (by its tenant) they work in; Live unless told. */
export function signInAs(as: SignIn): void {
  signedIn = { userId: as.user.id, accountId: as.accountId ?? as.tenant?.accountId, environment: as.environment ?? as.tenant?.environment ?? "live" };
}

/** The header's Switch to Test / Switch to Live, as the session row records it. */
export function switchEnvironment(environment: Environment): void {
  if (signedIn) signedIn = { ...signedIn, environment };
}

export function signOut(): void {
  signedIn = undefined;
}

/**
 * The session id the stand-in reports. No row stands behind it (tests of real sessions use
 * lib/auth/sessions.ts) unless the test signs in with signInRecently, which writes it as a log-in
 * would; a sensitive action (step-up) needs that row, and a test moves its clock by updating the
 * row's reauthenticated_at.
 */
export const TEST_SESSION_ID = `ses_${"T".repeat(32)}`;

export async function currentAccount(): Promise<LiveSession | undefined> {
  if (!signedIn) return undefined;
  const membership = await findMembership(signedIn.userId, signedIn.accountId, signedIn.environment);
  if (!membership) return undefined;
  const session: Session = {
    userId: membership.user.id,
    id: TEST_SESSION_ID,
    accountId: membership.account.id,
    environment: signedIn.environment,
    createdAt: new Date(),
    lastSeenAt: new Date(),
    expiresAt: new Date(Date.now() + 86_400_000),
    ip: null,
    userAgent: null,
    endedAt: null,
    reauthenticatedAt: null,
  };
  return { ...membership, session };
}

/** signInAs, with TEST_SESSION_ID's row written (or refreshed) as just logged in: sensitive actions pass step-up. */
export async function signInRecently(as: SignIn): Promise<void> {
  signInAs(as);
  const live = await currentAccount();
  if (!live) throw new Error("signInRecently: the user is not a member of that account");
  const where = { accountId: live.account.id, environment: live.session.environment };
  await db()
    .insert(sessions)
    .values({ userId: as.user.id, id: TEST_SESSION_ID, ...where, expiresAt: new Date(Date.now() + 86_400_000), reauthenticatedAt: new Date() })
    .onConflictDoUpdate({ target: [sessions.userId, sessions.id], set: { reauthenticatedAt: new Date(), endedAt: null, ...where } });
}

export const TWO_FACTOR_SETUP_PATH = "/dashboard/settings?two-factor=required";

/** The real behaviour: the account, or Next's redirect to /login. */
export async function requireSignedIn(): Promise<LiveSession> {
  const account = await currentAccount();
  if (!account) redirect("/login");
  return account;
}

/** The real behaviour: requireSignedIn, and a member who must set up two-factor is sent to do so. */
export async function requireAccount(): Promise<LiveSession> {
  const account = await requireSignedIn();
  if (mustSetUpTwoFactor(account)) redirect(TWO_FACTOR_SETUP_PATH);
  return account;
}

export async function clientIp(): Promise<string | null> {
  return null;
}

export function actorOf(live: LiveSession, ip: string | null): Actor {
  return { tenant: live.tenant, accountId: live.account.id, userId: live.user.id, email: live.user.email, role: live.role, ip, sessionId: live.session.id };
}

export async function requireActor(): Promise<Actor> {
  return actorOf(await requireAccount(), await clientIp());
}

export async function requireSignedInActor(): Promise<Actor> {
  return actorOf(await requireSignedIn(), await clientIp());
}

let pending: { userId: string } | undefined;

/** As the pending second-factor cookie: the user whose password was accepted, or none. */
export function setPendingSecondFactor(user: { userId: string } | undefined): void {
  pending = user;
}

export async function pendingSecondFactor(): Promise<{ userId: string } | undefined> {
  return pending;
}

export async function startPendingSecondFactor(user: Pick<User, "id">): Promise<void> {
  pending = { userId: user.id };
}

export async function clearPendingSecondFactor(): Promise<void> {
  pending = undefined;
}

export async function startSession(): Promise<void> {
  throw new Error("isolation tests never start a session");
}

export async function endSession(): Promise<void> {
  throw new Error("isolation tests never end a session");
}
