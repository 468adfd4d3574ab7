import { redirect } from "next/navigation";
import { db } from "@/db/client";
import type { Tenant, User } from "@/db/schema";
import { sessions } from "@/db/schema-auth";
import { findUserWithTenant } from "@/lib/auth/accounts";

/*
 * Stands in for `@/lib/auth/session` (which needs Next's request cookies): the signed-in user is
 * chosen by the test, and the account is read from the database on every call exactly as the real
 * session does, so an action always sees the tenant as it is stored now.
 *   vi.mock("@/lib/auth/session", () => import("./session"));
 */

let signedIn: { userId: string; tenantId?: string } | undefined;

/** As the session cookie: the user and, when given, their tenant. */
export function signInAs(account: { user: Pick<User, "id"> & Partial<Pick<User, "tenantId">> }): void {
  signedIn = { userId: account.user.id, tenantId: account.user.tenantId };
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

export async function currentAccount(): Promise<{ user: User; tenant: Tenant; sessionId: string } | undefined> {
  const account = signedIn ? await findUserWithTenant(signedIn.userId, signedIn.tenantId) : undefined;
  return account ? { ...account, sessionId: TEST_SESSION_ID } : undefined;
}

/** signInAs, with TEST_SESSION_ID's row written (or refreshed) as just logged in: sensitive actions pass step-up. */
export async function signInRecently(account: { user: Pick<User, "id" | "tenantId"> }): Promise<void> {
  signInAs(account);
  await db()
    .insert(sessions)
    .values({ tenantId: account.user.tenantId, id: TEST_SESSION_ID, userId: account.user.id, expiresAt: new Date(Date.now() + 86_400_000), reauthenticatedAt: new Date() })
    .onConflictDoUpdate({ target: [sessions.tenantId, sessions.id], set: { reauthenticatedAt: new Date(), endedAt: null } });
}

/** The real behaviour: the account, or Next's redirect to /login. */
export async function requireAccount(): Promise<{ user: User; tenant: Tenant; sessionId: string }> {
  const account = await currentAccount();
  if (!account) redirect("/login");
  return account;
}

export async function clientIp(): Promise<string | null> {
  return null;
}

let pending: { tenantId: string; userId: string } | undefined;

/** As the pending second-factor cookie: the user whose password was accepted, or none. */
export function setPendingSecondFactor(user: { tenantId: string; userId: string } | undefined): void {
  pending = user;
}

export async function pendingSecondFactor(): Promise<{ tenantId: string; userId: string } | undefined> {
  return pending;
}

export async function startPendingSecondFactor(user: Pick<User, "id" | "tenantId">): Promise<void> {
  pending = { tenantId: user.tenantId, userId: user.id };
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
