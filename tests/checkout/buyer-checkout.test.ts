import { and, eq } from "drizzle-orm";
import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/db/client";
import { orders, problems, rateLimitBuckets, tenants } from "@/db/schema";
import { createBuyerCheckout, CHECKOUTS_PER_MINUTE_PER_TENANT, CHECKOUT_VISITS_PER_MINUTE_PER_IP } from "@/lib/checkout/create-buyer-checkout";
import { env } from "@/lib/env";
import { randomBase62 } from "@/lib/ids";
import { withTestDatabase } from "../db";
import { connectedMerchant, fixtureItem, startOfAFreshMinuteWindow } from "../fixtures";

withTestDatabase();

const ORIGIN = env().whopApiOrigin;
const CHECKOUTS = `${ORIGIN}/api/v1/checkout_configurations`;
const calls: { body: Record<string, unknown>; headers: Headers }[] = [];

function checkoutCreated(purchaseUrl = "https://whop.com/checkout/plan_AbCdEfGh12345/?session=ch_AbCdEfGh1234567") {
  return http.post(CHECKOUTS, async ({ request }) => {
    calls.push({ body: (await request.json()) as Record<string, unknown>, headers: request.headers });
    return HttpResponse.json({ id: "ch_AbCdEfGh1234567", mode: "payment", purchase_url: purchaseUrl, plan: { id: "plan_AbCdEfGh12345" } });
  });
}

function checkoutFails(status: number, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  return http.post(CHECKOUTS, async ({ request }) => {
    calls.push({ body: (await request.json()) as Record<string, unknown>, headers: request.headers });
    return HttpResponse.json(body, { status, headers });
  });
}

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterEach(() => {
  server.resetHandlers();
  calls.length = 0;
});
afterAll(() => server.close());

const visit = (slug: string, attemptId = randomBase62(24), ip: string | null = `198.51.100.${Math.floor(Math.random() * 250)}`) =>
  createBuyerCheckout({ slug, attemptId, ip });

async function orderRow(id: string) {
  const [row] = await db().select().from(orders).where(eq(orders.id, id));
  return row!;
}

async function openProblemKinds(tenantId: string) {
  return (await db().select().from(problems).where(eq(problems.tenantId, tenantId))).filter((p) => !p.resolvedAt).map((p) => p.kind);
}

