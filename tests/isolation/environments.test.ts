import { and, eq, sql } from "drizzle-orm";
import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { switchEnvironmentAction } from "@/app/dashboard/account-switch-actions";
import { createApiTokenAction, revokeApiTokenAction } from "@/app/dashboard/api/actions";
import ApiPage from "@/app/dashboard/api/page";
import { reapplyEventAction } from "@/app/dashboard/events/actions";
import EventsPage from "@/app/dashboard/events/page";
import { createWebhookAction, replaceKeyAction, saveWebhookSecretAction, updateWebhookEventsAction } from "@/app/dashboard/integrations/whop/actions";
import WhopIntegrationPage from "@/app/dashboard/integrations/whop/page";
import EditItemPage from "@/app/dashboard/items/[id]/page";
import { createItemAction, setItemActiveAction, updateItemAction } from "@/app/dashboard/items/actions";
import ItemsPage from "@/app/dashboard/items/page";
import DashboardLayout from "@/app/dashboard/layout";
import { acceptPaymentAction, cancelMembershipAction, reconcileOrderAction, refundOrderAction, subscriptionAction } from "@/app/dashboard/orders/[id]/actions";
import OrderPage from "@/app/dashboard/orders/[id]/page";
import { GET as exportOrders } from "@/app/dashboard/orders/export/route";
import OrdersPage from "@/app/dashboard/orders/page";
import DashboardPage from "@/app/dashboard/page";
import { deleteAccountAction } from "@/app/dashboard/settings/actions";
import SettingsPage from "@/app/dashboard/settings/page";
import SubscriptionsPage from "@/app/dashboard/subscriptions/page";
import {
  createWebhookEndpointAction,
  deleteWebhookEndpointAction,
  resendWebhookDeliveryAction,
  rotateWebhookSecretAction,
  sendTestWebhookAction,
  setWebhookEndpointEnabledAction,
} from "@/app/dashboard/webhooks/actions";
import WebhookEndpointPage from "@/app/dashboard/webhooks/[id]/page";
import WebhooksPage from "@/app/dashboard/webhooks/page";
import { connectAction } from "@/app/onboarding/actions";
import OnboardingPage from "@/app/onboarding/page";
import { GET as checkAccessRoute } from "@/app/api/v1/access/route";
import { GET as eventsFeedRoute } from "@/app/api/v1/events/route";
import { POST as validateLicenseRoute } from "@/app/api/v1/licenses/validate/route";
import { GET as getOrderRoute } from "@/app/api/v1/orders/[id]/route";
import { GET as listOrdersRoute } from "@/app/api/v1/orders/route";
import { GET as openCheckoutLink } from "@/app/pay/[slug]/route";
import { db } from "@/db/client";
import { accountTenants, auditLog, orders, tenantPublicIds, tenants, webhookEvents, type Environment, type Tenant } from "@/db/schema";
import { sessions } from "@/db/schema-auth";
import { API_SCOPES } from "@/lib/api/scopes";
import { createApiToken } from "@/lib/api/tokens";
import { signUp } from "@/lib/auth/accounts";
import { FORBIDDEN_MESSAGES } from "@/lib/auth/roles";
import { createSession, findLiveSession, switchSessionAccount, switchSessionEnvironment } from "@/lib/auth/sessions";
import { env } from "@/lib/env";
import { randomBase62 } from "@/lib/ids";
import { licenseKeyDigest as hashLicenseKey, licenseKeyHint } from "@/lib/licenses/keys";
import { createEndpoint } from "@/lib/outbound/endpoints";
import { reportProblem } from "@/lib/problems/report";
import { openEnvironment } from "@/lib/tenants/queries";
import { webhookUrl } from "@/lib/tenants/webhook-secret";
import { uniqueEmail, withTestDatabase } from "../db";
import { addMember, connectedMerchant, connectedTestEnvironment, fixtureItem, fixtureLedger, fixtureOrder, signStandard, withWebhookSecret } from "../fixtures";
import { postToWebhookRoute } from "../webhook-route";
import { expectNotFound, expectRedirect, html } from "./next-errors";
import { signInAs, signInRecently, signOut, switchEnvironment, TEST_SESSION_ID } from "./session";
import { tenantSnapshot } from "./snapshot";

