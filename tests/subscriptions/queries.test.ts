import { describe, expect, it, vi } from "vitest";
import SubscriptionsPage from "@/app/dashboard/subscriptions/page";
import DashboardPage from "@/app/dashboard/page";
import OrdersPage from "@/app/dashboard/orders/page";
import type { Order, Tenant } from "@/db/schema";
import { randomBase62 } from "@/lib/ids";
import { renewalRevenueByCurrency, renewalsPerDay, subscriptionSummary } from "@/lib/overview/queries";
import { listSubscriptions } from "@/lib/subscriptions/queries";
import { withTestDatabase } from "../db";
import { connectedMerchant, fixtureItem, fixtureLedger, fixtureOrder } from "../fixtures";
import { html } from "../isolation/next-errors";
import { signInAs } from "../isolation/session";

vi.mock("@/lib/auth/session", () => import("../isolation/session"));
vi.mock("next/cache", () => ({ revalidatePath: vi.fn(), revalidateTag: vi.fn() }));

withTestDatabase();

async function subscriptionOf(tenant: Tenant, overrides: Partial<Order> & { priceMinor?: number; currency?: string } = {}) {
  const { priceMinor = 1000, currency = "usd", ...order } = overrides;
  const item = await fixtureItem(tenant, { priceMinor, currency, billingPeriodDays: order.billingPeriodDays ?? 30 });
  return fixtureOrder(tenant, item, { billingPeriodDays: 30, subscriptionState: "active", whopMembershipId: `mem_${randomBase62(14)}`, ...order });
}

describe("MRR, active subscribers and churn per currency", () => {
  it("normalises each billing period, counts active and canceling in MRR, trialing as a subscriber only, and ended ones as churn for 30 days", async () => {
    const { tenant } = await connectedMerchant();
    const other = await connectedMerchant();
    await subscriptionOf(tenant, { billingPeriodDays: 7, priceMinor: 1200 }); // 5200 a month
    await subscriptionOf(tenant, { billingPeriodDays: 30, priceMinor: 999 });
    await subscriptionOf(tenant, { billingPeriodDays: 90, priceMinor: 3000, subscriptionState: "canceling", cancelAtPeriodEnd: true }); // 1000
    await subscriptionOf(tenant, { billingPeriodDays: 365, priceMinor: 12000 }); // 1000
    await subscriptionOf(tenant, { priceMinor: 5000, subscriptionState: "trialing" });
    await subscriptionOf(tenant, { priceMinor: 5000, subscriptionState: "past_due" });
    await subscriptionOf(tenant, { priceMinor: 5000, subscriptionState: "canceled", subscriptionEndedAt: new Date(Date.now() - 5 * 86_400_000) });
    await subscriptionOf(tenant, { priceMinor: 5000, subscriptionState: "expired", subscriptionEndedAt: new Date(Date.now() - 40 * 86_400_000) });
    await subscriptionOf(tenant, { priceMinor: 1500, currency: "jpy" });
    await subscriptionOf(other.tenant, { priceMinor: 99999 });
    // A one-time order is no subscription, whatever its columns say.
    const once = await fixtureItem(tenant, { priceMinor: 7777 });
    await fixtureOrder(tenant, once, { status: "paid" });

    expect(await subscriptionSummary(tenant.id)).toEqual([
      { currency: "jpy", mrrMinor: 1500, subscribers: 1, churned30d: 0 },
      { currency: "usd", mrrMinor: 5200 + 999 + 1000 + 1000, subscribers: 5, churned30d: 1 },
    ]);
  });
});

