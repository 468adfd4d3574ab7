import { eq } from "drizzle-orm";
import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { GET, HEAD } from "@/app/pay/[slug]/route";
import { db } from "@/db/client";
import { orders, tenants } from "@/db/schema";
import { env } from "@/lib/env";
import { withTestDatabase } from "../db";
import { connectedMerchant, fixtureItem, startOfAFreshMinuteWindow } from "../fixtures";

/** The buyer's browser as the route reads it through next/headers. */
const browser = vi.hoisted(() => ({ cookie: undefined as string | undefined, set: [] as { name: string; value: string; options: Record<string, unknown> }[], ip: "198.51.100.1" }));
vi.mock("next/headers", () => ({
  cookies: async () => ({
    get: (name: string) => (name === "whop_connector_checkout" && browser.cookie ? { name, value: browser.cookie } : undefined),
    set: (name: string, value: string, options: Record<string, unknown>) => browser.set.push({ name, value, options }),
  }),
  headers: async () => new Headers({ "x-forwarded-for": browser.ip }),
}));

withTestDatabase();

const CHECKOUTS = `${env().whopApiOrigin}/api/v1/checkout_configurations`;
const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterEach(() => {
  server.resetHandlers();
  browser.cookie = undefined;
  browser.set = [];
  browser.ip = `198.51.100.${Math.floor(Math.random() * 250)}`;
});
afterAll(() => server.close());

const open = (slug: string) => GET(new Request(`http://localhost/pay/${slug}`), { params: Promise.resolve({ slug }) });
const whopAnswers = (status: number, body: Record<string, unknown>) => server.use(http.post(CHECKOUTS, () => HttpResponse.json(body, { status })));

async function linkOf(overrides = {}) {
  const { tenant } = await connectedMerchant();
  return { tenant, item: await fixtureItem(tenant, overrides) };
}

async function onlyOrder(tenantId: string) {
  const rows = await db().select().from(orders).where(eq(orders.tenantId, tenantId));
  expect(rows).toHaveLength(1);
  return rows[0]!;
}

describe("GET /pay/[slug]: what the buyer's browser gets", () => {
  it("303 to Whop's purchase_url, with the checkout cookie set for /pay", async () => {
    whopAnswers(200, { id: "ch_AbCdEfGh1234567", purchase_url: "https://whop.com/checkout/plan_X/?session=ch_AbCdEfGh1234567", plan: { id: "plan_X" } });
    const { item } = await linkOf();
    const response = await open(item.slug);
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("https://whop.com/checkout/plan_X/?session=ch_AbCdEfGh1234567");
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(browser.set).toEqual([{ name: "whop_connector_checkout", value: expect.stringMatching(/^[A-Za-z0-9_-]{24}$/), options: expect.objectContaining({ httpOnly: true, sameSite: "lax", path: "/pay" }) }]);
  });

  it("404 for an unknown or malformed slug, 410 for a deactivated item, and HEAD never creates an order", async () => {
    const { tenant, item } = await linkOf({ active: false });
    expect((await open("ZZZZZZZZZZZZZZZZ")).status).toBe(404);
    expect((await open("../../etc/passwd")).status).toBe(404);
    const gone = await open(item.slug);
    expect(gone.status).toBe(410);
    expect(await gone.text()).toContain("is no longer available");
    expect((await HEAD(new Request("http://localhost"), { params: Promise.resolve({ slug: item.slug }) })).status).toBe(200);
    expect(await db().$count(orders, eq(orders.tenantId, tenant.id))).toBe(0);
  });

  it("503 with a friendly page when the merchant's key is rejected; the order is failed", async () => {
    whopAnswers(401, { error: { type: "unauthorized", message: "Invalid API key" } });
    const { tenant, item } = await linkOf();
    const response = await open(item.slug);
    expect(response.status).toBe(503);
    const page = await response.text();
    expect(page).toContain("Checkout is temporarily unavailable");
    expect(page).not.toMatch(/at .*\.ts:\d+|Error:|apik_/);
    expect(await onlyOrder(tenant.id)).toMatchObject({ status: "failed", failureReason: expect.any(String) });
  });

  it("503 with Retry-After when Whop rate-limits", async () => {
    whopAnswers(429, { error: { type: "rate_limited", message: "Try again in 42 seconds." } });
    const { tenant, item } = await linkOf();
    const response = await open(item.slug);
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("42");
    expect(await onlyOrder(tenant.id)).toMatchObject({ status: "failed", failureReason: expect.any(String) });
  });

  it("502 when Whop keeps failing after the retry", async () => {
    whopAnswers(500, { error: { type: "internal_error", message: "boom" } });
    const { tenant, item } = await linkOf();
    const response = await open(item.slug);
    expect(response.status).toBe(502);
    expect(await response.text()).toContain("Nothing was charged");
    expect(await onlyOrder(tenant.id)).toMatchObject({ status: "failed", failureReason: expect.any(String) });
  });

  it("503 when the merchant is not connected, creating no order", async () => {
    const { tenant, item } = await linkOf();
    await db().update(tenants).set({ whopApiKeyCiphertext: null, whopCompanyId: null }).where(eq(tenants.id, tenant.id));
    expect((await open(item.slug)).status).toBe(503);
    expect(await db().$count(orders, eq(orders.tenantId, tenant.id))).toBe(0);
  });

  it("429 with Retry-After once one IP passes its limit", async () => {
    whopAnswers(200, { id: "ch_AbCdEfGh1234567", purchase_url: "https://whop.com/checkout/plan_X/?session=ch_AbCdEfGh1234567", plan: { id: "plan_X" } });
    const { item } = await linkOf();
    browser.ip = `203.0.113.${Math.floor(Math.random() * 250)}`;
    browser.cookie = "AAAAAAAAAAAAAAAAAAAAAAAA";
    await startOfAFreshMinuteWindow();
    let last: Response | undefined;
    for (let i = 0; i < 31; i++) last = await open(item.slug);
    expect(last!.status).toBe(429);
    expect(Number(last!.headers.get("retry-after"))).toBeGreaterThan(0);
  });
});
