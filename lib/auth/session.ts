import { cookies, headers } from "next/headers";
import { redirect } from "next/navigation";
import { getIronSession, type SessionOptions } from "iron-session";
import { env } from "@/lib/env";
import type { Tenant, User } from "@/db/schema";
import { clientIpFrom } from "@/lib/http/client-ip";
import { findUserWithTenant } from "./accounts";

export interface SessionData {
  userId?: string;
  /** The user's tenant, so that the per-request lookup names the tenant (users' key is (tenant_id, id)); absent in cookies issued before it was added. */
  tenantId?: string;
  sessionVersion?: number;
}

const SESSION_TTL_SECONDS = 7 * 24 * 60 * 60;

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

export async function startSession(user: User): Promise<void> {
  const session = await getSession();
  session.userId = user.id;
  session.tenantId = user.tenantId;
  session.sessionVersion = user.sessionVersion;
  await session.save();
}

export async function endSession(): Promise<void> {
  (await getSession()).destroy();
}

/** The signed-in merchant, or undefined (also when the session was revoked by a version bump). */
export async function currentAccount(): Promise<{ user: User; tenant: Tenant } | undefined> {
  const session = await getSession();
  if (!session.userId) return undefined;
  const account = await findUserWithTenant(session.userId, session.tenantId);
  if (!account || account.user.sessionVersion !== session.sessionVersion) return undefined;
  return account;
}

/** For pages and actions behind login: the account, or a redirect to /login. */
export async function requireAccount(): Promise<{ user: User; tenant: Tenant }> {
  const account = await currentAccount();
  if (!account) redirect("/login");
  return account;
}

/** The caller's IP as the nearest proxy reports it. */
export async function clientIp(): Promise<string | null> {
  return clientIpFrom(await headers());
}