describe("renewal revenue and renewals per day", () => {
  it("counts succeeded subscription_cycle payments only, of this tenant, in the window", async () => {
    const { tenant } = await connectedMerchant();
    const other = await connectedMerchant();
    const order = await subscriptionOf(tenant, { priceMinor: 999 });
    await fixtureLedger(tenant, order, {
      payments: [
        { billingReason: "subscription_create" },
        { billingReason: "subscription_cycle" },
        { billingReason: "subscription_cycle", paidAt: new Date(Date.now() - 86_400_000) },
        { billingReason: "subscription_cycle", status: "failed" },
        { billingReason: "subscription_cycle", paidAt: new Date(Date.now() - 45 * 86_400_000) },
      ],
    });
    await fixtureLedger(other.tenant, await subscriptionOf(other.tenant), { payments: [{ billingReason: "subscription_cycle" }] });
    // After a trial the first charge is a cycle payment: it starts the subscription, it is no renewal.
    await fixtureLedger(tenant, await subscriptionOf(tenant, { priceMinor: 999 }), { payments: [{ billingReason: "subscription_cycle", paidAt: new Date(Date.now() - 3 * 86_400_000) }] });
    expect(await renewalRevenueByCurrency(tenant.id, new Date(Date.now() - 30 * 86_400_000))).toEqual([{ currency: "usd", minor: 1998, count: 2 }]);
    const days = await renewalsPerDay(tenant.id, 30);
    expect(days).toHaveLength(30);
    expect(days.reduce((sum, d) => sum + d.count, 0)).toBe(2);
    expect(days[29]!.count).toBe(1);
  });
});

describe("/dashboard/subscriptions", () => {
  it("pages by keyset without repeating or skipping, filters by state, and lists none of another tenant's or one-time orders", async () => {
    const merchant = await connectedMerchant();
    const other = await connectedMerchant();
    const made: Order[] = [];
    for (let i = 0; i < 28; i++) made.push(await subscriptionOf(merchant.tenant, { subscriptionState: i % 4 === 0 ? "past_due" : "active", createdAt: new Date(Date.UTC(2026, 5, 1, 0, 0, i % 3)) }));
    const foreign = await subscriptionOf(other.tenant);
    const once = await fixtureOrder(merchant.tenant, await fixtureItem(merchant.tenant));

    const first = await listSubscriptions(merchant.tenant.id, {});
    expect(first.rows).toHaveLength(25);
    const second = await listSubscriptions(merchant.tenant.id, { cursor: first.nextCursor! });
    expect(second.nextCursor).toBeNull();
    const ids = [...first.rows, ...second.rows].map((r) => r.order.id);
    expect(new Set(ids)).toEqual(new Set(made.map((o) => o.id)));
    expect(ids).toHaveLength(28);

    const pastDue = await listSubscriptions(merchant.tenant.id, { state: "past_due" });
    expect(pastDue.rows.map((r) => r.order.subscriptionState)).toEqual(Array(7).fill("past_due"));

    signInAs(merchant);
    const page = html(await SubscriptionsPage({ searchParams: Promise.resolve({ state: "past_due" }) }));
    expect(page).toContain("A renewal charge failed");
    expect(page).toContain(pastDue.rows[0]!.order.id);
    for (const id of [foreign.id, once.id]) expect(page).not.toContain(id);
    expect(page).not.toContain(made.find((o) => o.subscriptionState === "active")!.id);
  });

  it("the orders list shows a trial's order as Pending with its subscription state beside it", async () => {
    const merchant = await connectedMerchant();
    const trial = await subscriptionOf(merchant.tenant, { subscriptionState: "trialing", status: "pending" });
    signInAs(merchant);
    const page = html(await OrdersPage({ searchParams: Promise.resolve({}) }));
    const row = page.slice(page.indexOf(trial.id));
    expect(row.slice(0, row.indexOf("</tr>"))).toMatch(/Pending<\/span>.*Trialing<\/span>/s);
  });

  it("the overview shows MRR, subscribers and churn, and renewal revenue in the revenue card", async () => {
    const merchant = await connectedMerchant();
    const order = await subscriptionOf(merchant.tenant, { priceMinor: 2500, billingPeriodDays: 7 });
    await fixtureLedger(merchant.tenant, order, { payments: [{ billingReason: "subscription_create", paidAt: new Date(Date.now() - 7 * 86_400_000) }, { billingReason: "subscription_cycle" }] });
    signInAs(merchant);
    const page = html(await DashboardPage());
    expect(page).toContain("Active subscribers");
    expect(page).toContain("$108.33"); // 25.00 × 52 / 12
    expect(page).toContain("of which renewals $25.00");
    expect(page).toContain("1 paid order and 1 renewal from");
  });
});