vi.mock("@/lib/auth/session", () => import("./session"));
vi.mock("next/cache", () => ({ revalidatePath: vi.fn(), revalidateTag: vi.fn() }));
vi.mock("next/navigation", async (importOriginal) => ({
  ...(await importOriginal<typeof import("next/navigation")>()),
  useRouter: () => ({ push: vi.fn(), replace: vi.fn(), refresh: vi.fn(), back: vi.fn(), forward: vi.fn(), prefetch: vi.fn() }),
}));
/** The checkout route reads the buyer's cookie and headers. */
vi.mock("next/headers", () => ({
  cookies: async () => ({ get: () => undefined, set: () => undefined }),
  headers: async () => new Headers({ "x-forwarded-for": `198.51.100.${Math.floor(Math.random() * 250)}` }),
}));

withTestDatabase();

/*
 * Test mode: an account's Live and Test environments are two tenants, and nothing crosses between
 * them. The matrix: every dashboard page, action and API endpoint, the webhook URL and the checkout
 * link, used in one environment with the other environment's ids, keys and secrets, reads, changes
 * and calls Whop for nothing of the other's; Whop is called at the environment's own origin (Live:
 * WHOP_API_ORIGIN, Test: WHOP_SANDBOX_API_ORIGIN) with its own key. Roles are the account's, the
 * same in both.
 */

const ORIGINS: Record<Environment, string> = { live: env().whopApiOrigin, test: env().whopSandboxApiOrigin };
const NO_PREVIOUS_STATE = {};

interface WhopCall {
  origin: string;
  method: string;
  path: string;
  key: string | undefined;
}
let whopCalls: WhopCall[] = [];
/** Which Whop company each key belongs to, per world: a key of one world is unknown (401) in the other. */
const companies: Record<Environment, Map<string, { id: string; title: string }>> = { live: new Map(), test: new Map() };

function whopWorld(environment: Environment) {
  const origin = ORIGINS[environment];
  const record = (request: Request) => {
    const call = { origin, method: request.method, path: new URL(request.url).pathname, key: request.headers.get("authorization")?.replace(/^Bearer /, "") };
    whopCalls.push(call);
    return call;
  };
  return [
    http.get(`${origin}/api/v1/accounts/me`, ({ request }) => {
      const company = companies[environment].get(record(request).key ?? "");
      if (!company) return HttpResponse.json({ error: { type: "unauthorized", message: "Invalid API key" } }, { status: 401 });
      return HttpResponse.json({ ...company, route: "co", created_at: "2025-01-02T03:04:05Z" });
    }),
    http.post(`${origin}/api/v1/products`, ({ request }) => {
      record(request);
      return HttpResponse.json({ id: `prod_${randomBase62(14)}` });
    }),
    http.post(`${origin}/api/v1/webhooks`, ({ request }) => {
      record(request);
      return HttpResponse.json({ id: `hook_${randomBase62(14)}`, webhook_secret: `ws_${randomBase62(40)}` });
    }),
    http.get(`${origin}/api/v1/webhooks`, ({ request }) => {
      record(request);
      return HttpResponse.json({ data: [], page_info: { end_cursor: null, has_next_page: false } });
    }),
    http.get(`${origin}/api/v1/webhooks/:id`, ({ request, params }) => {
      record(request);
      return HttpResponse.json({ id: String(params.id), url: null, enabled: true, events: ["payment.succeeded"] });
    }),
    http.patch(`${origin}/api/v1/webhooks/:id`, async ({ request, params }) => {
      record(request);
      return HttpResponse.json({ id: String(params.id), url: null, enabled: true, events: ((await request.json()) as { events?: string[] }).events });
    }),
    http.get(`${origin}/api/v1/payments`, ({ request }) => {
      record(request);
      return HttpResponse.json({ data: [], page_info: { end_cursor: null, has_next_page: false } });
    }),
    http.post(`${origin}/api/v1/checkout_configurations`, ({ request }) => {
      record(request);
      const checkout = `ch_${randomBase62(15)}`;
      return HttpResponse.json({ id: checkout, purchase_url: `https://whop.com/checkout/plan_x/?session=${checkout}`, plan: { id: `plan_${randomBase62(13)}` } });
    }),
  ];
}

const server = setupServer(...whopWorld("live"), ...whopWorld("test"));
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
beforeEach(() => {
  whopCalls = [];
});
afterEach(() => signOut());
afterAll(() => server.close());

function form(fields: Record<string, string>): FormData {
  const data = new FormData();
  for (const [name, value] of Object.entries(fields)) data.set(name, value);
  return data;
}

