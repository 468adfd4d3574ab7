import type { Tenant } from "@/db/schema";
import type { Role } from "./roles";

/**
 * Who is acting, as every use case behind the dashboard receives it: the tenant acted on (the
 * account's environment), the account and the user's role in it, the user, where the request came
 * from and the session it used. Built once per request by the action wrapper (lib/auth/action.ts)
 * from the session row; never from a form.
 */
export interface Actor {
  tenant: Tenant;
  accountId: string;
  userId: string;
  email: string;
  role: Role;
  ip: string | null;
  /** The session the request comes from; null only for server-side callers (fixtures, scripts), never a browser. */
  sessionId: string | null;
}

/** An account's owner acting from the server (fixtures, benches, scripts): no session, no IP. */
export function ownerActor(tenant: Tenant, user: { id: string; email: string }): Actor {
  return { tenant, accountId: tenant.accountId, userId: user.id, email: user.email, role: "owner", ip: null, sessionId: null };
}
