import { eq } from "drizzle-orm";
import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/db/client";
import { orders } from "@/db/schema";
import { createBuyerCheckout } from "@/lib/checkout/create-buyer-checkout";
import { env } from "@/lib/env";
import { randomBase62 } from "@/lib/ids";
import { itemFormSchema, updateItem } from "@/lib/items/items";
import { withTestDatabase } from "../db";
import { connectedMerchant, fixtureItem } from "../fixtures";

withTestDatabase();

/** A buyer address of this run's own: the per-IP limit counts in Postgres, shared by test files and runs within a minute. */
const buyerIp = `203.0.113.10-${randomBase62(6)}`;
const CHECKOUTS = `${env().whopApiOrigin}/api/v1/checkout_configurations`;
const bodies: Record<string, unknown>[] = [];
const server = setupServer(
  http.post(CHECKOUTS, async ({ request }) => {
    bodies.push((await request.json()) as Record<string, unknown>);
    return HttpResponse.json({ id: `ch_${randomBase62(15)}`, mode: "payment", purchase_url: "https://whop.com/checkout/plan_AbCdEfGh12345/?session=ch_x", plan: { id: "plan_AbCdEfGh12345" } });
  }),
);
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterEach(() => {
  bodies.length = 0;
});
afterAll(() => server.close());

describe("a recurring item's checkout", () => {
  it("is one Whop call with an inline renewal plan: billing period, renewal price, initial price 0, the trial and the order id in the plan's metadata", async () => {
    const { tenant } = await connectedMerchant();
    const item = await fixtureItem(tenant, { title: "Monthly club", priceMinor: 2999, billingPeriodDays: 30, trialPeriodDays: 7 });
    const result = await createBuyerCheckout({ slug: item.slug, attemptId: randomBase62(24), ip: buyerIp });
    if (result.kind !== "redirect") throw new Error(result.kind);

    expect(bodies).toHaveLength(1);
    const metadata = { order_id: result.orderId, tenant_id: tenant.id, item_id: item.id };
    expect(bodies[0]).toEqual({
      plan: {
        currency: "usd",
        plan_type: "renewal",
        initial_price: 0,
        renewal_price: 29.99,
        billing_period: 30,
        trial_period_days: 7,
        title: "Monthly club",
        description: "Forty Figma templates",
        visibility: "hidden",
        product_id: item.whopProductId,
        metadata,
        force_create_new_plan: true,
      },
      metadata,
      redirect_url: `${env().appUrl}/pay/${item.slug}/done?order=${result.orderId}`,
    });
    const [order] = await db().select().from(orders).where(eq(orders.id, result.orderId));
    expect(order).toMatchObject({ amountMinor: 2999, billingPeriodDays: 30, trialPeriodDays: 7, subscriptionState: null });
  });

  it("sends no trial_period_days without a trial, and a one-time item stays a one_time plan", async () => {
    const { tenant } = await connectedMerchant();
    const yearly = await fixtureItem(tenant, { priceMinor: 12000, billingPeriodDays: 365 });
    const once = await fixtureItem(tenant, { priceMinor: 500 });
    await createBuyerCheckout({ slug: yearly.slug, attemptId: randomBase62(24), ip: buyerIp });
    await createBuyerCheckout({ slug: once.slug, attemptId: randomBase62(24), ip: buyerIp });
    const plans = bodies.map((body) => body.plan as Record<string, unknown>);
    expect(plans[0]).toMatchObject({ plan_type: "renewal", billing_period: 365, renewal_price: 120, initial_price: 0 });
    expect(plans[0]).not.toHaveProperty("trial_period_days");
    expect(plans[1]).toMatchObject({ plan_type: "one_time", initial_price: 5 });
    expect(Object.keys(plans[1]!).filter((key) => ["renewal_price", "billing_period", "trial_period_days", "metadata"].includes(key))).toEqual([]);
  });

  it("editing the item's price or billing changes later checkouts, never an order already made", async () => {
    const { tenant, actor } = await connectedMerchant();
    const item = await fixtureItem(tenant, { priceMinor: 1000, billingPeriodDays: 30 });
    const attemptId = randomBase62(24);
    const first = await createBuyerCheckout({ slug: item.slug, attemptId, ip: buyerIp });
    if (first.kind !== "redirect") throw new Error(first.kind);
    const edited = await updateItem({ ...actor }, item.id, itemFormSchema.parse({ title: item.title, price: "15.00", currency: "usd", billing: "yearly" }));
    expect(edited.ok).toBe(true);

    // The same browser again: the terms changed, so a new checkout on the new terms, not the old one reused.
    const second = await createBuyerCheckout({ slug: item.slug, attemptId, ip: buyerIp });
    if (second.kind !== "redirect") throw new Error(second.kind);
    expect(second.reused).toBe(false);
    expect((bodies[1]!.plan as Record<string, unknown>)).toMatchObject({ renewal_price: 15, billing_period: 365 });
    const [kept] = await db().select().from(orders).where(eq(orders.id, first.orderId));
    expect(kept).toMatchObject({ amountMinor: 1000, billingPeriodDays: 30 });
  });
});
