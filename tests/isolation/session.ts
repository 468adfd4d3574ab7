import { redirect } from "next/navigation";
import type { Tenant, User } from "@/db/schema";
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

/** The session id the stand-in reports: no row stands behind it (tests of real sessions use lib/auth/sessions.ts). */
export const TEST_SESSION_ID = `ses_${"T".repeat(32)}`;

export async function currentAccount(): Promise<{ user: User; tenant: Tenant; sessionId: string } | undefined> {
  const account = signedIn ? await findUserWithTenant(signedIn.userId, signedIn.tenantId) : undefined;
  return account ? { ...account, sessionId: TEST_SESSION_ID } : undefined;
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

export async function startSession(): Promise<void> {
  throw new Error("isolation tests never start a session");
}

export async function endSession(): Promise<void> {
  throw new Error("isolation tests never end a session");
}
