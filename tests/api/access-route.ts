import { GET as accessRoute } from "@/app/api/v1/access/route";
import type { Tenant } from "@/db/schema";
import { createApiToken } from "@/lib/api/tokens";
import { ownerActor } from "@/lib/auth/actor";

const tokens = new Map<string, string>();

/**
 * GET /api/v1/access as the merchant's own app asks it — through the route and its one statement,
 * with a token of the tenant's holding `access:read` (made once per tenant): the status and body.
 */
export async function accessFromApi(tenant: Tenant, user: { id: string; email: string }, query: { item: string; email: string }): Promise<{ status: number; body: unknown }> {
  let token = tokens.get(tenant.id);
  if (!token) {
    const created = await createApiToken(ownerActor(tenant, user), "Access checks", ["access:read"]);
    if (!created.ok) throw new Error(created.message);
    tokens.set(tenant.id, (token = created.token));
  }
  const response = await accessRoute(new Request(`http://localhost/api/v1/access?${new URLSearchParams(query)}`, { headers: { authorization: `Bearer ${token}` } }));
  return { status: response.status, body: await response.json() };
}