describe("GET /pay/[slug]: the buyer's checkout", () => {
  it("creates a pending order, then makes one Whop call with the exact body, and redirects to purchase_url", async () => {
    server.use(checkoutCreated());
    const { tenant, apiKey } = await connectedMerchant();
    const item = await fixtureItem(tenant, { title: "Premium template pack for creators and studios" });

    const result = await visit(item.slug);
    expect(result).toMatchObject({ kind: "redirect", url: "https://whop.com/checkout/plan_AbCdEfGh12345/?session=ch_AbCdEfGh1234567", reused: false });
    if (result.kind !== "redirect") return;

    expect(calls).toHaveLength(1);
    expect(calls[0]!.headers.get("idempotency-key")).toBe(result.orderId);
    expect(calls[0]!.headers.get("authorization")).toBe(`Bearer ${apiKey}`);
    expect(calls[0]!.body).toEqual({
      plan: {
        currency: "usd",
        plan_type: "one_time",
        initial_price: 29.99,
        title: "Premium template pack for crea",
        description: "Forty Figma templates",
        visibility: "hidden",
        product_id: item.whopProductId,
        force_create_new_plan: true,
      },
      metadata: { order_id: result.orderId, tenant_id: tenant.id, item_id: item.id },
      redirect_url: `${env().appUrl}/pay/${item.slug}/done?order=${result.orderId}`,
    });

    expect(await orderRow(result.orderId)).toMatchObject({
      tenantId: tenant.id,
      itemId: item.id,
      status: "pending",
      amountMinor: 2999,
      currency: "usd",
      whopCheckoutId: "ch_AbCdEfGh1234567",
      whopPlanId: "plan_AbCdEfGh12345",
      purchaseUrl: "https://whop.com/checkout/plan_AbCdEfGh12345/?session=ch_AbCdEfGh1234567",
    });
  });

  it("sends zero-decimal and three-decimal currencies as Whop's major units", async () => {
    server.use(checkoutCreated());
    const { tenant } = await connectedMerchant();
    await visit((await fixtureItem(tenant, { priceMinor: 1500, currency: "jpy" })).slug);
    await visit((await fixtureItem(tenant, { priceMinor: 9750, currency: "kwd" })).slug);
    expect(calls.map((c) => [(c.body.plan as Record<string, unknown>).initial_price, (c.body.plan as Record<string, unknown>).currency])).toEqual([
      [1500, "jpy"],
      [9.75, "kwd"],
    ]);
  });

  it("prefixes a relative purchase_url with https://whop.com", async () => {
    server.use(checkoutCreated("/checkout/plan_AbCdEfGh12345/?session=ch_AbCdEfGh1234567"));
    const { tenant } = await connectedMerchant();
    const result = await visit((await fixtureItem(tenant)).slug);
    expect(result).toMatchObject({ kind: "redirect", url: "https://whop.com/checkout/plan_AbCdEfGh12345/?session=ch_AbCdEfGh1234567" });
  });

  it("reuses the same browser's pending checkout within 30 minutes without calling Whop", async () => {
    server.use(checkoutCreated());
    const { tenant } = await connectedMerchant();
    const item = await fixtureItem(tenant);
    const attemptId = randomBase62(24);

    const first = await visit(item.slug, attemptId);
    const second = await visit(item.slug, attemptId);
    expect(second).toMatchObject({ kind: "redirect", reused: true, orderId: first.kind === "redirect" ? first.orderId : "" });
    expect(calls).toHaveLength(1);

    const otherBrowser = await visit(item.slug);
    expect(otherBrowser).toMatchObject({ kind: "redirect", reused: false });
    expect(calls).toHaveLength(2);
  });

  it("does not reuse an order older than 30 minutes, or one whose price changed", async () => {
    server.use(checkoutCreated());
    const { tenant } = await connectedMerchant();
    const item = await fixtureItem(tenant);
    const attemptId = randomBase62(24);
    const first = await visit(item.slug, attemptId);
    if (first.kind !== "redirect") throw new Error("expected a redirect");

    await db().update(orders).set({ createdAt: new Date(Date.now() - 31 * 60_000) }).where(eq(orders.id, first.orderId));
    expect(await visit(item.slug, attemptId)).toMatchObject({ kind: "redirect", reused: false });

    const { items } = await import("@/db/schema");
    await db().update(items).set({ priceMinor: 3999 }).where(eq(items.id, item.id));
    expect(await visit(item.slug, attemptId)).toMatchObject({ kind: "redirect", reused: false });
    expect(calls).toHaveLength(3);
    expect((calls[2]!.body.plan as Record<string, unknown>).initial_price).toBe(39.99);
  });

  it("answers not_found for an unknown slug and gone for a deactivated item, creating no order", async () => {
    const { tenant } = await connectedMerchant();
    const item = await fixtureItem(tenant, { active: false });
    expect(await visit("ZZZZZZZZZZZZZZZZ")).toEqual({ kind: "not_found" });
    expect(await visit(item.slug)).toEqual({ kind: "gone", title: item.title });
    expect(await db().$count(orders, eq(orders.tenantId, tenant.id))).toBe(0);
    expect(calls).toHaveLength(0);
  });

  it("refuses while the merchant is not connected, and tells the merchant", async () => {
    const { tenant } = await connectedMerchant();
    const item = await fixtureItem(tenant);
    await db().update(tenants).set({ whopApiKeyCiphertext: null, whopCompanyId: null }).where(eq(tenants.id, tenant.id));
    expect(await visit(item.slug)).toEqual({ kind: "merchant_unavailable" });
    expect(await openProblemKinds(tenant.id)).toEqual(["not_connected"]);
    expect(calls).toHaveLength(0);
  });

  it("on 401 marks the order failed with the reason, flags the key as rejected, and stops calling Whop", async () => {
    server.use(checkoutFails(401, { error: { type: "unauthorized", message: "Invalid API key" } }));
    const { tenant } = await connectedMerchant();
    const item = await fixtureItem(tenant);

    const result = await visit(item.slug);
    expect(result).toMatchObject({ kind: "merchant_unavailable" });
    expect(await orderRow((result as { orderId: string }).orderId)).toMatchObject({ status: "failed", failureReason: expect.stringMatching(/rejected your API key/) });
    const [stored] = await db().select().from(tenants).where(eq(tenants.id, tenant.id));
    expect(stored!.keyRejectedAt).toBeInstanceOf(Date);
    expect(await openProblemKinds(tenant.id)).toEqual(["key_rejected"]);

    expect(await visit(item.slug)).toEqual({ kind: "merchant_unavailable" });
    expect(calls).toHaveLength(1);
  });

  it("on 403 reports the missing permission to the merchant", async () => {
    server.use(checkoutFails(403, { error: { type: "forbidden", message: "Missing permission `plan:create`" } }));
    const { tenant } = await connectedMerchant();
    const result = await visit((await fixtureItem(tenant)).slug);
    expect(result).toMatchObject({ kind: "merchant_unavailable" });
    expect(await openProblemKinds(tenant.id)).toEqual(["key_permissions"]);
    const [problem] = await db().select().from(problems).where(and(eq(problems.tenantId, tenant.id), eq(problems.kind, "key_permissions")));
    expect(problem!.message).toContain("plan:create");
  });

  it("on Whop's 429 answers rate-limited with Retry-After and fails the order", async () => {
    server.use(checkoutFails(429, { error: { type: "rate_limited", message: "Try again in 30 seconds." } }));
    const { tenant } = await connectedMerchant();
    const result = await visit((await fixtureItem(tenant)).slug);
    expect(result).toMatchObject({ kind: "whop_rate_limited", retryAfterSeconds: 30 });
    expect(await orderRow((result as { orderId: string }).orderId)).toMatchObject({ status: "failed", failureReason: expect.any(String), paidMinor: null });
    expect(calls).toHaveLength(1);
  });

  it("on Whop's 500 retries once with the same Idempotency-Key, then fails the order and tells the merchant", async () => {
    server.use(checkoutFails(500, { error: { type: "internal_error", message: "boom" } }));
    const { tenant } = await connectedMerchant();
    const result = await visit((await fixtureItem(tenant)).slug);
    expect(result).toMatchObject({ kind: "whop_failed" });
    expect(calls).toHaveLength(2);
    expect(calls[0]!.headers.get("idempotency-key")).toBe(calls[1]!.headers.get("idempotency-key"));
    expect(await orderRow((result as { orderId: string }).orderId)).toMatchObject({ status: "failed", failureReason: expect.any(String), paidMinor: null });
    expect(await openProblemKinds(tenant.id)).toEqual(["checkout_failed"]);
  });

  it(`throttles one IP after ${CHECKOUT_VISITS_PER_MINUTE_PER_IP} visits a minute`, async () => {
    server.use(checkoutCreated());
    const { tenant } = await connectedMerchant();
    const item = await fixtureItem(tenant);
    const ip = `203.0.113.${Math.floor(Math.random() * 250)}-${randomBase62(4)}`;
    const attemptId = randomBase62(24);
    await startOfAFreshMinuteWindow();
    for (let i = 0; i < CHECKOUT_VISITS_PER_MINUTE_PER_IP; i++) expect((await visit(item.slug, attemptId, ip)).kind).toBe("redirect");
    expect(await visit(item.slug, attemptId, ip)).toMatchObject({ kind: "throttled", retryAfterSeconds: expect.any(Number) });
    expect(calls).toHaveLength(1);
  });

  it(`throttles a tenant at ${CHECKOUTS_PER_MINUTE_PER_TENANT} new checkouts a minute, before calling Whop`, async () => {
    server.use(checkoutCreated());
    const { tenant } = await connectedMerchant();
    const item = await fixtureItem(tenant);
    await startOfAFreshMinuteWindow();
    const windowStart = new Date(Math.floor(Date.now() / 60_000) * 60_000);
    await db().insert(rateLimitBuckets).values({ key: `checkout:tenant:${tenant.id}`, windowStart, count: CHECKOUTS_PER_MINUTE_PER_TENANT });
    expect(await visit(item.slug)).toMatchObject({ kind: "throttled" });
    expect(calls).toHaveLength(0);
    expect(await db().$count(orders, eq(orders.tenantId, tenant.id))).toBe(0);
  });
});
