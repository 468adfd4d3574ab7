import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { GET as checkAccessRoute } from "@/app/api/v1/access/route";
import { POST as validateLicenseRoute } from "@/app/api/v1/licenses/validate/route";
import { GET as openApiRoute } from "@/app/api/v1/openapi.json/route";
import { GET as getOrderRoute } from "@/app/api/v1/orders/[id]/route";
import { GET as listOrdersRoute } from "@/app/api/v1/orders/route";
import { db } from "@/db/client";
import { apiTokens, orders, type Item, type Order } from "@/db/schema";
import { API_SCOPES } from "@/lib/api/scopes";
import { createApiToken, MAX_ACTIVE_TOKENS, revokeApiToken } from "@/lib/api/tokens";
import { ownerActor } from "@/lib/auth/actor";
import { randomBase62 } from "@/lib/ids";
import { withTestDatabase } from "../db";
import { connectedMerchant, fixtureItem, fixtureOrder, signStandard, withWebhookSecret } from "../fixtures";
import { postToWebhookRoute } from "../webhook-route";

withTestDatabase();

/** A connected merchant with a webhook secret, an item and an API token. */
async function merchant() {
  const m = await connectedMerchant();
  const { tenant, secret } = await withWebhookSecret(m.tenant);
  const item = await fixtureItem(tenant, { title: `Course ${randomBase62(6)}` });
  const actor = ownerActor(tenant, m.user);
  const created = await createApiToken(actor, "Course site", API_SCOPES);
  if (!created.ok) throw new Error(created.message);
  return { ...m, tenant, actor, secret, item, token: created.token, tokenRow: created.row };
}
type Merchant = Awaited<ReturnType<typeof merchant>>;

const BASE = "http://localhost:3000";
const auth = (token: string | null): Record<string, string> => (token === null ? {} : { authorization: `Bearer ${token}` });
/** The JSON answers, loosely: the assertions say what each must hold. */
type ApiBody = Record<string, unknown> & { data: { id: string }[]; next_cursor: string | null; valid: boolean };