/** One environment's data, every id carrying its marker: an item, a paid order with its ledger, a subscription, a payment that differs, an event, a problem, a license key, an API token and an endpoint. */
async function seed(side: { tenant: Tenant; actor: Parameters<typeof createApiToken>[0]; apiKey: string; user: { id: string } }, priceMinor: number) {
  const { tenant: withSecret, secret } = await withWebhookSecret(side.tenant);
  const tenant = withSecret;
  const marker = `${tenant.environment}${randomBase62(12)}`;
  const item = await fixtureItem(tenant, { title: `Item ${marker}`, priceMinor });
  const licenseKey = `LIC-${randomBase62(16)}`;
  const placed = await fixtureOrder(tenant, item, {
    buyerEmail: `buyer-${marker.toLowerCase()}@example.com`,
    whopMembershipId: `mem_${randomBase62(14)}`,
    licenseKeyHash: hashLicenseKey(licenseKey),
    licenseKeyHint: licenseKeyHint(licenseKey),
    membershipStatus: "active",
    membershipValid: true,
    membershipEventAt: new Date(),
  });
  const { order: paid } = await fixtureLedger(tenant, placed, { payments: [{ id: `pay_${marker}` }] });
  const subscription = await fixtureOrder(tenant, item, { billingPeriodDays: 30, whopMembershipId: `mem_${randomBase62(14)}`, subscriptionState: "active", membershipStatus: "active", membershipValid: true, membershipEventAt: new Date() });
  const { order: differs } = await fixtureLedger(tenant, await fixtureOrder(tenant, item), { payments: [{ amountMinor: priceMinor + 100 }] });
  const [event] = await db()
    .insert(webhookEvents)
    .values({ tenantId: tenant.id, eventKey: `msg_${randomBase62(20)}`, eventType: "payment.succeeded", scheme: "standard", result: "applied", detail: `detail ${marker}`, orderId: paid.id, payload: JSON.stringify({ marker }) })
    .returning();
  await reportProblem(tenant.id, "signature_failures", `Problem ${marker}`);
  const actor = { ...side.actor, tenant };
  const token = await createApiToken(actor, `Token ${marker}`, API_SCOPES);
  if (!token.ok) throw new Error(token.message);
  const endpoint = await createEndpoint(actor, { url: `http://127.0.0.1:9/hooks/${marker}`, eventTypes: ["order.paid"] }, { allowPrivate: true });
  if (!endpoint.ok) throw new Error(endpoint.message);
  return { tenant, secret, apiKey: side.apiKey, marker, item, paid, subscription, differs, event: event!, licenseKey, token: token.token, tokenRow: token.row, endpointId: endpoint.endpoint.id };
}
type Side = Awaited<ReturnType<typeof seed>>;

/** An account with both environments connected (each to a Whop company of its own world) and seeded: Live sells at $77.77, Test at $11.11. */
async function account() {
  const merchant = await connectedMerchant();
  companies.live.set(merchant.apiKey, { id: merchant.tenant.whopCompanyId!, title: "Fixture Co" });
  const testSide = await connectedTestEnvironment(merchant);
  companies.test.set(testSide.apiKey, { id: testSide.tenant.whopCompanyId!, title: "Fixture Sandbox Co" });
  const live = await seed(merchant, 7777);
  const test = await seed(testSide, 1111);
  return { user: merchant.user, account: merchant.account, live, test };
}

const other = (environment: Environment): Environment => (environment === "live" ? "test" : "live");
const params = (id: string) => ({ params: Promise.resolve({ id }) });
const search = (query: Record<string, string> = {}) => ({ searchParams: Promise.resolve(query) });

/** Everything of a side that must never show in the other environment's pages. */
const traces = (side: Side) => [side.marker, side.item.id, side.item.slug, side.paid.id, side.tenant.publicId, side.tenant.whopCompanyId!, side.tenant.whopApiKeyHint!, side.endpointId, side.tokenRow.tokenHint];

