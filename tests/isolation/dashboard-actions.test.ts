import { eq } from "drizzle-orm";
import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { replaceKeyAction, createWebhookAction, saveWebhookSecretAction, updateWebhookEventsAction } from "@/app/dashboard/integrations/whop/actions";
import { createItemAction, setItemActiveAction, updateItemAction } from "@/app/dashboard/items/actions";
import { acceptPaymentAction, reconcileOrderAction, subscriptionAction } from "@/app/dashboard/orders/[id]/actions";
import { connectAction } from "@/app/onboarding/actions";
import { db } from "@/db/client";
import { auditLog, items, orders, tenants, type Tenant } from "@/db/schema";
import { signUp } from "@/lib/auth/accounts";
import { env } from "@/lib/env";
import { randomBase62 } from "@/lib/ids";
import { getTenantById } from "@/lib/tenants/queries";
import { webhookSecretsForVerification, webhookUrl } from "@/lib/tenants/webhook-secret";
import { uniqueEmail, withTestDatabase } from "../db";
import { connectedMerchant, fixtureItem, fixtureLedger, fixtureOrder } from "../fixtures";
import { expectRedirect } from "./next-errors";
import { signInAs, signInRecently, signOut } from "./session";
import { tenantSnapshot } from "./snapshot";

vi.mock("@/lib/auth/session", () => import("./session"));
vi.mock("next/cache", () => ({ revalidatePath: vi.fn(), revalidateTag: vi.fn() }));

withTestDatabase();

/*
 * Every dashboard and onboarding server action, invoked by merchant A with merchant B's ids (and
 * with B's tenant id smuggled into the form): A's request never reads, changes or adds anything of
 * B's, and the Whop calls it makes use A's own key and company. Signed out, every action redirects
 * to /login before touching anything.
 */

const ORIGIN = env().whopApiOrigin;
const NO_PREVIOUS_STATE = {};

interface WhopCall {
  method: string;
  path: string;
  key: string | undefined;
  query: Record<string, string>;
  body: Record<string, unknown> | null;
}
let whopCalls: WhopCall[] = [];
/** Which Whop company each API key belongs to (what GET /api/v1/accounts/me answers). */
const companies = new Map<string, { id: string; title: string }>();

async function record(request: Request): Promise<WhopCall> {
  const url = new URL(request.url);
  const call: WhopCall = {
    method: request.method,
    path: url.pathname,
    key: request.headers.get("authorization")?.replace(/^Bearer /, ""),
    query: Object.fromEntries(url.searchParams),
    body: request.method === "GET" ? null : ((await request.clone().json()) as Record<string, unknown>),
  };
  whopCalls.push(call);
  return call;
}

const server = setupServer(
  http.get(`${ORIGIN}/api/v1/accounts/me`, async ({ request }) => {
    const company = companies.get((await record(request)).key ?? "");
    if (!company) return HttpResponse.json({ error: { type: "unauthorized", message: "Invalid API key" } }, { status: 401 });
    return HttpResponse.json({ ...company, route: "co", created_at: "2025-01-02T03:04:05Z" });
  }),
  http.post(`${ORIGIN}/api/v1/products`, async ({ request }) => {
    await record(request);
    return HttpResponse.json({ id: `prod_${randomBase62(14)}` });
  }),
  http.post(`${ORIGIN}/api/v1/webhooks`, async ({ request }) => {
    await record(request);
    return HttpResponse.json({ id: `hook_${randomBase62(14)}`, webhook_secret: `ws_${randomBase62(40)}` });
  }),
  // Every webhook a key's company has: one per tenant, with a short list of events.
  http.get(`${ORIGIN}/api/v1/webhooks/:id`, async ({ request, params }) => {
    await record(request);
    return HttpResponse.json({ id: String(params.id), url: null, enabled: true, events: ["payment.succeeded"] });
  }),
  http.patch(`${ORIGIN}/api/v1/webhooks/:id`, async ({ request, params }) => {
    const call = await record(request);
    return HttpResponse.json({ id: String(params.id), url: null, enabled: true, events: call.body?.events });
  }),
  http.get(`${ORIGIN}/api/v1/payments`, async ({ request }) => {
    await record(request);
    return HttpResponse.json({ data: [], page_info: { end_cursor: null, has_next_page: false } });
  }),
);
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
beforeEach(() => {
  whopCalls = [];
});
afterEach(() => {
  server.resetHandlers();
  signOut();
});
afterAll(() => server.close());