async function call(route: (request: Request, context: { params: Promise<never> }) => Promise<Response>, url: string, token: string | null, init: RequestInit = {}) {
  const response = await route(new Request(`${BASE}${url}`, { ...init, headers: { ...auth(token), ...(init.headers as Record<string, string>) } }), {
    params: Promise.resolve({} as never),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as ApiBody };
}

const access = (token: string | null, query: Record<string, string>) => call(checkAccessRoute, `/api/v1/access?${new URLSearchParams(query)}`, token);
const validateLicense = (token: string | null, body: unknown) =>
  call(validateLicenseRoute, "/api/v1/licenses/validate", token, { method: "POST", body: typeof body === "string" ? body : JSON.stringify(body), headers: { "content-type": "application/json" } });
const listOrders = (token: string | null, query: Record<string, string> = {}) => call(listOrdersRoute, `/api/v1/orders?${new URLSearchParams(query)}`, token);
async function getOrder(token: string | null, id: string) {
  const response = await getOrderRoute(new Request(`${BASE}/api/v1/orders/${id}`, { headers: auth(token) }), { params: Promise.resolve({ id }) });
  return { status: response.status, body: (await response.json()) as ApiBody };
}

/** Whop's signed v1 webhook to the merchant's endpoint, through the real route. */
async function whopSays(m: Merchant, type: string, data: Record<string, unknown>, at = new Date()) {
  const body = JSON.stringify({ id: `msg_${randomBase62(24)}`, api_version: "v1", timestamp: at.toISOString(), type, data });
  const response = await postToWebhookRoute(
    new Request(`${BASE}/api/webhooks/whop/${m.tenant.publicId}`, { method: "POST", body, headers: { "content-type": "application/json", ...signStandard(m.secret, body) } }),
    m.tenant.publicId,
  );
  expect(response.status).toBe(200);
}

/** A buyer's paid order as Whop's webhooks leave it: payment.succeeded, then membership.activated with a license key. */
async function buyerPays(m: Merchant, email: string, membership: Record<string, unknown> = {}) {
  const order = await fixtureOrder(m.tenant, m.item);
  const ids = { payment: `pay_${randomBase62(14)}`, membership: `mem_${randomBase62(14)}`, user: `user_${randomBase62(8)}`, license: `LIC-${randomBase62(16)}` };
  const common = { metadata: { order_id: order.id, tenant_id: m.tenant.id }, checkout_configuration_id: order.whopCheckoutId, user: { id: ids.user, email } };
  await whopSays(m, "payment.succeeded", { id: ids.payment, status: "paid", substatus: "succeeded", total: 29.99, currency: "usd", membership: { id: ids.membership }, ...common });
  await whopSays(m, "membership.activated", { id: ids.membership, status: "active", license_key: ids.license, ...common, ...membership });
  return { order, ids, common };
}

const orderRow = async (id: string): Promise<Order> => (await db().select().from(orders).where(eq(orders.id, id)))[0]!;

describe("API tokens", () => {
  it("are shown once, stored only as a hash with their last four characters, and recognisable by prefix", async () => {
    const m = await merchant();
    expect(m.token).toMatch(/^whc_[A-Za-z0-9]{38}$/);
    const [row] = await db().select().from(apiTokens).where(eq(apiTokens.id, m.tokenRow.id));
    expect(row!.tokenHint).toBe(m.token.slice(-4));
    expect(row!.tokenHash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(row)).not.toContain(m.token.slice(4, 20));
  });

  it("answer 401 when missing, malformed, mistyped or revoked, and record when they were last used", async () => {
    const m = await merchant();
    const query = { item: m.item.id, email: "nobody@example.com" };
    expect(await access(null, query)).toMatchObject({ status: 401, body: { error: { code: "missing_token" } } });
    expect(await access("not-a-token", query)).toMatchObject({ status: 401, body: { error: { code: "invalid_token" } } });
    const typo = `${m.token.slice(0, 10)}${m.token[10] === "a" ? "b" : "a"}${m.token.slice(11)}`;
    expect(await access(typo, query)).toMatchObject({ status: 401, body: { error: { code: "invalid_token" } } });
    const wellFormedButUnknown = (await createApiToken(m.actor, "soon gone")) as { ok: true; token: string; row: { id: string } };
    await db().delete(apiTokens).where(eq(apiTokens.id, wellFormedButUnknown.row.id));
    expect(await access(wellFormedButUnknown.token, query)).toMatchObject({ status: 401, body: { error: { code: "invalid_token" } } });

    expect((await db().select().from(apiTokens).where(eq(apiTokens.id, m.tokenRow.id)))[0]!.lastUsedAt).toBeNull();
    expect((await access(m.token, query)).status).toBe(200);
    expect((await db().select().from(apiTokens).where(eq(apiTokens.id, m.tokenRow.id)))[0]!.lastUsedAt).toBeInstanceOf(Date);

    expect(await revokeApiToken(m.actor, m.tokenRow.id)).toMatchObject({ ok: true });
    expect(await access(m.token, query)).toMatchObject({ status: 401, body: { error: { code: "invalid_token" } } });
    expect(await revokeApiToken(m.actor, m.tokenRow.id)).toMatchObject({ ok: false });
  });

  it("cannot be revoked from another account", async () => {
    const a = await merchant();
    const b = await merchant();
    expect(await revokeApiToken(a.actor, b.tokenRow.id)).toMatchObject({ ok: false });
    expect((await listOrders(b.token)).status).toBe(200);
  });

  it(`are capped at ${MAX_ACTIVE_TOKENS} active per account`, async () => {
    const m = await merchant();
    const actor = m.actor;
    for (let i = 1; i < MAX_ACTIVE_TOKENS; i++) expect((await createApiToken(actor, `token ${i}`)).ok).toBe(true);
    expect(await createApiToken(actor, "one too many")).toMatchObject({ ok: false, message: expect.stringContaining("Revoke one") });
    await revokeApiToken(actor, m.tokenRow.id);
    expect((await createApiToken(actor, "after revoking")).ok).toBe(true);
  });
});

describe("GET /api/v1/access", () => {
  it("says no before the payment, yes once Whop confirms it, by email (any case) or Whop user id", async () => {
    const m = await merchant();
    const pending = await fixtureOrder(m.tenant, m.item);
    expect(await access(m.token, { item: m.item.id, email: "Buyer@Example.com" })).toMatchObject({ status: 200, body: { access: false, membership: null } });

    const { order, ids } = await buyerPays(m, "buyer@example.com");
    const yes = await access(m.token, { item: m.item.id, email: "  BUYER@example.COM " });
    expect(yes).toMatchObject({
      status: 200,
      body: { access: true, item: { id: m.item.id, title: m.item.title }, membership: { order_id: order.id, whop_membership_id: ids.membership, state: "valid", whop_status: "active", expires_at: null } },
    });
    expect(await access(m.token, { item: m.item.id, whop_user_id: ids.user })).toMatchObject({ status: 200, body: { access: true } });
    expect(await access(m.token, { item: m.item.id, email: "someone-else@example.com" })).toMatchObject({ status: 200, body: { access: false } });
    expect((await orderRow(pending.id)).status).toBe("pending");
  });

  it("says yes between the payment and the membership webhook, since Whop activates the membership with the payment", async () => {
    const m = await merchant();
    const order = await fixtureOrder(m.tenant, m.item);
    await whopSays(m, "payment.succeeded", {
      id: `pay_${randomBase62(14)}`,
      status: "paid",
      total: 29.99,
      currency: "usd",
      user: { id: `user_${randomBase62(8)}`, email: "early@example.com" },
      metadata: { order_id: order.id },
    });
    expect(await access(m.token, { item: m.item.id, email: "early@example.com" })).toMatchObject({ body: { access: true, membership: { state: "valid", whop_membership_id: null } } });
  });

  it("keeps access after a partial refund, ends it with a full one (a refund Whop settled, not one still pending)", async () => {
    const m = await merchant();
    const { order, ids, common } = await buyerPays(m, "refunded@example.com");
    // A v1 Refund embeds its payment without status, substatus or refunded_amount.
    const payment = { id: ids.payment, total: 29.99, subtotal: 29.99, currency: "usd", ...common };
    const refund = (id: string, amount: number, status: string) => whopSays(m, status === "pending" ? "refund.created" : "refund.updated", { id, amount, currency: "usd", status, payment });
    const query = { item: m.item.id, email: "refunded@example.com" };
    await refund("rfnd_Partial0001", 10, "succeeded");
    expect((await orderRow(order.id)).status).toBe("partially_refunded");
    expect(await access(m.token, query)).toMatchObject({ body: { access: true } });

    await refund("rfnd_TheRest0001", 19.99, "pending");
    expect(await access(m.token, query)).toMatchObject({ body: { access: true } });
    await refund("rfnd_TheRest0001", 19.99, "succeeded");
    expect((await orderRow(order.id)).status).toBe("refunded");
    expect(await access(m.token, query)).toMatchObject({ body: { access: false, membership: { state: "invalid" } } });
  });

  it("says no once Whop deactivates the membership", async () => {
    const m = await merchant();
    const { ids, common } = await buyerPays(m, "canceled@example.com");
    await whopSays(m, "membership.deactivated", { id: ids.membership, status: "canceled", ...common }, new Date(Date.now() + 1000));
    expect(await access(m.token, { item: m.item.id, email: "canceled@example.com" })).toMatchObject({ body: { access: false, membership: { state: "invalid", whop_status: "canceled" } } });
  });

  it("says no once the membership's end has passed, even before Whop's deactivation arrives", async () => {
    const m = await merchant();
    const soon = new Date(Date.now() + 60_000);
    await buyerPays(m, "expiring@example.com", { expires_at: soon.toISOString() });
    expect(await access(m.token, { item: m.item.id, email: "expiring@example.com" })).toMatchObject({ body: { access: true, membership: { expires_at: soon.toISOString() } } });

    const past = new Date(Date.now() - 60_000);
    await buyerPays(m, "expired@example.com", { expires_at: past.toISOString() });
    expect(await access(m.token, { item: m.item.id, email: "expired@example.com" })).toMatchObject({ body: { access: false, membership: { state: "expired" } } });
  });

  it("grants access from any valid order when the buyer bought twice", async () => {
    const m = await merchant();
    const first = await buyerPays(m, "twice@example.com");
    await buyerPays(m, "twice@example.com");
    await whopSays(m, "membership.deactivated", { id: first.ids.membership, status: "expired", ...first.common }, new Date(Date.now() + 1000));
    expect(await access(m.token, { item: m.item.id, email: "twice@example.com" })).toMatchObject({ body: { access: true, membership: { state: "valid" } } });
  });

  it("answers 400 for a bad query and 404 for an item that is not this account's", async () => {
    const a = await merchant();
    const b = await merchant();
    await buyerPays(b, "b-buyer@example.com");
    expect(await access(a.token, { item: a.item.id })).toMatchObject({ status: 400, body: { error: { code: "invalid_request", message: expect.stringContaining("email or whop_user_id") } } });
    expect(await access(a.token, { item: a.item.id, email: "x@example.com", whop_user_id: "user_abc" })).toMatchObject({ status: 400 });
    expect(await access(a.token, { item: "nope", email: "x@example.com" })).toMatchObject({ status: 400, body: { error: { message: expect.stringContaining("item") } } });
    // The token is judged before the query, as on every route: a bad query with a bad token is a 401, with a token that may not check access a 403.
    expect(await access("whc_" + "x".repeat(38), { item: a.item.id })).toMatchObject({ status: 401, body: { error: { code: "invalid_token" } } });
    const ordersOnly = await createApiToken(a.actor, "orders only", ["orders:read"]);
    if (!ordersOnly.ok) throw new Error(ordersOnly.message);
    expect(await access(ordersOnly.token, { item: a.item.id })).toMatchObject({ status: 403, body: { error: { code: "insufficient_scope" } } });
    expect(await access(ordersOnly.token, { item: a.item.id, email: "b-buyer@example.com" })).toMatchObject({ status: 403, body: { error: { code: "insufficient_scope" } } });
    expect(await access(a.token, { item: a.item.id, email: "not an email" })).toMatchObject({ status: 400 });
    // B's item through A's token: not found, and nothing about B's buyer leaks.
    const crossed = await access(a.token, { item: b.item.id, email: "b-buyer@example.com" });
    expect(crossed).toMatchObject({ status: 404, body: { error: { code: "item_not_found" } } });
    expect(JSON.stringify(crossed.body)).not.toContain(b.item.title);
  });
});

describe("POST /api/v1/licenses/validate", () => {
  it("answers valid with the item and end, then invalid once Whop deactivates the membership", async () => {
    const m = await merchant();
    const { order, ids, common } = await buyerPays(m, "licensed@example.com", { expires_at: "2099-01-01T00:00:00.000Z" });
    expect((await orderRow(order.id)).licenseKeyHint).toBe(ids.license.slice(-4));
    expect(JSON.stringify(await orderRow(order.id))).not.toContain(ids.license);

    expect(await validateLicense(m.token, { license_key: ` ${ids.license} ` })).toMatchObject({
      status: 200,
      body: { valid: true, reason: null, item: { id: m.item.id }, membership: { order_id: order.id, expires_at: "2099-01-01T00:00:00.000Z" } },
    });
    await whopSays(m, "membership.deactivated", { id: ids.membership, status: "canceled", license_key: ids.license, ...common }, new Date(Date.now() + 1000));
    expect(await validateLicense(m.token, { license_key: ids.license })).toMatchObject({ status: 200, body: { valid: false, reason: "invalid" } });
  });

  it("answers unknown for another account's license key and 400 for a malformed body", async () => {
    const a = await merchant();
    const b = await merchant();
    const { ids } = await buyerPays(b, "b@example.com");
    expect(await validateLicense(a.token, { license_key: ids.license })).toMatchObject({ status: 200, body: { valid: false, reason: "unknown_license" } });
    expect(await validateLicense(b.token, { license_key: ids.license })).toMatchObject({ status: 200, body: { valid: true } });
    expect(await validateLicense(a.token, "{not json")).toMatchObject({ status: 400, body: { error: { code: "invalid_request" } } });
    expect(await validateLicense(a.token, { key: "x" })).toMatchObject({ status: 400, body: { error: { message: expect.stringContaining("license_key") } } });
    expect(await validateLicense(null, { license_key: ids.license })).toMatchObject({ status: 401 });
  });
});

describe("GET /api/v1/orders and /api/v1/orders/{id}", () => {
  async function withOrders(m: Merchant, count: number, item: Item = m.item, firstSecond = 0): Promise<Order[]> {
    const made: Order[] = [];
    for (let i = firstSecond; i < firstSecond + count; i++) made.push(await fixtureOrder(m.tenant, item, { createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)) }));
    return made;
  }

  it("pages through every order newest first with next_cursor, filters by status and item", async () => {
    const m = await merchant();
    const made = await withOrders(m, 5);
    const otherItem = await fixtureItem(m.tenant, { title: "Other item" });
    const [paid] = await withOrders(m, 1, otherItem, 30);
    await db().update(orders).set({ status: "paid" }).where(eq(orders.id, paid!.id));

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof listOrders>> = await listOrders(m.token, { limit: "2", ...(cursor ? { cursor } : {}) });
      expect(page.status).toBe(200);
      expect(page.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.data.map((o) => o.id));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual([paid!.id, ...made.map((o) => o.id).reverse()]);

    expect((await listOrders(m.token, { status: "paid" })).body.data.map((o) => o.id)).toEqual([paid!.id]);
    expect((await listOrders(m.token, { item: m.item.id })).body.data).toHaveLength(5);

    const first = (await listOrders(m.token, { limit: "1" })).body.data[0];
    expect(first).toMatchObject({ id: paid!.id, object: "order", item: { id: otherItem.id, title: "Other item" }, status: "paid", amount_minor: 2999, amount: "29.99", currency: "usd" });
  });

  it("answers 400 for a bad limit, status or cursor", async () => {
    const m = await merchant();
    expect(await listOrders(m.token, { limit: "0" })).toMatchObject({ status: 400, body: { error: { code: "invalid_request", message: expect.stringContaining("limit") } } });
    expect(await listOrders(m.token, { limit: "500" })).toMatchObject({ status: 400 });
    expect(await listOrders(m.token, { status: "shipped" })).toMatchObject({ status: 400, body: { error: { message: expect.stringContaining("status") } } });
    expect(await listOrders(m.token, { cursor: "garbage" })).toMatchObject({ status: 400, body: { error: { message: expect.stringContaining("cursor") } } });
  });

  it("never shows another account's orders: not in the list, 404 by id", async () => {
    const a = await merchant();
    const b = await merchant();
    const [aOrder] = await withOrders(a, 1);
    const [bOrder] = await withOrders(b, 2);
    const aList = await listOrders(a.token, { limit: "100" });
    expect(aList.body.data.map((o) => o.id)).toEqual([aOrder!.id]);
    expect(await getOrder(a.token, aOrder!.id)).toMatchObject({ status: 200, body: { id: aOrder!.id } });
    expect(await getOrder(a.token, bOrder!.id)).toMatchObject({ status: 404, body: { error: { code: "not_found" } } });
    expect(await getOrder(a.token, "ord_missing")).toMatchObject({ status: 404 });
    expect(await getOrder(null, aOrder!.id)).toMatchObject({ status: 401 });
  });
});

describe("GET /api/v1/openapi.json", () => {
  it("describes every endpoint with the app's URL", async () => {
    const response = openApiRoute();
    const document = (await response.json()) as { openapi: string; servers: { url: string }[]; paths: Record<string, unknown> };
    expect(response.status).toBe(200);
    expect(document.openapi).toBe("3.1.0");
    expect(document.servers[0]!.url).toBe("http://localhost:3000");
    expect(Object.keys(document.paths).sort()).toEqual(["/api/v1/access", "/api/v1/events", "/api/v1/licenses/activate", "/api/v1/licenses/deactivate", "/api/v1/licenses/validate", "/api/v1/orders", "/api/v1/orders/{id}"]);
  });
});

