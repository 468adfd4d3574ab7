import { eq } from "drizzle-orm";
import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { GET as openCheckoutLink } from "@/app/pay/[slug]/route";
import CheckoutDonePage from "@/app/pay/[slug]/done/page";
import { db } from "@/db/client";
import { ledgerDisputes, ledgerPayments, ledgerRefunds, orders, webhookEvents, type Order, type Tenant } from "@/db/schema";
import { env } from "@/lib/env";
import { randomBase62 } from "@/lib/ids";
import { NO_MATCHING_ORDER } from "@/lib/ledger/apply";
import { newLicenseKey, sealLicenseKey } from "@/lib/licenses/keys";
import { withTestDatabase } from "../db";
import { connectedMerchant, fixtureItem, fixtureLedger, fixtureOrder, signStandard, withWebhookSecret } from "../fixtures";
import { expectNotFound, html } from "./next-errors";
import { tenantSnapshot } from "./snapshot";
import { postToWebhookRoute } from "../webhook-route";

/** The buyer's browser as the checkout route reads it: the attempt cookie and the request headers. */
const browser = vi.hoisted(() => ({ attemptCookie: undefined as string | undefined }));
vi.mock("next/headers", () => ({
  cookies: async () => ({
    get: (name: string) => (name === "whop_connector_checkout" && browser.attemptCookie ? { name, value: browser.attemptCookie } : undefined),
    set: () => undefined,
  }),
  headers: async () => new Headers({ "x-forwarded-for": `198.51.100.${Math.floor(Math.random() * 250)}` }),
}));

withTestDatabase();

/*
 * The routes a buyer and Whop reach without a session, where the tenant comes from the URL (an
 * item's slug, the webhook URL's public id): what one merchant's link or endpoint receives never
 * shows or changes another merchant's orders.
 */

const ORIGIN = env().whopApiOrigin;
const checkoutCalls: { key: string | undefined; body: { metadata?: Record<string, unknown> } }[] = [];
const server = setupServer(
  http.post(`${ORIGIN}/api/v1/checkout_configurations`, async ({ request }) => {
    checkoutCalls.push({ key: request.headers.get("authorization")?.replace(/^Bearer /, ""), body: (await request.json()) as { metadata?: Record<string, unknown> } });
    const checkout = `ch_${randomBase62(15)}`;
    return HttpResponse.json({ id: checkout, purchase_url: `https://whop.com/checkout/plan_x/?session=${checkout}`, plan: { id: `plan_${randomBase62(13)}` } });
  }),
);
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterEach(() => {
  server.resetHandlers();
  checkoutCalls.length = 0;
  browser.attemptCookie = undefined;
});
afterAll(() => server.close());

async function merchant() {
  const m = await connectedMerchant();
  const { tenant, secret } = await withWebhookSecret(m.tenant);
  const item = await fixtureItem(tenant, { title: `Item ${randomBase62(10)}` });
  return { ...m, tenant, secret, item };
}

const orderRow = async (id: string) => (await db().select().from(orders).where(eq(orders.id, id)))[0]!;