function form(fields: Record<string, string>): FormData {
  const data = new FormData();
  for (const [name, value] of Object.entries(fields)) data.set(name, value);
  return data;
}

/**
 * A connected merchant whose key the fake Whop recognises, with one item, one pending order and
 * one paid order whose payment differs from its amount (waiting for "Accept this payment").
 */
async function merchant() {
  const m = await connectedMerchant();
  companies.set(m.apiKey, { id: m.tenant.whopCompanyId!, title: "Fixture Co" });
  const item = await fixtureItem(m.tenant, { title: `Item ${randomBase62(10)}` });
  const order = await fixtureOrder(m.tenant, item);
  const placed = await fixtureOrder(m.tenant, item);
  const { order: differs } = await fixtureLedger(m.tenant, placed, { payments: [{ amountMinor: placed.amountMinor + 100 }] });
  const subscription = await fixtureOrder(m.tenant, item, { billingPeriodDays: 30, whopMembershipId: `mem_${randomBase62(14)}`, subscriptionState: "active", membershipStatus: "active", membershipValid: true, membershipEventAt: new Date() });
  return { ...m, item, order, differs, subscription };
}
const orderRow = async (id: string) => (await db().select().from(orders).where(eq(orders.id, id)))[0]!;

/** A merchant who signed up but has not connected Whop yet. */
async function unconnectedMerchant() {
  const result = await signUp({ email: uniqueEmail(), password: "long enough password", ip: null });
  if (!result.ok) throw new Error("sign-up failed");
  return result;
}

const itemFields = (overrides: Record<string, string> = {}) => ({ title: "Hijacked title", price: "0.50", currency: "usd", description: "changed", ...overrides });
const reload = async (tenant: Tenant) => (await getTenantById(tenant.id))!;
const itemRow = async (id: string) => (await db().select().from(items).where(eq(items.id, id)))[0]!;

describe("updateItemAction", () => {
  it("refuses merchant B's item to merchant A and changes nothing", async () => {
    const a = await merchant();
    const b = await merchant();
    const [beforeA, beforeB] = [await tenantSnapshot(a.tenant.id), await tenantSnapshot(b.tenant.id)];

    signInAs(a);
    const result = await updateItemAction(NO_PREVIOUS_STATE, form({ ...itemFields(), itemId: b.item.id }));

    expect(result.error).toBe("That item does not exist.");
    expect(await tenantSnapshot(b.tenant.id)).toBe(beforeB);
    expect(await tenantSnapshot(a.tenant.id)).toBe(beforeA);
  });

  it("updates the item for its owner", async () => {
    const b = await merchant();
    signInAs(b);
    await expectRedirect(() => updateItemAction(NO_PREVIOUS_STATE, form({ ...itemFields({ title: "Renamed by owner" }), itemId: b.item.id })), "/dashboard/items");
    expect(await itemRow(b.item.id)).toMatchObject({ title: "Renamed by owner", priceMinor: 50 });
  });
});

describe("setItemActiveAction", () => {
  it("does not deactivate merchant B's item for merchant A", async () => {
    const a = await merchant();
    const b = await merchant();
    const [beforeA, beforeB] = [await tenantSnapshot(a.tenant.id), await tenantSnapshot(b.tenant.id)];

    signInAs(a);
    await setItemActiveAction(form({ itemId: b.item.id, active: "false" }));

    expect((await itemRow(b.item.id)).active).toBe(true);
    expect(await tenantSnapshot(b.tenant.id)).toBe(beforeB);
    expect(await tenantSnapshot(a.tenant.id)).toBe(beforeA);
  });

  it("deactivates the item for its owner", async () => {
    const b = await merchant();
    signInAs(b);
    await setItemActiveAction(form({ itemId: b.item.id, active: "false" }));
    expect((await itemRow(b.item.id)).active).toBe(false);
  });
});

