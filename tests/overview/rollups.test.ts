import { and, eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { db } from "@/db/client";
import { ledgerDisputes, ledgerPayments, ledgerRefunds, orders, overviewDays, subscriptionTotals, type Item, type Order, type Tenant } from "@/db/schema";
import { randomBase62 } from "@/lib/ids";
import { overviewFigures, type Overview, type RevenueRow } from "@/lib/overview/queries";
import { monthlyMinor } from "@/lib/subscriptions/billing";
import { PAYING_STATES, SUBSCRIBED_STATES } from "@/lib/subscriptions/lifecycle";
import { withTestDatabase } from "../db";
import { connectedMerchant, fixtureItem, fixtureLedger, fixtureOrder } from "../fixtures";

withTestDatabase();

/*
 * The overview reads rows the database keeps up to date (overview_days, subscription_totals). These
 * tests change orders and the ledger every way the product does — and a few ways it does not, so
 * that any writer is covered — and compare every figure with a direct computation from the rows
 * themselves, here in TypeScript: the chart's days, revenue over 7 and 30 days, renewals, MRR,
 * subscribers and churn.
 */

const DAY = 86_400_000;
/** The overview's "now": its 30-day window starts 2031-02-14, its 7-day window 2031-03-09 (UTC). */
const NOW = new Date("2031-03-15T12:00:00.000Z");
const SETTLED = ["paid", "partially_refunded", "refunded", "disputed", "dispute_lost"];
const utcDay = (date: Date) => date.toISOString().slice(0, 10);

/** Every figure of the overview, computed from the tenant's orders and ledger rows as the product defines them. */
async function direct(tenantId: string, now: Date): Promise<Overview> {
  const [os, ps, rs, ds] = await Promise.all([
    db().select().from(orders).where(eq(orders.tenantId, tenantId)),
    db().select().from(ledgerPayments).where(eq(ledgerPayments.tenantId, tenantId)),
    db().select().from(ledgerRefunds).where(eq(ledgerRefunds.tenantId, tenantId)),
    db().select().from(ledgerDisputes).where(eq(ledgerDisputes.tenantId, tenantId)),
  ]);
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const since = (days: number) => utcDay(new Date(today - (days - 1) * DAY));
  const window = Array.from({ length: 30 }, (_, i) => utcDay(new Date(today - (29 - i) * DAY)));

  const revenue = (from: string): RevenueRow[] => {
    const rows = new Map<string, { net: number; orders: Set<string> }>();
    const row = (currency: string | null) => rows.get(currency ?? "usd") ?? rows.set(currency ?? "usd", { net: 0, orders: new Set() }).get(currency ?? "usd")!;
    for (const p of ps) {
      if (p.status !== "succeeded" || !p.paidAt || utcDay(p.paidAt) < from) continue;
      row(p.currency).net += p.amountMinor ?? 0;
      row(p.currency).orders.add(p.orderId);
    }
    // Per payment (and currency), the larger of Whop's own refunds and a carried-over tally.
    const refunds = new Map<string, { currency: string | null; real: number; carried: number }>();
    for (const r of rs) {
      if (r.status !== "succeeded" || r.orderId === null || utcDay(r.whopCreatedAt ?? r.createdAt) < from) continue;
      const key = `${r.paymentId}|${r.currency}`;
      const entry = refunds.get(key) ?? refunds.set(key, { currency: r.currency, real: 0, carried: 0 }).get(key)!;
      if (r.migrated) entry.carried += r.amountMinor ?? 0;
      else entry.real += r.amountMinor ?? 0;
    }
    for (const entry of refunds.values()) row(entry.currency).net -= Math.max(entry.real, entry.carried);
    for (const d of ds) {
      if (d.phase !== "lost" || d.orderId === null || utcDay(d.updatedAt) < from) continue;
      row(d.currency).net -= d.amountMinor ?? 0;
    }
    return [...rows.entries()].map(([currency, r]) => ({ currency, netMinor: r.net, orders: r.orders.size })).sort((a, b) => a.currency.localeCompare(b.currency));
  };

  const renewals = new Map<string, { currency: string; minor: number; count: number }>();
  for (const p of ps) {
    if (!p.renewal || !p.paidAt || utcDay(p.paidAt) < since(30)) continue;
    const currency = p.currency ?? "usd";
    const entry = renewals.get(currency) ?? renewals.set(currency, { currency, minor: 0, count: 0 }).get(currency)!;
    entry.minor += p.amountMinor ?? 0;
    entry.count += 1;
  }

  const subscriptions = new Map<string, { mrrByPeriod: Map<number, number>; subscribers: number; churned30d: number }>();
  const sub = (currency: string) => subscriptions.get(currency) ?? subscriptions.set(currency, { mrrByPeriod: new Map(), subscribers: 0, churned30d: 0 }).get(currency)!;
  for (const o of os) {
    if (o.billingPeriodDays === null) continue;
    if (o.subscriptionState && SUBSCRIBED_STATES.includes(o.subscriptionState)) {
      const entry = sub(o.currency);
      entry.subscribers += 1;
      if (PAYING_STATES.includes(o.subscriptionState)) entry.mrrByPeriod.set(o.billingPeriodDays, (entry.mrrByPeriod.get(o.billingPeriodDays) ?? 0) + o.amountMinor);
    }
    if (o.subscriptionEndedAt && utcDay(o.subscriptionEndedAt) >= since(30)) sub(o.currency).churned30d += 1;
  }

  return {
    days: window.map((day) => ({
      day,
      count: os.filter((o) => SETTLED.includes(o.status) && o.paidAt && utcDay(o.paidAt) === day).length,
      renewals: ps.filter((p) => p.renewal && p.paidAt && utcDay(p.paidAt) === day).length,
    })),
    revenue7d: revenue(since(7)),
    revenue30d: revenue(since(30)),
    renewals30d: [...renewals.values()].sort((a, b) => a.currency.localeCompare(b.currency)),
    subscriptions: [...subscriptions.entries()]
      .map(([currency, s]) => ({
        currency,
        mrrMinor: Math.round([...s.mrrByPeriod.entries()].reduce((sum, [days, minor]) => sum + monthlyMinor(minor, days), 0)),
        subscribers: s.subscribers,
        churned30d: s.churned30d,
      }))
      .sort((a, b) => a.currency.localeCompare(b.currency)),
  };
}

async function expectExact(tenant: Tenant, now = NOW) {
  const want = await direct(tenant.id, now);
  expect(await overviewFigures(tenant.id, now)).toEqual(want);
  return want;
}

async function sale(tenant: Tenant, item: Item, order: Partial<Order>, ledger: Parameters<typeof fixtureLedger>[2]) {
  return fixtureLedger(tenant, await fixtureOrder(tenant, item, order), ledger);
}

const at = (iso: string) => new Date(iso);

describe("the overview's figures", () => {
  it("equal a direct computation across refunds, disputes, renewals, currencies and the UTC day boundaries", async () => {
    const { tenant } = await connectedMerchant();
    const other = await connectedMerchant();
    const item = await fixtureItem(tenant);
    const monthly = await fixtureItem(tenant, { billingPeriodDays: 30, priceMinor: 1500 });

    // Paid on either side of the 30-day window's first instant and of the 7-day window's.
    const inside = await sale(tenant, item, { amountMinor: 2999 }, { payments: [{ paidAt: at("2031-02-14T00:00:00.000Z") }] });
    await sale(tenant, item, { amountMinor: 1000 }, { payments: [{ paidAt: at("2031-02-13T23:59:59.999Z") }] });
    await sale(tenant, item, { amountMinor: 700, currency: "jpy" }, { payments: [{ paidAt: at("2031-03-08T23:59:59.999Z") }] });
    await sale(tenant, item, { amountMinor: 800, currency: "jpy" }, { payments: [{ paidAt: at("2031-03-09T00:00:00.000Z") }] });
    // A local time that is the day before in UTC, and one that is the day after.
    await sale(tenant, item, { amountMinor: 1200, currency: "eur" }, { payments: [{ paidAt: at("2031-02-14T01:30:00+02:00") }] });
    await sale(tenant, item, { amountMinor: 1300, currency: "eur" }, { payments: [{ paidAt: at("2031-03-08T20:00:00-05:00") }] });
    // Whop charged euros for a dollar order; a payment whose currency Whop did not say.
    await sale(tenant, item, { amountMinor: 2999 }, { payments: [{ paidAt: at("2031-03-10T10:00:00Z"), currency: "eur", amountMinor: 2750 }] });
    await sale(tenant, item, { amountMinor: 500 }, { payments: [{ paidAt: at("2031-03-11T10:00:00Z"), currency: null }] });
    // Payments that did not succeed, and an order whose row says paid with no ledger at all.
    await sale(tenant, item, { amountMinor: 9999 }, { payments: [{ status: "failed", paidAt: null }, { status: "pending", paidAt: null }] });
    await fixtureOrder(tenant, item, { status: "paid", paidAt: at("2031-03-12T10:00:00Z") });

    // Refunds: settled in and out of the windows, pending, by Whop's time or ours, of no order yet.
    await sale(tenant, item, { amountMinor: 5000 }, {
      payments: [{ paidAt: at("2031-01-20T10:00:00Z") }],
      refunds: [
        { amountMinor: 1000, whopCreatedAt: at("2031-03-10T00:00:00Z") },
        { amountMinor: 700, status: "pending", whopCreatedAt: at("2031-03-10T00:00:00Z") },
        { amountMinor: 300, whopCreatedAt: null, createdAt: at("2031-03-13T23:59:59.999Z") },
        { amountMinor: 200, whopCreatedAt: at("2031-02-13T23:59:59.999Z") },
      ],
    });
    // Carried-over tallies: the larger of the tally and Whop's own refunds, per payment.
    await sale(tenant, item, { amountMinor: 5000 }, {
      payments: [{ paidAt: at("2031-03-01T10:00:00Z") }],
      refunds: [
        { amountMinor: 1000, migrated: true, whopCreatedAt: null, createdAt: at("2031-03-02T00:00:00Z") },
        { amountMinor: 400, whopCreatedAt: at("2031-03-10T00:00:00Z") },
      ],
    });
    await sale(tenant, item, { amountMinor: 5000 }, {
      payments: [{ paidAt: at("2031-03-01T10:00:00Z") }],
      refunds: [
        { amountMinor: 500, migrated: true, whopCreatedAt: null, createdAt: at("2031-03-02T00:00:00Z") },
        { amountMinor: 800, whopCreatedAt: at("2031-03-12T00:00:00Z") },
      ],
    });
    // Disputes: open, won, lost (by the day decided), and one whose payment matches no order.
    await sale(tenant, item, { amountMinor: 3000, currency: "eur" }, {
      payments: [{ paidAt: at("2031-03-01T10:00:00Z") }],
      disputes: [{ phase: "lost", amountMinor: 3000, updatedAt: at("2031-03-09T00:00:00Z") }],
    });
    const disputed = await sale(tenant, item, { amountMinor: 2000, currency: "eur" }, { payments: [{ paidAt: at("2031-03-01T10:00:00Z") }], disputes: [{ phase: "open", updatedAt: at("2031-03-02T00:00:00Z") }] });
    await sale(tenant, item, { amountMinor: 2000, currency: "eur" }, { payments: [{ paidAt: at("2031-03-01T10:00:00Z") }], disputes: [{ phase: "won", updatedAt: at("2031-03-02T00:00:00Z") }] });
    await db().insert(ledgerRefunds).values({ tenantId: tenant.id, id: `rfnd_${randomBase62(14)}`, orderId: null, paymentId: "pay_NotOurs000001", status: "succeeded", amountMinor: 900, currency: "usd", whopCreatedAt: at("2031-03-10T00:00:00Z") });

    // A subscription: its first charge, renewals in and out of the window, one that failed.
    const subscription = await sale(tenant, monthly, { billingPeriodDays: 30, subscriptionState: "active", amountMinor: 1500, whopMembershipId: `mem_${randomBase62(14)}` }, {
      payments: [
        { paidAt: at("2030-12-01T10:00:00Z"), billingReason: "subscription_create" },
        { paidAt: at("2031-01-01T10:00:00Z"), billingReason: "subscription_cycle" },
        { paidAt: at("2031-02-14T00:00:00Z"), billingReason: "subscription_cycle" },
        { paidAt: at("2031-03-15T23:59:59.999Z"), billingReason: "subscription_cycle" },
        { status: "failed", paidAt: null, billingReason: "subscription_cycle" },
      ],
    });
    // Subscriptions in every state and period, in two currencies; ended in and out of the churn window.
    for (const [state, days, currency, endedAt] of [
      ["active", 7, "usd", null],
      ["canceling", 90, "usd", null],
      ["active", 365, "eur", null],
      ["trialing", 30, "usd", null],
      ["past_due", 30, "usd", null],
      ["canceled", 30, "usd", at("2031-02-14T00:00:00Z")],
      ["expired", 30, "eur", at("2031-02-13T23:59:59.999Z")],
    ] as const) {
      await fixtureOrder(tenant, monthly, { billingPeriodDays: days, subscriptionState: state, currency, amountMinor: 1234, subscriptionEndedAt: endedAt });
    }
    // Another tenant's money on the same days.
    await sale(other.tenant, await fixtureItem(other.tenant), { amountMinor: 100_000 }, { payments: [{ paidAt: at("2031-03-10T10:00:00Z") }], refunds: [{ amountMinor: 1, whopCreatedAt: at("2031-03-10T10:00:00Z") }] });

    const first = await expectExact(tenant);
    // The scene is not empty: each kind of figure has something in it.
    expect(first.days.reduce((sum, d) => sum + d.count, 0)).toBeGreaterThan(5);
    expect(first.renewals30d).toEqual([{ currency: "usd", minor: 3000, count: 2 }]);
    expect(first.subscriptions.map((s) => s.currency)).toEqual(["eur", "usd"]);
    expect(first.revenue30d.map((r) => r.currency)).toEqual(["eur", "jpy", "usd"]);
    expect(first.revenue7d).not.toEqual(first.revenue30d);
    await expectExact(other.tenant);

    // What happens later: a refund settles, a dispute is lost, a lost dispute's event comes again
    // (its decided day moves), an orphaned refund joins its order, a subscription ends, a payment's
    // time is corrected across a day, a payment disappears, an order is deleted.
    await db().update(ledgerRefunds).set({ status: "succeeded" }).where(and(eq(ledgerRefunds.tenantId, tenant.id), eq(ledgerRefunds.status, "pending")));
    await db().update(ledgerDisputes).set({ phase: "lost", whopStatus: "lost", updatedAt: at("2031-03-14T09:00:00Z") }).where(and(eq(ledgerDisputes.tenantId, tenant.id), eq(ledgerDisputes.orderId, disputed.order.id)));
    await db().update(ledgerDisputes).set({ updatedAt: at("2031-02-01T00:00:00Z") }).where(and(eq(ledgerDisputes.tenantId, tenant.id), eq(ledgerDisputes.orderId, disputed.order.id)));
    await db().update(ledgerRefunds).set({ orderId: inside.order.id, paymentId: inside.payments[0]!.id }).where(and(eq(ledgerRefunds.tenantId, tenant.id), eq(ledgerRefunds.paymentId, "pay_NotOurs000001")));
    await db().update(orders).set({ subscriptionState: "canceled", subscriptionEndedAt: at("2031-03-15T00:00:00Z") }).where(and(eq(orders.tenantId, tenant.id), eq(orders.id, subscription.order.id)));
    await db().update(ledgerPayments).set({ paidAt: at("2031-02-13T23:00:00Z") }).where(and(eq(ledgerPayments.tenantId, tenant.id), eq(ledgerPayments.id, inside.payments[0]!.id)));
    await db().update(orders).set({ paidAt: at("2031-02-13T23:00:00Z") }).where(and(eq(orders.tenantId, tenant.id), eq(orders.id, inside.order.id)));
    await db().delete(ledgerPayments).where(and(eq(ledgerPayments.tenantId, tenant.id), eq(ledgerPayments.id, subscription.payments[3]!.id)));
    await db().delete(orders).where(and(eq(orders.tenantId, tenant.id), eq(orders.currency, "jpy")));
    // Statements over many rows at once: renewal flags flipped and back, every refund amount doubled.
    await db().update(ledgerPayments).set({ renewal: sql`not ${ledgerPayments.renewal}` }).where(and(eq(ledgerPayments.tenantId, tenant.id), eq(ledgerPayments.orderId, subscription.order.id)));
    await expectExact(tenant);
    await db().update(ledgerPayments).set({ renewal: sql`not ${ledgerPayments.renewal}` }).where(and(eq(ledgerPayments.tenantId, tenant.id), eq(ledgerPayments.orderId, subscription.order.id)));
    await db().update(ledgerRefunds).set({ amountMinor: sql`${ledgerRefunds.amountMinor} * 2` }).where(eq(ledgerRefunds.tenantId, tenant.id));
    await expectExact(tenant);
    // Other days' windows too: a week later, and the day the first payments fell.
    await expectExact(tenant, new Date(NOW.getTime() + 7 * DAY));
    await expectExact(tenant, at("2031-02-14T00:00:00Z"));
    await expectExact(other.tenant);
  });

  it("count a payment once whatever the session's time zone, and a replayed event changes nothing", async () => {
    const { tenant } = await connectedMerchant();
    const item = await fixtureItem(tenant);
    const order = await fixtureOrder(tenant, item, { amountMinor: 4200 });
    const refundId = `rfnd_${randomBase62(14)}`;
    const upsertRefund = () =>
      db()
        .insert(ledgerRefunds)
        .values({ tenantId: tenant.id, id: refundId, orderId: order.id, paymentId: "pay_Replayed00001", status: "succeeded", amountMinor: 1000, currency: "usd", whopCreatedAt: at("2031-03-14T23:30:00Z") })
        .onConflictDoUpdate({ target: [ledgerRefunds.tenantId, ledgerRefunds.id], set: { status: sql`excluded.status`, amountMinor: sql`excluded.amount_minor` } });
    await db().transaction(async (tx) => {
      // Where the local day is already the next one.
      await tx.execute(sql`set local time zone 'Pacific/Kiritimati'`);
      await tx.insert(ledgerPayments).values({ tenantId: tenant.id, id: "pay_Replayed00001", orderId: order.id, status: "succeeded", amountMinor: 4200, currency: "usd", paidAt: at("2031-03-14T23:30:00Z") });
      await tx.update(orders).set({ status: "paid", paidAt: at("2031-03-14T23:30:00Z") }).where(and(eq(orders.tenantId, tenant.id), eq(orders.id, order.id)));
    });
    await upsertRefund();
    await upsertRefund();
    await upsertRefund();
    const figures = await expectExact(tenant);
    expect(figures.days.find((d) => d.day === "2031-03-14")!.count).toBe(1);
    expect(figures.revenue7d).toEqual([{ currency: "usd", netMinor: 3200, orders: 1 }]);
  });

  it("stay exact when many transactions of one merchant commit at once", async () => {
    const { tenant } = await connectedMerchant();
    const item = await fixtureItem(tenant);
    const made = await Promise.all(Array.from({ length: 12 }, (_, i) => fixtureOrder(tenant, item, { amountMinor: 1000 + i, currency: i % 3 === 0 ? "eur" : "usd" })));
    // Each transaction pays its order (locked first, as the ledger does), and half of them refund part of it.
    await Promise.all(
      made.map((order, i) =>
        db().transaction(async (tx) => {
          await tx.select({ id: orders.id }).from(orders).where(and(eq(orders.tenantId, tenant.id), eq(orders.id, order.id))).for("update");
          const paymentId = `pay_${randomBase62(14)}`;
          await tx.insert(ledgerPayments).values({ tenantId: tenant.id, id: paymentId, orderId: order.id, status: "succeeded", amountMinor: order.amountMinor, currency: order.currency, paidAt: at("2031-03-15T08:00:00Z") });
          await tx.update(orders).set({ status: "paid", paidAt: at("2031-03-15T08:00:00Z") }).where(and(eq(orders.tenantId, tenant.id), eq(orders.id, order.id)));
          if (i % 2 === 0) {
            await tx.insert(ledgerRefunds).values({ tenantId: tenant.id, id: `rfnd_${randomBase62(14)}`, orderId: order.id, paymentId, status: "succeeded", amountMinor: 100, currency: order.currency, whopCreatedAt: at("2031-03-15T09:00:00Z") });
          }
        }),
      ),
    );
    // Renewals of one subscription, each in its own transaction under the order's lock.
    const subscription = await fixtureOrder(tenant, item, { billingPeriodDays: 30, subscriptionState: "active", status: "paid", paidAt: at("2031-01-01T00:00:00Z"), amountMinor: 900 });
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        db().transaction(async (tx) => {
          await tx.select({ id: orders.id }).from(orders).where(and(eq(orders.tenantId, tenant.id), eq(orders.id, subscription.id))).for("update");
          await tx.insert(ledgerPayments).values({ tenantId: tenant.id, id: `pay_${randomBase62(14)}`, orderId: subscription.id, status: "succeeded", amountMinor: 900, currency: "usd", billingReason: "subscription_cycle", renewal: true, paidAt: at(`2031-03-0${i + 1}T08:00:00Z`) });
        }),
      ),
    );
    const figures = await expectExact(tenant);
    expect(figures.revenue30d).toEqual([
      { currency: "eur", netMinor: 1000 + 1003 + 1006 + 1009 - 200, orders: 4 },
      { currency: "usd", netMinor: made.filter((_, i) => i % 3 !== 0).reduce((sum, o) => sum + o.amountMinor, 0) - 400 + 6 * 900, orders: 9 },
    ]);
  });

  it("are computed again by overview_rebuild exactly as the triggers keep them", async () => {
    const { tenant } = await connectedMerchant();
    const other = await connectedMerchant();
    const item = await fixtureItem(tenant);
    const monthly = await fixtureItem(tenant, { billingPeriodDays: 30 });
    await sale(tenant, item, { amountMinor: 2500 }, { payments: [{ paidAt: at("2031-03-10T10:00:00Z") }], refunds: [{ amountMinor: 500, whopCreatedAt: at("2031-03-11T00:00:00Z") }], disputes: [{ phase: "lost", updatedAt: at("2031-03-12T00:00:00Z") }] });
    await sale(tenant, monthly, { billingPeriodDays: 30, subscriptionState: "canceled", subscriptionEndedAt: at("2031-03-13T00:00:00Z") }, { payments: [{ paidAt: at("2031-02-01T00:00:00Z") }, { paidAt: at("2031-03-01T00:00:00Z"), billingReason: "subscription_cycle" }] });
    await sale(tenant, monthly, { billingPeriodDays: 30, subscriptionState: "active", currency: "eur" }, { payments: [{ paidAt: at("2031-03-02T00:00:00Z"), currency: "eur" }] });
    await sale(other.tenant, await fixtureItem(other.tenant), { amountMinor: 700 }, { payments: [{ paidAt: at("2031-03-10T10:00:00Z") }] });
    const kept = await rollups(tenant.id);
    const otherKept = await rollups(other.tenant.id);
    expect(kept.days.length).toBeGreaterThan(3);
    expect(kept.totals.length).toBe(1);

    await db().execute(sql`select overview_rebuild(${tenant.id})`);
    expect(await rollups(tenant.id)).toEqual(kept);
    expect(await rollups(other.tenant.id)).toEqual(otherKept);
    // From nothing: the rows a bulk load without the triggers leaves behind.
    await db().execute(sql`delete from overview_days where tenant_id = ${tenant.id}`);
    await db().execute(sql`delete from subscription_totals where tenant_id = ${tenant.id}`);
    await db().execute(sql`select overview_rebuild(${tenant.id})`);
    expect(await rollups(tenant.id)).toEqual(kept);
    await expectExact(tenant);
  });
});

/** A tenant's rollup rows that hold any figure (the triggers leave a row at zero where the rebuild has none). */
async function rollups(tenantId: string) {
  const keys = new Set(["tenantId", "day", "currency", "billingPeriodDays", "state"]);
  const held = (row: object) => Object.entries(row).some(([key, value]) => !keys.has(key) && Number(value) !== 0);
  const days = await db().select().from(overviewDays).where(eq(overviewDays.tenantId, tenantId)).orderBy(overviewDays.day, overviewDays.currency);
  const totals = await db()
    .select()
    .from(subscriptionTotals)
    .where(eq(subscriptionTotals.tenantId, tenantId))
    .orderBy(subscriptionTotals.currency, subscriptionTotals.billingPeriodDays, subscriptionTotals.state);
  return { days: days.filter(held), totals: totals.filter(held) };
}
