import { describe, expect, it } from "vitest";
import { GET as openApiRoute } from "@/app/api/v1/openapi.json/route";
import { GET as getOrderRoute } from "@/app/api/v1/orders/[id]/route";
import { GET as listOrdersRoute } from "@/app/api/v1/orders/route";
import { createApiToken } from "@/lib/api/tokens";
import { randomBase62 } from "@/lib/ids";
import { ORDER_EVENT_TYPES } from "@/lib/outbound/events";
import { withTestDatabase } from "../db";
import { connectedMerchant, fixtureItem, fixtureLedger, fixtureOrder } from "../fixtures";

withTestDatabase();

/* The merchant API: orders carry their payments and a subscription object; the OpenAPI document says so. */

const BASE = "http://localhost:3000";
const get = async (route: (request: Request, context: { params: Promise<never> }) => Promise<Response>, url: string, token: string, params: Record<string, string> = {}) => {
  const response = await route(new Request(`${BASE}${url}`, { headers: { authorization: `Bearer ${token}` } }), { params: Promise.resolve(params as never) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> & { data: Record<string, unknown>[] } };
};

async function merchantWithOrders() {
  const m = await connectedMerchant();
  const token = await createApiToken(m.actor, "members area");
  if (!token.ok) throw new Error(token.message);
  const monthly = await fixtureItem(m.tenant, { priceMinor: 999, billingPeriodDays: 30, trialPeriodDays: 7 });
  const periodEnd = new Date(Date.now() + 20 * 86_400_000);
  const placed = await fixtureOrder(m.tenant, monthly, {
    billingPeriodDays: 30,
    trialPeriodDays: 7,
    whopMembershipId: `mem_${randomBase62(14)}`,
    membershipStatus: "active",
    membershipValid: true,
    membershipEventAt: new Date(Date.now() - 60_000),
    cancelAtPeriodEnd: true,
    currentPeriodEnd: periodEnd,
  });
  const { order: subscription, payments } = await fixtureLedger(m.tenant, placed, {
    payments: [
      { billingReason: "subscription_cycle", paidAt: new Date(Date.now() - 30 * 86_400_000) },
      { billingReason: "subscription_cycle", paidAt: new Date(Date.now() - 60_000) },
    ],
  });
  const once = await fixtureItem(m.tenant, { priceMinor: 500 });
  const { order: oneTime } = await fixtureLedger(m.tenant, await fixtureOrder(m.tenant, once), { payments: [{ billingReason: "one_time" }] });
  return { token: token.token, subscription, payments, oneTime, periodEnd };
}

describe("orders in the merchant API", () => {
  it("a subscription order carries its state, period, billing and every payment; a one-time order its one payment and no subscription", async () => {
    const m = await merchantWithOrders();
    expect(m.subscription.subscriptionState).toBe("canceling");
    const one = await get(getOrderRoute, `/api/v1/orders/${m.subscription.id}`, m.token, { id: m.subscription.id });
    expect(one.status).toBe(200);
    expect(one.body.subscription).toEqual({ state: "canceling", current_period_end: m.periodEnd.toISOString(), cancel_at_period_end: true, billing_period_days: 30, trial_period_days: 7 });
    expect(one.body.paid_minor).toBe(1998);
    expect(one.body.payments).toEqual(
      m.payments.map((p) => ({ id: p.id, status: "succeeded", amount_minor: 999, currency: "usd", billing_reason: "subscription_cycle", paid_at: p.paidAt!.toISOString() })),
    );

    const list = await get(listOrdersRoute, "/api/v1/orders", m.token);
    const oneTime = list.body.data.find((o) => o.id === m.oneTime.id)!;
    expect(oneTime.subscription).toBeNull();
    expect(oneTime.payments).toEqual([expect.objectContaining({ billing_reason: "one_time", status: "succeeded", amount_minor: 500 })]);
    expect((list.body.data.find((o) => o.id === m.subscription.id)!.payments as unknown[]).length).toBe(2);
  });

  it("the OpenAPI document describes every field an order, a payment and the access answer carry, and the subscription event types", async () => {
    const m = await merchantWithOrders();
    const document = (await openApiRoute().json()) as { components: { schemas: Record<string, { properties: Record<string, unknown>; required?: string[] }> } };
    const { Order, Payment, Access, Event } = document.components.schemas;
    const order = (await get(getOrderRoute, `/api/v1/orders/${m.subscription.id}`, m.token, { id: m.subscription.id })).body;
    expect(Object.keys(order).filter((key) => !(key in Order!.properties))).toEqual([]);
    expect(Object.keys((order.payments as Record<string, unknown>[])[0]!).sort()).toEqual(Object.keys(Payment!.properties).sort());
    expect(Access!.required).toContain("subscription");
    expect((Event!.properties.type as { enum: string[] }).enum).toEqual(expect.arrayContaining(["subscription.renewed", "subscription.past_due", "subscription.canceled", "subscription.resumed"]));
    expect(ORDER_EVENT_TYPES).toEqual(expect.arrayContaining(["subscription.trialing", "subscription.activated", "subscription.canceling"]));
  });
});