describe("createItemAction", () => {
  it("creates the item under the signed-in merchant with its own key, whatever tenant the form names", async () => {
    const a = await merchant();
    const b = await merchant();
    const beforeB = await tenantSnapshot(b.tenant.id);
    const title = `Created ${randomBase62(10)}`;

    signInAs(a);
    const result = await createItemAction(NO_PREVIOUS_STATE, form({ ...itemFields({ title }), tenantId: b.tenant.id, tenant_id: b.tenant.id }));

    expect(result.success).toContain(title);
    const [created] = await db().select().from(items).where(eq(items.title, title));
    expect(created?.tenantId).toBe(a.tenant.id);
    expect(whopCalls.map((call) => [call.path, call.key])).toEqual([["/api/v1/products", a.apiKey]]);
    expect(await tenantSnapshot(b.tenant.id)).toBe(beforeB);
  });
});

describe("reconcileOrderAction", () => {
  it("answers “That order does not exist.” to merchant A for B's order, without calling Whop or changing anything", async () => {
    const a = await merchant();
    const b = await merchant();
    const [beforeA, beforeB] = [await tenantSnapshot(a.tenant.id), await tenantSnapshot(b.tenant.id)];

    signInAs(a);
    const result = await reconcileOrderAction(NO_PREVIOUS_STATE, form({ orderId: b.order.id }));

    expect(result).toMatchObject({ error: "That order does not exist." });
    expect(whopCalls).toEqual([]);
    expect(await tenantSnapshot(b.tenant.id)).toBe(beforeB);
    expect(await tenantSnapshot(a.tenant.id)).toBe(beforeA);
  });

  it("checks the order with Whop, with the owner's key and company, for its owner", async () => {
    const b = await merchant();
    signInAs(b);
    const result = await reconcileOrderAction(NO_PREVIOUS_STATE, form({ orderId: b.order.id }));

    expect(result).toEqual({ success: "Whop has no payment for this order yet." });
    expect(whopCalls.map((call) => [call.path, call.key, call.query.company_id])).toEqual([["/api/v1/payments", b.apiKey, b.tenant.whopCompanyId]]);
    const audit = await db().select().from(auditLog).where(eq(auditLog.tenantId, b.tenant.id));
    expect(audit.map((entry) => entry.action)).toContain("order.reconciled");
  });
});

describe("acceptPaymentAction", () => {
  it("answers “That order does not exist.” to merchant A for B's order, and changes nothing", async () => {
    const a = await merchant();
    const b = await merchant();
    expect(b.differs).toMatchObject({ amountMismatch: true, amountAcceptedAt: null });
    const [beforeA, beforeB] = [await tenantSnapshot(a.tenant.id), await tenantSnapshot(b.tenant.id)];

    signInAs(a);
    const result = await acceptPaymentAction(NO_PREVIOUS_STATE, form({ orderId: b.differs.id, tenantId: b.tenant.id }));

    expect(result.error).toBe("That order does not exist.");
    expect(result.success).toBeUndefined();
    expect(whopCalls).toEqual([]);
    expect(await orderRow(b.differs.id)).toMatchObject({ amountAcceptedAt: null, amountAcceptedBy: null });
    expect(await tenantSnapshot(b.tenant.id)).toBe(beforeB);
    expect(await tenantSnapshot(a.tenant.id)).toBe(beforeA);
  });

  it("accepts the differing payment for its owner, once, with an audit entry", async () => {
    const b = await merchant();
    signInAs(b);
    const result = await acceptPaymentAction(NO_PREVIOUS_STATE, form({ orderId: b.differs.id }));

    expect(result).toEqual({ success: "Payment accepted: the order now grants access." });
    const accepted = await orderRow(b.differs.id);
    expect(accepted.amountAcceptedAt).toBeInstanceOf(Date);
    expect(accepted.amountAcceptedBy).toBe(b.user.id);
    const audit = await db().select().from(auditLog).where(eq(auditLog.tenantId, b.tenant.id));
    expect(audit.filter((entry) => entry.action === "order.payment_accepted").map((entry) => entry.detail.orderId)).toEqual([b.differs.id]);

    expect(await acceptPaymentAction(NO_PREVIOUS_STATE, form({ orderId: b.differs.id }))).toEqual({ success: "This payment was already accepted." });
    expect((await orderRow(b.differs.id)).amountAcceptedAt).toEqual(accepted.amountAcceptedAt);
    expect(whopCalls).toEqual([]);
  });
});