describe.each(["test", "live"] as const)("signed in to %s", (environment) => {
  it("every dashboard page shows this environment's data and none of the other's; the other's ids are not found", async () => {
    const a = await account();
    const mine = a[environment];
    const theirs = a[other(environment)];
    await signInRecently({ user: a.user, tenant: mine.tenant });

    const pages: Record<string, string> = {
      layout: html(await DashboardLayout({ children: null })),
      overview: html(await DashboardPage()),
      items: html(await ItemsPage()),
      item: html(await EditItemPage(params(mine.item.id))),
      orders: html(await OrdersPage(search())),
      order: html(await OrderPage(params(mine.paid.id))),
      subscriptions: html(await SubscriptionsPage(search())),
      events: html(await EventsPage(search())),
      integration: html(await WhopIntegrationPage()),
      api: html(await ApiPage()),
      webhooks: html(await WebhooksPage()),
      endpoint: html(await WebhookEndpointPage(params(mine.endpointId))),
      settings: html(await SettingsPage(search())),
      csv: await (await exportOrders(new Request("http://localhost/dashboard/orders/export"))).text(),
    };
    for (const [name, markup] of Object.entries(pages)) {
      for (const trace of traces(theirs)) expect({ name, leaked: markup.includes(trace) ? trace : null }).toEqual({ name, leaked: null });
    }
    expect(pages.items).toContain(mine.item.id);
    expect(pages.orders).toContain(mine.paid.id);
    expect(pages.csv).toContain(mine.paid.id);
    expect(pages.events).toContain(`detail ${mine.marker}`);
    expect(pages.integration).toContain(webhookUrl(mine.tenant));
    expect(pages.overview).toContain(`Problem ${mine.marker}`);
    expect(pages.api).toContain(`Token ${mine.marker}`);
    expect(pages.webhooks).toContain(mine.endpointId);
    // Filtering by the other environment's item finds nothing (the page echoes only the id typed).
    const filtered = html(await OrdersPage(search({ item: theirs.item.id })));
    expect(filtered).toContain("No orders match these filters.");
    for (const trace of [theirs.marker, theirs.paid.id]) expect(filtered).not.toContain(trace);

    await expectNotFound(() => EditItemPage(params(theirs.item.id)));
    await expectNotFound(() => OrderPage(params(theirs.paid.id)));
    await expectNotFound(() => WebhookEndpointPage(params(theirs.endpointId)));
  });

  it("the header offers the switch that applies, and every page in Test says Test mode", async () => {
    const a = await account();
    signInAs({ user: a.user, tenant: a[environment].tenant });
    const layout = html(await DashboardLayout({ children: null }));
    if (environment === "test") {
      expect(layout).toContain("Switch to Live");
      expect(layout).not.toContain("Switch to Test");
      expect(layout).toContain("Test mode");
    } else {
      expect(layout).toContain("Switch to Test");
      expect(layout).not.toContain("Switch to Live");
      expect(layout).not.toContain("Test mode");
    }
  });

  it("the revenue card counts this environment's payments only", async () => {
    const a = await account();
    signInAs({ user: a.user, tenant: a[environment].tenant });
    const overview = html(await DashboardPage());
    const [mine, theirs] = environment === "live" ? ["$77.77", "$11.11"] : ["$11.11", "$77.77"];
    expect(overview).toContain(mine);
    expect(overview).not.toContain(theirs);
  });

  it("every acting form, posted with the other environment's ids, changes nothing of it and calls Whop only in this environment's world with its key", async () => {
    const a = await account();
    const mine = a[environment];
    const theirs = a[other(environment)];
    const beforeTheirs = await tenantSnapshot(theirs.tenant.id);
    await signInRecently({ user: a.user, tenant: mine.tenant });

    const itemFields = { title: "Renamed", price: "12.00", currency: "usd", description: "changed" };
    const smuggled = { tenantId: theirs.tenant.id };
    const posts: Record<string, () => Promise<unknown>> = {
      createItem: () => createItemAction(NO_PREVIOUS_STATE, form({ ...itemFields, ...smuggled })),
      updateItem: () => updateItemAction(NO_PREVIOUS_STATE, form({ ...itemFields, itemId: theirs.item.id })),
      setItemActive: () => setItemActiveAction(form({ itemId: theirs.item.id, active: "false" })),
      refund: () => refundOrderAction(NO_PREVIOUS_STATE, form({ orderId: theirs.paid.id, amount: "1.00", reason: "", baseMinor: "0" })),
      cancelMembership: () => cancelMembershipAction(NO_PREVIOUS_STATE, form({ orderId: theirs.paid.id, mode: "immediate" })),
      acceptPayment: () => acceptPaymentAction(NO_PREVIOUS_STATE, form({ orderId: theirs.differs.id })),
      cancelAtPeriodEnd: () => subscriptionAction(NO_PREVIOUS_STATE, form({ orderId: theirs.subscription.id, action: "cancel_at_period_end" })),
      cancelNow: () => subscriptionAction(NO_PREVIOUS_STATE, form({ orderId: theirs.subscription.id, action: "cancel_now" })),
      resume: () => subscriptionAction(NO_PREVIOUS_STATE, form({ orderId: theirs.subscription.id, action: "resume" })),
      reconcile: () => reconcileOrderAction(NO_PREVIOUS_STATE, form({ orderId: theirs.paid.id })),
      reapplyEvent: () => reapplyEventAction(NO_PREVIOUS_STATE, form({ eventId: String(theirs.event.id) })),
      saveWebhookSecret: () => saveWebhookSecretAction(NO_PREVIOUS_STATE, form({ webhookSecret: `ws_${randomBase62(40)}`, ...smuggled })),
      createWebhook: () => createWebhookAction(NO_PREVIOUS_STATE, form(smuggled)),
      updateWebhookEvents: () => updateWebhookEventsAction(NO_PREVIOUS_STATE, form(smuggled)),
      // The other environment's key is unknown in this world: Whop answers 401, and nothing is stored.
      replaceKey: () => replaceKeyAction(NO_PREVIOUS_STATE, form({ apiKey: theirs.apiKey, ...smuggled })),
      connect: () => connectAction(NO_PREVIOUS_STATE, form({ apiKey: theirs.apiKey, ...smuggled })),
      createApiToken: () => createApiTokenAction(NO_PREVIOUS_STATE, form({ name: "another", scopes: "orders:read", ...smuggled })),
      revokeApiToken: () => revokeApiTokenAction(NO_PREVIOUS_STATE, form({ tokenId: theirs.tokenRow.id })),
      createEndpoint: () => createWebhookEndpointAction(NO_PREVIOUS_STATE, form({ url: "https://hooks.example.com/new", eventTypes: "order.paid", ...smuggled })),
      rotateEndpointSecret: () => rotateWebhookSecretAction(NO_PREVIOUS_STATE, form({ endpointId: theirs.endpointId })),
      sendTestEvent: () => sendTestWebhookAction(NO_PREVIOUS_STATE, form({ endpointId: theirs.endpointId })),
      disableEndpoint: () => setWebhookEndpointEnabledAction(NO_PREVIOUS_STATE, form({ endpointId: theirs.endpointId, enabled: "false" })),
      deleteEndpoint: () => deleteWebhookEndpointAction(NO_PREVIOUS_STATE, form({ endpointId: theirs.endpointId })),
      resendDelivery: () => resendWebhookDeliveryAction(NO_PREVIOUS_STATE, form({ deliveryId: `dlv_${randomBase62(20)}` })),
    };
    const outcomes: Record<string, unknown> = {};
    for (const [name, post] of Object.entries(posts)) {
      // A form may end in Next's redirect (connect: this environment is already connected).
      outcomes[name] = await post().catch((error: unknown) => ({ thrown: error instanceof Error && "digest" in error ? String(error.digest).split(";").slice(0, 3).join(";") : String(error) }));
    }

    expect(await tenantSnapshot(theirs.tenant.id)).toBe(beforeTheirs);
    expect(whopCalls.length).toBeGreaterThan(0);
    for (const call of whopCalls) expect({ origin: call.origin, key: call.key === theirs.apiKey ? "theirs" : call.key === mine.apiKey ? "mine" : "pasted" }).toMatchObject({ origin: ORIGINS[environment] });
    expect(whopCalls.filter((call) => call.key !== mine.apiKey).map((call) => call.path)).toEqual(["/api/v1/accounts/me"]);
    for (const name of ["updateItem", "refund", "cancelMembership", "acceptPayment", "cancelAtPeriodEnd", "reconcile"]) {
      expect({ name, outcome: outcomes[name] }).toMatchObject({ name, outcome: { error: expect.stringMatching(/does not exist/) } });
    }
    expect(outcomes.replaceKey).toMatchObject({ fieldErrors: { apiKey: expect.stringContaining(environment === "test" ? "Test mode talks to Whop's sandbox" : "Live mode talks to Whop's production API") } });
    expect(outcomes.connect).toEqual({ thrown: "NEXT_REDIRECT;replace;/dashboard" });
  });

  it("the merchant API answers a token of this environment with its own data only", async () => {
    const a = await account();
    const mine = a[environment];
    const theirs = a[other(environment)];
    const call = async (route: (request: Request, context: { params: Promise<never> }) => Promise<Response>, url: string, init: RequestInit = {}, routeParams: Record<string, string> = {}) => {
      const response = await route(new Request(`http://localhost${url}`, { ...init, headers: { authorization: `Bearer ${mine.token}`, "content-type": "application/json" } }), { params: Promise.resolve(routeParams as never) });
      return { status: response.status, body: JSON.stringify(await response.json()) };
    };

    // A token says which environment it opens.
    expect(mine.token).toMatch(environment === "test" ? /^whc_test_[A-Za-z0-9]{38}$/ : /^whc_[A-Za-z0-9]{38}$/);
    expect((await call(getOrderRoute, `/api/v1/orders/${theirs.paid.id}`, {}, { id: theirs.paid.id })).status).toBe(404);
    expect((await call(getOrderRoute, `/api/v1/orders/${mine.paid.id}`, {}, { id: mine.paid.id })).status).toBe(200);
    const list = await call(listOrdersRoute, "/api/v1/orders");
    expect(list.body).toContain(mine.paid.id);
    expect(list.body).not.toContain(theirs.paid.id);
    expect((await call(listOrdersRoute, `/api/v1/orders?item=${theirs.item.id}`)).body).not.toContain(theirs.paid.id);
    const theirAccess = await call(checkAccessRoute, `/api/v1/access?${new URLSearchParams({ item: theirs.item.id, email: theirs.paid.buyerEmail! })}`);
    expect(theirAccess.status).toBe(404);
    expect(JSON.parse((await call(checkAccessRoute, `/api/v1/access?${new URLSearchParams({ item: mine.item.id, email: mine.paid.buyerEmail! })}`)).body)).toMatchObject({ access: true });
    expect(JSON.parse((await call(validateLicenseRoute, "/api/v1/licenses/validate", { method: "POST", body: JSON.stringify({ license_key: theirs.licenseKey }) })).body)).toMatchObject({ valid: false, reason: "unknown_license" });
    expect(JSON.parse((await call(validateLicenseRoute, "/api/v1/licenses/validate", { method: "POST", body: JSON.stringify({ license_key: mine.licenseKey }) })).body)).toMatchObject({ valid: true });
    const feed = await call(eventsFeedRoute, "/api/v1/events");
    expect(feed.status).toBe(200);
    expect(feed.body).not.toContain(theirs.paid.id);
  });

  it("this environment's webhook URL refuses a body signed with the other environment's secret, and accepts its own", async () => {
    const a = await account();
    const mine = a[environment];
    const theirs = a[other(environment)];
    const beforeTheirs = await tenantSnapshot(theirs.tenant.id);
    const deliver = (secret: string) => {
      const body = JSON.stringify({ id: `msg_${randomBase62(24)}`, api_version: "v1", timestamp: new Date().toISOString(), type: "payment.succeeded", data: { id: `pay_${randomBase62(14)}`, status: "paid", substatus: "succeeded", total: 77.77, currency: "usd", metadata: { order_id: theirs.paid.id } } });
      const request = new Request(`http://localhost/api/webhooks/whop/${mine.tenant.publicId}`, { method: "POST", body, headers: { "content-type": "application/json", ...signStandard(secret, body) } });
      return postToWebhookRoute(request, mine.tenant.publicId);
    };
    expect((await deliver(theirs.secret)).status).toBe(401);
    expect((await deliver(mine.secret)).status).toBe(200);
    expect(await tenantSnapshot(theirs.tenant.id)).toBe(beforeTheirs);
  });

  it("this environment's checkout link opens a checkout in its own Whop world, with its own key", async () => {
    const a = await account();
    const mine = a[environment];
    const response = await openCheckoutLink(new Request(`http://localhost/pay/${mine.item.slug}`), { params: Promise.resolve({ slug: mine.item.slug }) });
    expect(response.status).toBe(303);
    expect(whopCalls.map((call) => [call.origin, call.path, call.key])).toEqual([[ORIGINS[environment], "/api/v1/checkout_configurations", mine.apiKey]]);
  });

  it("roles are the account's: a Viewer reads but is refused every acting form here too; an Admin is refused the owner's", async () => {
    const a = await account();
    const mine = a[environment];
    const viewer = await addMember({ tenant: a.live.tenant }, "viewer");
    const admin = await addMember({ tenant: a.live.tenant }, "admin");
    const before = await tenantSnapshot(mine.tenant.id);
    await signInRecently({ user: viewer.user, tenant: mine.tenant });
    expect(html(await ItemsPage())).toContain(mine.item.id);
    for (const post of [
      () => createItemAction(NO_PREVIOUS_STATE, form({ title: "x", price: "1.00", currency: "usd" })),
      () => refundOrderAction(NO_PREVIOUS_STATE, form({ orderId: mine.paid.id, amount: "1.00", reason: "", baseMinor: "0" })),
      () => createApiTokenAction(NO_PREVIOUS_STATE, form({ name: "viewer's", scopes: "orders:read" })),
      () => createWebhookEndpointAction(NO_PREVIOUS_STATE, form({ url: "https://hooks.example.com/v", eventTypes: "order.paid" })),
    ]) {
      expect((await post()).error).toBe(FORBIDDEN_MESSAGES.admin);
    }
    await signInRecently({ user: admin.user, tenant: mine.tenant });
    expect((await replaceKeyAction(NO_PREVIOUS_STATE, form({ apiKey: `apik_${randomBase62(24)}` }))).error).toBe(FORBIDDEN_MESSAGES.owner);
    expect(whopCalls).toEqual([]);
    expect(await tenantSnapshot(mine.tenant.id)).toBe(before);
  });
});