describe("/pay/[slug]/done", () => {
  const donePage = (slug: string, order: string) => CheckoutDonePage({ params: Promise.resolve({ slug }), searchParams: Promise.resolve({ order }) });

  it("shows an order only under its own item's link", async () => {
    const a = await merchant();
    const b = await merchant();
    const otherItemOfB = await fixtureItem(b.tenant, { title: "Another item of B" });
    const order = await fixtureOrder(b.tenant, b.item, { status: "paid" });

    const page = html(await donePage(b.item.slug, order.id));
    expect(page).toContain(b.item.title);
    expect(page).toContain("Payment received");

    await expectNotFound(() => donePage(a.item.slug, order.id));
    await expectNotFound(() => donePage(otherItemOfB.slug, order.id));
    await expectNotFound(() => donePage(b.item.slug, `ord_${randomBase62(20)}`));
    await expectNotFound(() => donePage(b.item.slug, "not-an-order-id"));
  });

  it("shows the license key only to the browser that bought, once the order grants access", async () => {
    const m = await merchant();
    const key = newLicenseKey();
    const pending = await fixtureOrder(m.tenant, m.item);
    const { order } = await fixtureLedger(m.tenant, pending, { payments: [{}] });
    await db().update(orders).set(sealLicenseKey(m.tenant.id, order.id, key)).where(eq(orders.id, order.id));

    browser.attemptCookie = order.attemptId;
    expect(html(await donePage(m.item.slug, order.id))).toContain(key);
    browser.attemptCookie = randomBase62(24);
    const elsewhere = html(await donePage(m.item.slug, order.id));
    expect(elsewhere).toContain("Payment received");
    expect(elsewhere).not.toContain(key);
    expect(elsewhere).not.toContain("Your license key");
    browser.attemptCookie = undefined;
    expect(html(await donePage(m.item.slug, order.id))).not.toContain(key);

    // Refunded: no access, so no key even for the buyer's browser.
    await db().update(orders).set({ status: "refunded", refundedMinor: order.amountMinor }).where(eq(orders.id, order.id));
    browser.attemptCookie = order.attemptId;
    expect(html(await donePage(m.item.slug, order.id))).not.toContain(key);
  });
});

describe("GET /pay/[slug]", () => {
  it("never hands a browser another merchant's pending checkout, even with that order's attempt cookie", async () => {
    const a = await merchant();
    const b = await merchant();
    const attemptId = randomBase62(24);
    const bPending = await fixtureOrder(b.tenant, b.item, { attemptId, purchaseUrl: `https://whop.com/checkout/plan_b/?session=ch_${randomBase62(15)}` });
    const beforeB = await tenantSnapshot(b.tenant.id);
    browser.attemptCookie = attemptId;

    const response = await openCheckoutLink(new Request(`http://localhost/pay/${a.item.slug}`), { params: Promise.resolve({ slug: a.item.slug }) });

    expect(response.status).toBe(303);
    expect(response.headers.get("location")).not.toBe(bPending.purchaseUrl);
    expect(checkoutCalls).toHaveLength(1);
    expect(checkoutCalls[0]!.key).toBe(a.apiKey);
    expect(checkoutCalls[0]!.body.metadata).toMatchObject({ tenant_id: a.tenant.id });
    const created = await db().select().from(orders).where(eq(orders.tenantId, a.tenant.id));
    expect(created.map((order) => [order.itemId, order.attemptId])).toEqual([[a.item.id, attemptId]]);
    expect(await tenantSnapshot(b.tenant.id)).toBe(beforeB);

    // The same browser on B's own link does reuse B's checkout, without calling Whop.
    const own = await openCheckoutLink(new Request(`http://localhost/pay/${b.item.slug}`), { params: Promise.resolve({ slug: b.item.slug }) });
    expect(own.headers.get("location")).toBe(bPending.purchaseUrl);
    expect(checkoutCalls).toHaveLength(1);
  });
});