describe("subscriptionAction", () => {
  it("answers “That order does not exist.” to merchant A for B's subscription, calls Whop for nothing and changes nothing", async () => {
    const a = await merchant();
    const b = await merchant();
    const [beforeA, beforeB] = [await tenantSnapshot(a.tenant.id), await tenantSnapshot(b.tenant.id)];
    signInAs(a);
    for (const action of ["cancel_at_period_end", "cancel_now", "resume"]) {
      const result = await subscriptionAction(NO_PREVIOUS_STATE, form({ orderId: b.subscription.id, action, tenantId: b.tenant.id }));
      expect(result.error).toBe("That order does not exist.");
    }
    expect(whopCalls).toEqual([]);
    expect(await orderRow(b.subscription.id)).toMatchObject({ subscriptionAction: null, subscriptionState: "active" });
    expect(await tenantSnapshot(b.tenant.id)).toBe(beforeB);
    expect(await tenantSnapshot(a.tenant.id)).toBe(beforeA);
  });
});

describe("Whop integration actions act on the session's own tenant only", () => {
  it("saveWebhookSecretAction stores the secret on A, never on the tenant the form names", async () => {
    const a = await merchant();
    const b = await merchant();
    const beforeB = await tenantSnapshot(b.tenant.id);
    const secret = `ws_${randomBase62(40)}`;

    signInAs(a);
    const result = await saveWebhookSecretAction(NO_PREVIOUS_STATE, form({ webhookSecret: secret, tenantId: b.tenant.id }));

    expect(result.success).toContain(secret.slice(-4));
    expect(webhookSecretsForVerification(await reload(a.tenant))).toEqual([secret]);
    expect(await tenantSnapshot(b.tenant.id)).toBe(beforeB);
  });

  it("createWebhookAction registers A's URL for A's company with A's key and stores the secret on A only", async () => {
    const a = await merchant();
    const b = await merchant();
    const beforeB = await tenantSnapshot(b.tenant.id);

    signInAs(a);
    const result = await createWebhookAction(NO_PREVIOUS_STATE, form({ tenantId: b.tenant.id }));

    expect(result.success).toMatch(/^Webhook hook_/);
    expect(whopCalls).toHaveLength(1);
    expect(whopCalls[0]).toMatchObject({ path: "/api/v1/webhooks", key: a.apiKey, body: { url: webhookUrl(a.tenant), resource_id: a.tenant.whopCompanyId } });
    expect((await reload(a.tenant)).whopWebhookId).toMatch(/^hook_/);
    expect(await tenantSnapshot(b.tenant.id)).toBe(beforeB);
  });

  it("updateWebhookEventsAction patches A's webhook with A's key, whatever tenant the form names, and audits on A only", async () => {
    const a = await merchant();
    const b = await merchant();
    await db().update(tenants).set({ whopWebhookId: "hook_OfTenantA0001" }).where(eq(tenants.id, a.tenant.id));
    await db().update(tenants).set({ whopWebhookId: "hook_OfTenantB0001" }).where(eq(tenants.id, b.tenant.id));
    const beforeB = await tenantSnapshot(b.tenant.id);

    signInAs(a);
    const result = await updateWebhookEventsAction(NO_PREVIOUS_STATE, form({ tenantId: b.tenant.id, webhookId: "hook_OfTenantB0001" }));

    expect(result.success).toMatch(/^Webhook hook_OfTenantA0001 updated in Whop/);
    expect(whopCalls.map((call) => [call.method, call.path, call.key])).toEqual([
      ["GET", "/api/v1/webhooks/hook_OfTenantA0001", a.apiKey],
      ["PATCH", "/api/v1/webhooks/hook_OfTenantA0001", a.apiKey],
    ]);
    expect((await reload(a.tenant)).whopWebhookEvents).toEqual(expect.arrayContaining(["refund.updated", "dispute.updated"]));
    expect(await tenantSnapshot(b.tenant.id)).toBe(beforeB);
  });

  it("replaceKeyAction replaces A's key only, whatever tenant the form names", async () => {
    const a = await merchant();
    const b = await merchant();
    const beforeB = await tenantSnapshot(b.tenant.id);
    const newKey = `apik_${randomBase62(30)}`;
    companies.set(newKey, { id: a.tenant.whopCompanyId!, title: "Fixture Co" });

    await signInRecently(a);
    const result = await replaceKeyAction(NO_PREVIOUS_STATE, form({ apiKey: newKey, tenantId: b.tenant.id }));

    expect(result.success).toContain("Key replaced");
    expect((await reload(a.tenant)).whopApiKeyHint).toBe(newKey.slice(-4));
    expect(await tenantSnapshot(b.tenant.id)).toBe(beforeB);
  });

  it("replaceKeyAction refuses a key of B's Whop company for A, and neither tenant changes", async () => {
    const a = await merchant();
    const b = await merchant();
    const [beforeA, beforeB] = [await tenantSnapshot(a.tenant.id), await tenantSnapshot(b.tenant.id)];

    await signInRecently(a);
    const result = await replaceKeyAction(NO_PREVIOUS_STATE, form({ apiKey: b.apiKey }));

    expect(result.fieldErrors?.apiKey).toContain("belongs to a different Whop company");
    // The key's own company is not named to whoever pasted it.
    expect(result.fieldErrors?.apiKey).not.toContain(b.tenant.whopCompanyId!);
    expect(await tenantSnapshot(a.tenant.id)).toBe(beforeA);
    expect(await tenantSnapshot(b.tenant.id)).toBe(beforeB);
  });
});