describe("switching environments", () => {
  const tenantsOf = async (accountId: string) => db().select().from(accountTenants).where(eq(accountTenants.accountId, accountId));

  it("a new account starts in Live; its first switch to Test makes its Test tenant, once, and the session then works in it", async () => {
    const created = await signUp({ email: uniqueEmail(), password: "long enough password", ip: null });
    if (!created.ok) throw new Error("sign-up failed");
    const session = await createSession(db(), created.user, created.account.id, { ip: null, userAgent: null });
    const ref = { sessionId: session.id, userId: created.user.id };
    expect(session.environment).toBe("live");
    expect((await findLiveSession(ref))!.tenant.id).toBe(created.tenant.id);
    expect((await tenantsOf(created.account.id)).map((row) => row.environment)).toEqual(["live"]);

    const [first, second] = await Promise.all([switchSessionEnvironment(ref, created.account.id, "test"), switchSessionEnvironment(ref, created.account.id, "test")]);
    expect([first, second]).toEqual([true, true]);
    const both = await tenantsOf(created.account.id);
    expect(both.map((row) => row.environment).sort()).toEqual(["live", "test"]);
    const testTenantId = both.find((row) => row.environment === "test")!.tenantId;
    const inTest = (await findLiveSession(ref))!;
    expect(inTest.tenant).toMatchObject({ id: testTenantId, environment: "test", accountId: created.account.id, whopCompanyId: null });
    expect(inTest.tenant.publicId).not.toBe(created.tenant.publicId);
    expect(await db().select().from(tenantPublicIds).where(eq(tenantPublicIds.tenantId, testTenantId))).toHaveLength(1);

    // Back to Live and to Test again: the same two tenants.
    expect(await switchSessionEnvironment(ref, created.account.id, "live")).toBe(true);
    expect((await findLiveSession(ref))!.tenant.id).toBe(created.tenant.id);
    expect(await switchSessionEnvironment(ref, created.account.id, "test")).toBe(true);
    expect((await findLiveSession(ref))!.tenant.id).toBe(testTenantId);
    expect(await tenantsOf(created.account.id)).toHaveLength(2);

    // The next log-in starts where the user left off.
    const next = await createSession(db(), created.user, created.account.id, { ip: null, userAgent: null });
    expect(next.environment).toBe("test");
  });

  it("a session switches only within its own account, and an ended session not at all", async () => {
    const a = await connectedMerchant();
    const stranger = await connectedMerchant();
    const session = await createSession(db(), a.user, a.account.id, { ip: null, userAgent: null });
    const ref = { sessionId: session.id, userId: a.user.id };
    expect(await switchSessionEnvironment(ref, stranger.account.id, "test")).toBe(false);
    const [row] = await db().select().from(sessions).where(and(eq(sessions.userId, a.user.id), eq(sessions.id, session.id)));
    expect(row).toMatchObject({ accountId: a.account.id, environment: "live" });
    await db().update(sessions).set({ endedAt: new Date() }).where(and(eq(sessions.userId, a.user.id), eq(sessions.id, session.id)));
    expect(await switchSessionEnvironment(ref, a.account.id, "test")).toBe(false);
  });

  it("the account switcher enters another account in the environment the user last worked in there (Live the first time)", async () => {
    const a = await connectedMerchant();
    const b = await connectedMerchant();
    const member = await addMember({ tenant: a.tenant }, "admin");
    const session = await createSession(db(), member.user, a.account.id, { ip: null, userAgent: null });
    const ref = { sessionId: session.id, userId: member.user.id };
    expect(await switchSessionEnvironment(ref, a.account.id, "test")).toBe(true);

    // The same user is a member of B too: moving there starts in B's Live, and back in A's Test.
    await db().execute(sql`insert into account_members (account_id, user_id, role) values (${b.account.id}, ${member.user.id}, 'viewer')`);
    const other = await createSession(db(), member.user, a.account.id, { ip: null, userAgent: null });
    expect(other.environment).toBe("test");
    expect(await switchSessionAccount({ sessionId: other.id, userId: member.user.id }, b.account.id)).toBe(true);
    expect((await findLiveSession({ sessionId: other.id, userId: member.user.id }))!.tenant.id).toBe(b.tenant.id);
    expect(await switchSessionAccount({ sessionId: other.id, userId: member.user.id }, a.account.id)).toBe(true);
    expect((await findLiveSession({ sessionId: other.id, userId: member.user.id }))!.tenant).toMatchObject({ accountId: a.account.id, environment: "test" });
  });

  it("Switch to Test moves the signed-in session and lands on the overview; anything else changes nothing", async () => {
    const a = await connectedMerchant();
    await signInRecently(a);
    const environmentOf = async () => (await db().select().from(sessions).where(and(eq(sessions.userId, a.user.id), eq(sessions.id, TEST_SESSION_ID))))[0]!.environment;

    await expectRedirect(() => switchEnvironmentAction(form({ environment: "sandbox" })), "/dashboard");
    expect(await environmentOf()).toBe("live");
    await expectRedirect(() => switchEnvironmentAction(form({ environment: "test", next: "https://evil.example.com" })), "/dashboard");
    expect(await environmentOf()).toBe("test");
    switchEnvironment("test"); // the stand-in's cookie follows the row, as the real session does
    await expectRedirect(() => switchEnvironmentAction(form({ environment: "live", next: "/onboarding" })), "/onboarding");
    expect(await environmentOf()).toBe("live");

    signOut();
    await expectRedirect(() => switchEnvironmentAction(form({ environment: "test" })), "/login");
  });

  it("the onboarding wizard in Test says Test mode, offers Switch to Live, and connects the Test tenant at the sandbox origin", async () => {
    const created = await signUp({ email: uniqueEmail(), password: "long enough password", ip: null });
    if (!created.ok) throw new Error("sign-up failed");
    const testTenant = (await db().transaction((tx) => openEnvironment(tx, created.account.id, "test")))!;
    const beforeLive = await tenantSnapshot(created.tenant.id);
    signInAs({ user: created.user, tenant: testTenant });
    const wizard = html(await OnboardingPage());
    expect(wizard).toContain("Test mode");
    expect(wizard).toContain("Switch to Live");

    const key = `apik_${randomBase62(30)}`;
    const companyId = `biz_${randomBase62(14)}`;
    companies.test.set(key, { id: companyId, title: "Sandbox Co" });
    expect(await connectAction(NO_PREVIOUS_STATE, form({ apiKey: key }))).toEqual({ success: `Connected to Sandbox Co (${companyId}).` });
    expect(whopCalls.map((call) => [call.origin, call.path])).toEqual([[ORIGINS.test, "/api/v1/accounts/me"]]);
    expect((await db().select().from(tenants).where(eq(tenants.id, testTenant.id)))[0]).toMatchObject({ whopCompanyId: companyId, environment: "test" });
    expect(await tenantSnapshot(created.tenant.id)).toBe(beforeLive);
    const audit = await db().select().from(auditLog).where(eq(auditLog.tenantId, testTenant.id));
    expect(audit.map((entry) => entry.action)).toContain("whop.key_connected");

    // A production key pasted into a fresh account's Test wizard: Whop's sandbox does not know it, and the wizard says where it belongs.
    const fresh = await signUp({ email: uniqueEmail(), password: "long enough password", ip: null });
    if (!fresh.ok) throw new Error("sign-up failed");
    const freshTest = (await db().transaction((tx) => openEnvironment(tx, fresh.account.id, "test")))!;
    const liveKey = `apik_${randomBase62(30)}`;
    companies.live.set(liveKey, { id: `biz_${randomBase62(14)}`, title: "Live Co" });
    signInAs({ user: fresh.user, tenant: freshTest });
    const refused = await connectAction(NO_PREVIOUS_STATE, form({ apiKey: liveKey }));
    expect(refused.fieldErrors?.apiKey).toContain("a production key belongs in Live mode (Switch to Live)");
    // And in Live, a sandbox key: the other way round.
    signInAs({ user: fresh.user, tenant: fresh.tenant });
    const sandboxRefused = await connectAction(NO_PREVIOUS_STATE, form({ apiKey: key }));
    expect(sandboxRefused.fieldErrors?.apiKey).toContain("a sandbox key belongs in Test mode (Switch to Test)");
  });

  it("deleting the account deletes both environments and their lookups", async () => {
    const a = await account();
    await signInRecently({ user: a.user, tenant: a.test.tenant });
    const result = await deleteAccountAction(NO_PREVIOUS_STATE, form({ confirmation: a.test.tenant.whopCompanyTitle!, password: "long enough password" })).catch((error: unknown) => error);
    expect(result).toBeDefined();
    for (const side of [a.live, a.test]) {
      expect(await db().select().from(tenants).where(eq(tenants.id, side.tenant.id))).toEqual([]);
      expect(await db().select().from(tenantPublicIds).where(eq(tenantPublicIds.tenantId, side.tenant.id))).toEqual([]);
      expect(await db().select().from(orders).where(eq(orders.tenantId, side.tenant.id))).toEqual([]);
    }
    expect(await tenantsOf(a.account.id)).toEqual([]);
  });
});