describe("POST /api/webhooks/whop/[tenantId]", () => {
  function deliver(tenant: Pick<Tenant, "publicId">, secret: string, body: string) {
    const request = new Request(`http://localhost/api/webhooks/whop/${tenant.publicId}`, {
      method: "POST",
      body,
      headers: { "content-type": "application/json", ...signStandard(secret, body) },
    });
    return postToWebhookRoute(request, tenant.publicId);
  }

  const event = (type: string, data: Record<string, unknown>) =>
    JSON.stringify({ id: `msg_${randomBase62(24)}`, api_version: "v1", timestamp: new Date().toISOString(), type, data });

  /** Everything Whop could say about one of B's orders, naming it every way an event can. */
  function eventsAbout(order: Order) {
    const membershipId = order.whopMembershipId ?? `mem_${randomBase62(14)}`;
    const payment = {
      id: order.whopPaymentId ?? `pay_${randomBase62(14)}`,
      status: "paid",
      substatus: "succeeded",
      total: order.amountMinor / 100,
      refunded_amount: 0,
      currency: order.currency,
      checkout_configuration_id: order.whopCheckoutId,
      plan: { id: order.whopPlanId },
      membership: { id: membershipId },
      user: { id: "user_Buyer0000001", email: "intruder@example.com" },
      metadata: { order_id: order.id, tenant_id: order.tenantId },
    };
    return [
      event("payment.succeeded", payment),
      event("payment.failed", { ...payment, status: "open", substatus: "failed" }),
      event("refund.created", { id: `rfnd_${randomBase62(8)}`, amount: 1, currency: order.currency, status: "succeeded", payment: { ...payment, substatus: "partially_refunded", refunded_amount: 1 } }),
      event("dispute.created", { id: `dspt_${randomBase62(8)}`, payment }),
      event("membership.deactivated", { id: membershipId, status: "expired", metadata: { order_id: order.id } }),
    ];
  }

  it("events about B's orders delivered to A's endpoint change none of B's orders or ledger and are recorded as A's, matching none of A's orders", async () => {
    const a = await merchant();
    const b = await merchant();
    const pending = await fixtureOrder(b.tenant, b.item);
    const paid = await fixtureOrder(b.tenant, b.item, {
      status: "paid",
      paidMinor: b.item.priceMinor,
      paidCurrency: b.item.currency,
      paidAt: new Date(),
      whopPaymentId: `pay_${randomBase62(14)}`,
      whopMembershipId: `mem_${randomBase62(14)}`,
      membershipValid: true,
    });
    const beforeB = await tenantSnapshot(b.tenant.id);

    const bodies = [...eventsAbout(pending), ...eventsAbout(paid)];
    for (const body of bodies) expect((await deliver(a.tenant, a.secret, body)).status).toBe(200);

    expect(await tenantSnapshot(b.tenant.id)).toBe(beforeB);
    const recorded = await db().select().from(webhookEvents).where(eq(webhookEvents.tenantId, a.tenant.id));
    expect(recorded).toHaveLength(bodies.length);
    expect(recorded.every((e) => e.orderId === null)).toBe(true);
    // Payments and memberships match none of A's orders; a refund or dispute waits in A's own
    // ledger, linked to no order, for a payment of A's that never comes.
    for (const e of recorded) {
      if (e.eventType.startsWith("payment.") || e.eventType.startsWith("membership.")) expect([e.eventType, e.result, e.detail]).toEqual([e.eventType, "ignored", NO_MATCHING_ORDER]);
      else expect([e.eventType, e.result, e.detail]).toEqual([e.eventType, "applied", expect.stringMatching(/matches no order yet/)]);
    }
    expect(await db().$count(ledgerPayments, eq(ledgerPayments.tenantId, a.tenant.id))).toBe(0);
    const waiting = [
      ...(await db().select().from(ledgerRefunds).where(eq(ledgerRefunds.tenantId, a.tenant.id))),
      ...(await db().select().from(ledgerDisputes).where(eq(ledgerDisputes.tenantId, a.tenant.id))),
    ];
    expect(waiting).toHaveLength(4);
    expect(waiting.every((row) => row.orderId === null)).toBe(true);

    // Delivered to B's own endpoint, the same kind of event does apply.
    const [succeeded] = eventsAbout(pending);
    expect((await deliver(b.tenant, b.secret, succeeded!)).status).toBe(200);
    expect((await orderRow(pending.id)).status).toBe("paid");
    const bPayments = await db().select().from(ledgerPayments).where(eq(ledgerPayments.tenantId, b.tenant.id));
    expect(bPayments.map((p) => [p.orderId, p.status])).toEqual([[pending.id, "succeeded"]]);
  });
});