describe("onboarding connectAction", () => {
  it("connects the signed-in merchant's own tenant, whatever tenant the form names", async () => {
    const fresh = await unconnectedMerchant();
    const b = await merchant();
    const beforeB = await tenantSnapshot(b.tenant.id);
    const key = `apik_${randomBase62(30)}`;
    const companyId = `biz_${randomBase62(14)}`;
    companies.set(key, { id: companyId, title: "Fresh Co" });

    signInAs(fresh);
    const result = await connectAction(NO_PREVIOUS_STATE, form({ apiKey: key, tenantId: b.tenant.id }));

    expect(result).toEqual({ success: `Connected to Fresh Co (${companyId}).` });
    expect(await reload(fresh.tenant)).toMatchObject({ whopCompanyId: companyId, whopApiKeyHint: key.slice(-4) });
    expect(await tenantSnapshot(b.tenant.id)).toBe(beforeB);
  });

  it("sends an already connected merchant to the dashboard without calling Whop or changing the key", async () => {
    const a = await merchant();
    const beforeA = await tenantSnapshot(a.tenant.id);
    const key = `apik_${randomBase62(30)}`;
    companies.set(key, { id: `biz_${randomBase62(14)}`, title: "Another Co" });

    signInAs(a);
    await expectRedirect(() => connectAction(NO_PREVIOUS_STATE, form({ apiKey: key })), "/dashboard");

    expect(whopCalls).toEqual([]);
    expect(await tenantSnapshot(a.tenant.id)).toBe(beforeA);
  });
});

describe("signed out", () => {
  it("every action redirects to /login before touching data or calling Whop", async () => {
    const b = await merchant();
    const newKey = `apik_${randomBase62(30)}`;
    companies.set(newKey, { id: b.tenant.whopCompanyId!, title: "Fixture Co" });
    const before = await tenantSnapshot(b.tenant.id);
    signOut();

    await expectRedirect(() => createItemAction(NO_PREVIOUS_STATE, form(itemFields())), "/login");
    await expectRedirect(() => updateItemAction(NO_PREVIOUS_STATE, form({ ...itemFields(), itemId: b.item.id })), "/login");
    await expectRedirect(() => setItemActiveAction(form({ itemId: b.item.id, active: "false" })), "/login");
    await expectRedirect(() => reconcileOrderAction(NO_PREVIOUS_STATE, form({ orderId: b.order.id })), "/login");
    await expectRedirect(() => acceptPaymentAction(NO_PREVIOUS_STATE, form({ orderId: b.differs.id })), "/login");
    await expectRedirect(() => subscriptionAction(NO_PREVIOUS_STATE, form({ orderId: b.subscription.id, action: "cancel_now" })), "/login");
    await expectRedirect(() => saveWebhookSecretAction(NO_PREVIOUS_STATE, form({ webhookSecret: `ws_${randomBase62(40)}` })), "/login");
    await expectRedirect(() => createWebhookAction(NO_PREVIOUS_STATE, form({})), "/login");
    await expectRedirect(() => updateWebhookEventsAction(NO_PREVIOUS_STATE, form({})), "/login");
    await expectRedirect(() => replaceKeyAction(NO_PREVIOUS_STATE, form({ apiKey: newKey })), "/login");
    await expectRedirect(() => connectAction(NO_PREVIOUS_STATE, form({ apiKey: newKey })), "/login");

    expect(whopCalls).toEqual([]);
    expect(await tenantSnapshot(b.tenant.id)).toBe(before);
  });
});
