import { readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { GET as checkAccessRoute } from "@/app/api/v1/access/route";
import { GET as listEventsRoute } from "@/app/api/v1/events/route";
import { POST as activateLicenseRoute } from "@/app/api/v1/licenses/activate/route";
import { POST as deactivateLicenseRoute } from "@/app/api/v1/licenses/deactivate/route";
import { POST as validateLicenseRoute } from "@/app/api/v1/licenses/validate/route";
import { GET as openApiRoute } from "@/app/api/v1/openapi.json/route";
import { GET as getOrderRoute } from "@/app/api/v1/orders/[id]/route";
import { GET as listOrdersRoute } from "@/app/api/v1/orders/route";
import { db } from "@/db/client";
import { API_SCOPES, DEFAULT_SCOPES, type ApiScope } from "@/lib/api/scopes";
import { hashCredential, newCredential } from "@/lib/api/key-format";
import { createApiToken, insertApiToken } from "@/lib/api/tokens";
import { randomBase62 } from "@/lib/ids";
import { withTestDatabase } from "../db";
import { connectedMerchant, fixtureItem, fixtureOrder } from "../fixtures";

withTestDatabase();

/*
 * The scope × route matrix: every route of the merchant API answers a token that holds its scope
 * and refuses (403 insufficient_scope, nothing read) one that holds every other scope but that one.
 */

type Route = (request: Request, context: { params: Promise<never> }) => Promise<Response>;
interface RouteCase {
  /** The route's folder under app/api/v1. */
  folder: string;
  scope: ApiScope;
  call: (token: string, fixture: Fixture) => Promise<Response>;
}
type Fixture = Awaited<ReturnType<typeof fixture>>;

const BASE = "http://localhost:3000";
const bearer = (token: string) => ({ authorization: `Bearer ${token}`, "content-type": "application/json" });
const get = (route: Route, url: string, token: string, params: Record<string, string> = {}) =>
  route(new Request(`${BASE}${url}`, { headers: bearer(token) }), { params: Promise.resolve(params as never) });
const post = (route: Route, url: string, token: string, body: unknown) =>
  route(new Request(`${BASE}${url}`, { method: "POST", headers: bearer(token), body: JSON.stringify(body) }), { params: Promise.resolve({} as never) });

const ROUTES: RouteCase[] = [
  { folder: "access", scope: "access:read", call: (token, f) => get(checkAccessRoute, `/api/v1/access?item=${f.item.id}&email=buyer@example.com`, token) },
  { folder: "events", scope: "events:read", call: (token) => get(listEventsRoute, "/api/v1/events", token) },
  { folder: "orders", scope: "orders:read", call: (token) => get(listOrdersRoute, "/api/v1/orders", token) },
  { folder: "orders/[id]", scope: "orders:read", call: (token, f) => get(getOrderRoute, `/api/v1/orders/${f.order.id}`, token, { id: f.order.id }) },
  { folder: "licenses/validate", scope: "licenses:write", call: (token) => post(validateLicenseRoute, "/api/v1/licenses/validate", token, { license_key: "NOT-A-KEY" }) },
  {
    folder: "licenses/activate",
    scope: "licenses:write",
    call: (token) => post(activateLicenseRoute, "/api/v1/licenses/activate", token, { license_key: "NOT-A-KEY", instance_name: "Laptop" }),
  },
  {
    folder: "licenses/deactivate",
    scope: "licenses:write",
    call: (token) => post(deactivateLicenseRoute, "/api/v1/licenses/deactivate", token, { license_key: "NOT-A-KEY", activation_id: `act_${randomBase62(20)}` }),
  },
];

async function fixture() {
  const m = await connectedMerchant();
  const item = await fixtureItem(m.tenant);
  const order = await fixtureOrder(m.tenant, item);
  return { ...m, item, order };
}

async function tokenWith(f: Fixture, scopes: readonly ApiScope[]): Promise<string> {
  const created = await createApiToken(f.actor, `scopes ${scopes.join(" ")}`, scopes);
  if (!created.ok) throw new Error(created.message);
  return created.token;
}

/** Every folder under app/api/v1 holding a route.ts (the OpenAPI document is public). */
function apiRouteFolders(): string[] {
  const root = path.resolve("app/api/v1");
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(path.join(dir, entry.name));
      else if (entry.name === "route.ts") found.push(path.relative(root, dir).split(path.sep).join("/"));
    }
  };
  walk(root);
  return found.filter((folder) => folder !== "openapi.json").sort();
}

describe("API token scopes", () => {
  it("cover every route of the merchant API", () => {
    expect(ROUTES.map((route) => route.folder).sort()).toEqual(apiRouteFolders());
  });

  it.each(ROUTES)("$folder answers a token with $scope, and 403 insufficient_scope to one with every other scope", async (route) => {
    const f = await fixture();
    const allowed = await route.call(await tokenWith(f, [route.scope]), f);
    expect(allowed.status).not.toBe(403);
    expect(allowed.status).toBeLessThan(500);

    const refused = await route.call(await tokenWith(f, API_SCOPES.filter((scope) => scope !== route.scope)), f);
    expect(refused.status).toBe(403);
    expect(refused.headers.get("www-authenticate")).toContain(`scope="${route.scope}"`);
    const body = (await refused.json()) as { error: { code: string; message: string } };
    expect(body.error).toMatchObject({ code: "insufficient_scope", message: expect.stringContaining(route.scope) });
    expect(JSON.stringify(body)).not.toContain(f.order.id);
  });

  it("are what the OpenAPI document says each operation needs", async () => {
    const document = (await openApiRoute().json()) as { paths: Record<string, Record<string, { security: { bearerToken: string[] }[]; responses: Record<string, unknown> }>> };
    for (const route of ROUTES) {
      const [operation] = Object.values(document.paths[`/api/v1/${route.folder.replace("[id]", "{id}")}`]!);
      expect(operation!.security).toContainEqual({ bearerToken: [route.scope] });
      expect(operation!.responses["403"]).toBeDefined();
    }
  });

  it("are read-only unless chosen: a token made without scopes cannot touch licenses", async () => {
    const f = await fixture();
    const created = await createApiToken(f.actor, "defaults");
    expect(created).toMatchObject({ ok: true, row: { scopes: [...DEFAULT_SCOPES] } });
    expect(DEFAULT_SCOPES).not.toContain("licenses:write");
    const token = (created as { token: string }).token;
    expect((await post(validateLicenseRoute, "/api/v1/licenses/validate", token, { license_key: "X" })).status).toBe(403);
    expect((await get(listOrdersRoute, "/api/v1/orders", token)).status).toBe(200);
  });

  it("leave tokens made before scopes existed able to do everything", async () => {
    const f = await fixture();
    const token = newCredential("secret");
    // A row as the earlier code wrote it: no scopes column named, so the column's default applies.
    await db().transaction((tx) =>
      insertApiToken(tx, { id: `tok_${randomBase62(16)}`, tenantId: f.tenant.id, name: "old", tokenHash: hashCredential(token), tokenHint: token.slice(-4) }),
    );
    for (const route of ROUTES) expect((await route.call(token, f)).status).not.toBe(403);
  });
});
