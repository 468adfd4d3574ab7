import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import DashboardPage from "@/app/dashboard/page";
import { databaseKind, db } from "@/db/client";
import { paidOrdersPerDay } from "@/lib/overview/queries";
import { withTestDatabase } from "../db";
import type { Item, Tenant } from "@/db/schema";
import { connectedMerchant, fixtureItem, fixtureLedger, fixtureOrder, type LedgerSeed } from "../fixtures";
import { html } from "../isolation/next-errors";
import { signInAs } from "../isolation/session";

vi.mock("@/lib/auth/session", () => import("../isolation/session"));

withTestDatabase();

const at = (iso: string) => new Date(iso);

/** An order and its ledger rows, the order derived from them (status, paid_at: its first succeeded payment). */
async function sold(tenant: Tenant, item: Item, ledger: LedgerSeed) {
  return (await fixtureLedger(tenant, await fixtureOrder(tenant, item), ledger)).order;
}

// Days are UTC whatever the session's time zone (set on the one PGlite connection; a pool's connections vary).
beforeAll(async () => {
  if (databaseKind() === "pglite") await db().execute(sql`set time zone 'Pacific/Kiritimati'`);
});
afterAll(async () => {
  if (databaseKind() === "pglite") await db().execute(sql`set time zone 'UTC'`);
});

describe("paidOrdersPerDay", () => {
  it("counts settled orders per UTC day by paid_at, every day of the window present, this tenant only", async () => {
    const { tenant } = await connectedMerchant();
    const other = await connectedMerchant();
    const item = await fixtureItem(tenant);
    const otherItem = await fixtureItem(other.tenant);
    const now = at("2031-03-10T15:00:00Z");

    // Day boundaries are UTC: 23:59:59.999 and 00:00 fall on different days whatever the server's zone.
    // Whatever happened to the money after, a paid order counts the day it was paid.
    const counted = [
      await sold(tenant, item, { payments: [{ paidAt: at("2031-03-08T23:59:59.999Z") }] }),
      await sold(tenant, item, { payments: [{ paidAt: at("2031-03-09T00:00:00Z") }], refunds: [{}] }),
      await sold(tenant, item, { payments: [{ paidAt: at("2031-03-09T22:00:00-05:00") }], disputes: [{ phase: "open" }] }), // 03-10 03:00 UTC
      await sold(tenant, item, { payments: [{ paidAt: at("2031-03-10T14:59:00Z") }], refunds: [{ amountMinor: 500 }] }),
      await sold(tenant, item, { payments: [{ paidAt: at("2031-03-07T10:00:00Z") }], disputes: [{ phase: "lost" }] }),
      await sold(tenant, item, { payments: [{ paidAt: at("2031-03-06T00:00:00Z") }] }), // first day of a 5-day window
      // A subscription is one order: its renewal does not count again.
      await sold(tenant, item, {
        payments: [
          { paidAt: at("2031-03-07T12:00:00Z"), billingReason: "subscription_create" },
          { paidAt: at("2031-03-10T12:00:00Z"), billingReason: "subscription_cycle" },
        ],
      }),
    ];
    expect(counted.map((order) => order.status)).toEqual(["paid", "refunded", "disputed", "partially_refunded", "dispute_lost", "paid", "paid"]);
    // Not counted: before the window, never paid, not settled (even with a paid_at on the row).
    await sold(tenant, item, { payments: [{ paidAt: at("2031-03-05T23:59:59Z") }] });
    await fixtureOrder(tenant, item, { status: "pending", paidAt: null });
    await sold(tenant, item, { payments: [{ status: "pending" }] });
    await fixtureOrder(tenant, item, { status: "failed", failureReason: "declined", paidAt: at("2031-03-09T12:00:00Z") });
    await fixtureOrder(tenant, item, { status: "expired", expiredAt: at("2031-03-09T12:00:00Z"), paidAt: at("2031-03-09T12:00:00Z") });
    // Another tenant's paid orders on the same days.
    for (let i = 0; i < 3; i++) await sold(other.tenant, otherItem, { payments: [{ paidAt: at("2031-03-09T12:00:00Z") }] });

    expect(await paidOrdersPerDay(tenant.id, 5, now)).toEqual([
      { day: "2031-03-06", count: 1 },
      { day: "2031-03-07", count: 2 },
      { day: "2031-03-08", count: 1 },
      { day: "2031-03-09", count: 1 },
      { day: "2031-03-10", count: 2 },
    ]);
    expect(await paidOrdersPerDay(other.tenant.id, 2, now)).toEqual([
      { day: "2031-03-09", count: 3 },
      { day: "2031-03-10", count: 0 },
    ]);
  });

  it("answers 30 zero days for a tenant with no paid orders, ending today (UTC)", async () => {
    const { tenant } = await connectedMerchant();
    const now = at("2031-01-01T00:30:00Z");
    const days = await paidOrdersPerDay(tenant.id, 30, now);
    expect(days).toHaveLength(30);
    expect(days.every((d) => d.count === 0)).toBe(true);
    expect(days[0]!.day).toBe("2030-12-03");
    expect(days[29]!.day).toBe("2031-01-01");
  });
});

describe("the dashboard chart", () => {
  it("shows an accessible chart of the last 30 days when there are paid orders", async () => {
    const merchant = await connectedMerchant();
    const item = await fixtureItem(merchant.tenant);
    const now = Date.now();
    for (const daysAgo of [0, 0, 0, 3, 12]) await sold(merchant.tenant, item, { payments: [{ paidAt: new Date(now - daysAgo * 86_400_000) }] });

    signInAs(merchant);
    const page = html(await DashboardPage());
    expect(page).toContain('role="img"');
    expect(page).toMatch(/<title id="paid-chart-title">Paid orders per day, last 30 days<\/title>/);
    expect(page).toMatch(/<desc id="paid-chart-desc">5 paid orders from [^<]+\. Busiest day: [^<]+, with 3\.<\/desc>/);
    expect(page).toContain("<caption>Paid orders per day (UTC)</caption>");
    expect(page.match(/<rect /g)).toHaveLength(3);
  });

  it("says so when nothing was paid in the last 30 days", async () => {
    const merchant = await connectedMerchant();
    signInAs(merchant);
    const page = html(await DashboardPage());
    expect(page).toContain("No paid orders in the last 30 days.");
    expect(page).not.toContain('role="img"');
  });
});
