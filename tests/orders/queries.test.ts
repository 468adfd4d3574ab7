import { and, eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { db, selectRows } from "@/db/client";
import { ledgerDisputes, ledgerRefunds, orders, type Item, type Order, type Tenant } from "@/db/schema";
import { revenueByCurrency } from "@/lib/overview/queries";
import { listOrders, ORDER_STATUSES, type OrderFilter, type OrderRow } from "@/lib/orders/queries";
import { withTestDatabase } from "../db";
import { randomBase62 } from "@/lib/ids";
import { connectedMerchant, fixtureItem, fixtureLedger, fixtureOrder, type LedgerSeed } from "../fixtures";

withTestDatabase();

const STATUSES = ["pending", "paid", "failed", "refunded", "partially_refunded", "disputed", "expired", "dispute_lost"] as const;
const SECOND = 1000;

/** Follows nextCursor from the first page until it is null; fails on a runaway loop. */
async function allPages(tenantId: string, filter: Omit<OrderFilter, "cursor">, pageSize: number) {
  const pages: OrderRow[][] = [];
  let cursor: string | undefined;
  do {
    const page = await listOrders(tenantId, { ...filter, cursor }, pageSize);
    expect(page.rows.length).toBeLessThanOrEqual(pageSize);
    pages.push(page.rows);
    cursor = page.nextCursor ?? undefined;
    if (pages.length > 100) throw new Error("pagination does not end");
  } while (cursor);
  return pages;
}

/** The reference order: one unpaginated query sorted (created_at desc, id desc) by the database itself. */
async function expectedIds(tenantId: string, where: { status?: Order["status"]; itemId?: string } = {}) {
  const rows = await selectRows<{ id: string }>(sql`
    select id from orders
    where tenant_id = ${tenantId}
      and (${where.status ?? null}::order_status is null or status = ${where.status ?? null}::order_status)
      and (${where.itemId ?? null}::text is null or item_id = ${where.itemId ?? null}::text)
    order by created_at desc, id desc`);
  return rows.map((row) => row.id);
}

/**
 * Tenant T: 57 orders on two items in groups of 7 sharing the exact same created_at (so ties
 * straddle every page boundary of 10), statuses cycling. Tenant U: 19 orders at the very same
 * instants, so its rows sit between T's in the index.
 */
async function tiedOrders() {
  const t = await connectedMerchant();
  const u = await connectedMerchant();
  const [x, y] = [await fixtureItem(t.tenant, { title: "Item X" }), await fixtureItem(t.tenant, { title: "Item Y" })];
  const uItem = await fixtureItem(u.tenant, { title: "Item of U" });
  const base = Date.UTC(2031, 0, 1, 12);
  const at = (i: number) => new Date(base - Math.floor(i / 7) * SECOND);

  const mine: Order[] = [];
  for (let i = 0; i < 57; i++) {
    mine.push(await fixtureOrder(t.tenant, i % 3 === 0 ? y : x, { createdAt: at(i), status: STATUSES[i % STATUSES.length] }));
    if (i % 3 === 1) await fixtureOrder(u.tenant, uItem, { createdAt: at(i), status: STATUSES[i % STATUSES.length] });
  }
  return { t: t.tenant, u: u.tenant, x, y, mine };
}

describe("order statuses", () => {
  it("are the eight the spec lists, none of the old checkout_failed", () => {
    expect([...ORDER_STATUSES].sort()).toEqual([...STATUSES].sort());
  });
});

describe("listOrders: keyset pagination", () => {
  it("pages through 57 orders with tied timestamps: each exactly once, newest first, none of another tenant's", async () => {
    const { t, u, mine } = await tiedOrders();

    const pages = await allPages(t.id, {}, 10);
    const seen = pages.flat();

    expect(pages.map((page) => page.length)).toEqual([10, 10, 10, 10, 10, 7]);
    expect(seen.map((row) => row.order.id)).toEqual(await expectedIds(t.id));
    expect(new Set(seen.map((row) => row.order.id))).toEqual(new Set(mine.map((order) => order.id)));
    expect(seen.every((row) => row.order.tenantId === t.id)).toBe(true);
    for (let i = 1; i < seen.length; i++) {
      expect(seen[i]!.order.createdAt.getTime()).toBeLessThanOrEqual(seen[i - 1]!.order.createdAt.getTime());
    }
    expect(seen.map((row) => row.itemTitle)).not.toContain("Item of U");

    // U pages through its own 19 orders only.
    const theirs = (await allPages(u.id, {}, 10)).flat();
    expect(theirs.map((row) => row.order.id)).toEqual(await expectedIds(u.id));
    expect(theirs.every((row) => row.order.tenantId === u.id)).toBe(true);
    expect(theirs).toHaveLength(19);
  });

  it("a page size that divides the total ends without an empty extra page", async () => {
    const { t } = await tiedOrders();
    const pages = await allPages(t.id, {}, 19);
    expect(pages.map((page) => page.length)).toEqual([19, 19, 19]);
  });

  it("status and item filters hold across pages", async () => {
    const { t, x, y } = await tiedOrders();

    for (const status of ["paid", "pending", "refunded"] as const) {
      const seen = (await allPages(t.id, { status }, 3)).flat();
      expect(seen.length).toBeGreaterThan(3);
      expect(seen.every((row) => row.order.status === status)).toBe(true);
      expect(seen.map((row) => row.order.id)).toEqual(await expectedIds(t.id, { status }));
    }

    const onX = (await allPages(t.id, { item: x.id }, 10)).flat();
    expect(onX).toHaveLength(38);
    expect(onX.every((row) => row.order.itemId === x.id && row.itemTitle === "Item X")).toBe(true);
    expect(onX.map((row) => row.order.id)).toEqual(await expectedIds(t.id, { itemId: x.id }));

    const paidOnY = (await allPages(t.id, { item: y.id, status: "paid" }, 2)).flat();
    expect(paidOnY.length).toBeGreaterThan(0);
    expect(paidOnY.map((row) => row.order.id)).toEqual(await expectedIds(t.id, { itemId: y.id, status: "paid" }));
  });

  it("ignores a garbage cursor and answers the first page", async () => {
    const { t } = await tiedOrders();
    const first = await listOrders(t.id, {}, 10);
    const b64 = (text: string) => Buffer.from(text).toString("base64url");

    for (const cursor of ["garbage", "%%%", b64("nonsense"), b64("not-a-date|ord_x"), b64("2031-01-01T12:00:00.000Z|"), b64("|ord_x"), ""]) {
      const page = await listOrders(t.id, { cursor }, 10);
      expect(page.rows.map((row) => row.order.id)).toEqual(first.rows.map((row) => row.order.id));
      expect(page.nextCursor).toBe(first.nextCursor);
    }
  });

  it("an empty tenant has one empty page and no cursor", async () => {
    const { tenant } = await connectedMerchant();
    expect(await listOrders(tenant.id, {}, 10)).toEqual({ rows: [], nextCursor: null });
  });

  /*
   * created_at has millisecond precision (what a JS Date, and so the cursor, can name). A value
   * written with microseconds is rounded by Postgres, so rows of one millisecond tie exactly and
   * the id breaks the tie: none is skipped.
   */
  it("keeps orders created within the same millisecond (microsecond timestamps are rounded)", async () => {
    const { tenant } = await connectedMerchant();
    const item = await fixtureItem(tenant);
    const created = [];
    for (const micros of ["900", "500", "100"]) {
      const order = await fixtureOrder(tenant, item);
      await db()
        .update(orders)
        .set({ createdAt: sql`${`2031-02-03 04:05:06.000${micros}+00`}::timestamptz` })
        .where(and(eq(orders.tenantId, tenant.id), eq(orders.id, order.id)));
      created.push(order.id);
    }

    const seen = (await allPages(tenant.id, {}, 1)).flat();
    expect(seen.map((row) => row.order.id).sort()).toEqual([...created].sort());
  });
});

describe("revenueByCurrency", () => {
  const since = new Date(Date.UTC(2031, 5, 1));
  const after = new Date(since.getTime() + 3_600 * SECOND);
  const before = new Date(since.getTime() - SECOND);

  /** An order of `amountMinor` in `currency` and its ledger rows (the order derived from them). */
  async function sale(tenant: Tenant, item: Item, currency: string, amountMinor: number, ledger: LedgerSeed) {
    const order = await fixtureOrder(tenant, item, { currency, amountMinor });
    return (await fixtureLedger(tenant, order, ledger)).order;
  }
  const paidAfter = (amountMinor?: number) => ({ paidAt: after, ...(amountMinor === undefined ? {} : { amountMinor }) });

  it("is succeeded payments − succeeded refunds − lost disputes per currency, since the date, of this tenant only", async () => {
    const { tenant } = await connectedMerchant();
    const other = await connectedMerchant();
    const item = await fixtureItem(tenant);
    const otherItem = await fixtureItem(other.tenant);

    await sale(tenant, item, "usd", 2999, { payments: [paidAfter()] });
    await sale(tenant, item, "usd", 5000, {
      payments: [paidAfter()],
      refunds: [
        { amountMinor: 1000, whopCreatedAt: after },
        // Only succeeded refunds take money back: pending ones show "refund pending", the others dropped out.
        { amountMinor: 700, status: "pending", whopCreatedAt: after },
        { amountMinor: 300, status: "requires_action", whopCreatedAt: after },
        { amountMinor: 2000, status: "failed", whopCreatedAt: after },
        { amountMinor: 400, status: "canceled", whopCreatedAt: after },
      ],
    });
    await sale(tenant, item, "usd", 1500, { payments: [paidAfter()], refunds: [{ amountMinor: 1500, whopCreatedAt: after }] });
    // Disputes: open and won keep the money, closed without an outcome too; only a lost one takes it.
    await sale(tenant, item, "eur", 1000, { payments: [paidAfter()], disputes: [{ phase: "open", updatedAt: after }] });
    await sale(tenant, item, "eur", 2000, { payments: [paidAfter()], disputes: [{ phase: "won", updatedAt: after }] });
    await sale(tenant, item, "eur", 2500, { payments: [paidAfter()], disputes: [{ phase: "closed", updatedAt: after }] });
    await sale(tenant, item, "eur", 3000, { payments: [paidAfter()], disputes: [{ phase: "lost", amountMinor: 3000, updatedAt: after }] });
    await sale(tenant, item, "jpy", 700, { payments: [{ paidAt: since }] }); // exactly at `since`: counted
    // Payments that did not succeed are no revenue, whatever time they carry.
    await sale(tenant, item, "usd", 100_000, { payments: [{ status: "pending", paidAt: after }] });
    await sale(tenant, item, "usd", 100_000, { payments: [{ status: "failed", paidAt: after }] });
    await sale(tenant, item, "gbp", 100_000, { payments: [{ status: "pending" }] });
    // Paid before the window; an order with no payment at all, whatever its row says.
    await sale(tenant, item, "usd", 100_000, { payments: [{ paidAt: before }] });
    await fixtureOrder(tenant, item, { currency: "usd", amountMinor: 100_000, status: "paid", paidMinor: 100_000, paidCurrency: "usd", paidAt: after });
    // A refund and a lost dispute of a payment that matches none of the tenant's orders (yet): not this revenue's.
    await db().insert(ledgerRefunds).values({ tenantId: tenant.id, id: `rfnd_${randomBase62(14)}`, orderId: null, paymentId: "pay_NotOurs000001", status: "succeeded", amountMinor: 900, currency: "usd", whopCreatedAt: after });
    await db().insert(ledgerDisputes).values({ tenantId: tenant.id, id: `dspt_${randomBase62(14)}`, orderId: null, paymentId: "pay_NotOurs000001", phase: "lost", whopStatus: "lost", amountMinor: 800, currency: "usd", updatedAt: after });
    // Another tenant's revenue in the same currencies and window.
    await sale(other.tenant, otherItem, "usd", 100_000, { payments: [paidAfter()] });
    await sale(other.tenant, otherItem, "chf", 100_000, { payments: [paidAfter()], refunds: [{ amountMinor: 1, whopCreatedAt: after }] });

    expect(await revenueByCurrency(tenant.id, since)).toEqual([
      { currency: "eur", netMinor: 1000 + 2000 + 2500 + 3000 - 3000, orders: 4 },
      { currency: "jpy", netMinor: 700, orders: 1 },
      { currency: "usd", netMinor: 2999 + (5000 - 1000) + (1500 - 1500), orders: 3 },
    ]);
    expect(await revenueByCurrency(other.tenant.id, since)).toEqual([
      { currency: "chf", netMinor: 99_999, orders: 1 },
      { currency: "usd", netMinor: 100_000, orders: 1 },
    ]);
  });

  it("counts every payment of an order (a subscription's renewals too), in the currency Whop charged; the order once", async () => {
    const { tenant } = await connectedMerchant();
    const item = await fixtureItem(tenant);
    await sale(tenant, item, "usd", 1000, {
      payments: [
        { paidAt: after, billingReason: "subscription_create" },
        { paidAt: new Date(after.getTime() + 1_000 * SECOND), billingReason: "subscription_cycle" },
      ],
    });
    // Whop charged euros for a dollar order: the money is euros.
    await sale(tenant, item, "usd", 2999, { payments: [{ paidAt: after, currency: "eur", amountMinor: 2750 }] });

    expect(await revenueByCurrency(tenant.id, since)).toEqual([
      { currency: "eur", netMinor: 2750, orders: 1 },
      { currency: "usd", netMinor: 2000, orders: 1 },
    ]);
  });

  it("counts each row by its own time: payments when paid, refunds when Whop created them, lost disputes when decided", async () => {
    const { tenant } = await connectedMerchant();
    const item = await fixtureItem(tenant);
    // Paid before the window, refunded and charged back in it: the window loses that money.
    await sale(tenant, item, "usd", 5000, {
      payments: [{ paidAt: before }],
      refunds: [{ amountMinor: 500, whopCreatedAt: after }],
      disputes: [{ phase: "lost", amountMinor: 4500, updatedAt: after }],
    });
    // Paid in the window; refunded (by Whop's time) and lost before it: not this window's.
    await sale(tenant, item, "eur", 5000, {
      payments: [{ paidAt: after }],
      refunds: [{ amountMinor: 500, whopCreatedAt: before, createdAt: after }],
      disputes: [{ phase: "lost", amountMinor: 1000, updatedAt: before }],
    });
    // Without Whop's time, a refund counts from when it was recorded.
    await sale(tenant, item, "jpy", 900, { payments: [{ paidAt: after }], refunds: [{ amountMinor: 100, whopCreatedAt: null, createdAt: after }] });
    await sale(tenant, item, "jpy", 900, { payments: [{ paidAt: after }], refunds: [{ amountMinor: 200, whopCreatedAt: null, createdAt: before }] });

    expect(await revenueByCurrency(tenant.id, since)).toEqual([
      { currency: "eur", netMinor: 5000, orders: 1 },
      { currency: "jpy", netMinor: 1800 - 100, orders: 2 },
      { currency: "usd", netMinor: -500 - 4500, orders: 0 },
    ]);
  });

  it("counts a refund tally carried over from before the ledger, per payment, as the larger of itself and Whop's own refunds", async () => {
    const { tenant } = await connectedMerchant();
    const item = await fixtureItem(tenant);
    const refund = (amountMinor: number, extra: Record<string, unknown> = {}) => ({ amountMinor, whopCreatedAt: after, ...extra });
    const migrated = (amountMinor: number, paymentId?: string) => ({ amountMinor, migrated: true, whopCreatedAt: null, createdAt: after, ...(paymentId ? { paymentId } : {}) });

    const made: Order[] = [];
    // The tally already covers Whop's refunds reported one by one: 1000, not 1000 + 400 + 300.
    made.push(await sale(tenant, item, "usd", 5000, { payments: [paidAfter()], refunds: [migrated(1000), refund(400), refund(300)] }));
    // Whop's own refunds went beyond the tally: 800.
    made.push(await sale(tenant, item, "usd", 5000, { payments: [paidAfter()], refunds: [migrated(500), refund(800)] }));
    // Per payment: a tally on the first payment and a refund of the second both count, 600 + 900.
    const sub = await fixtureOrder(tenant, item, { currency: "usd", amountMinor: 2500 });
    const [first, second] = [`pay_${randomBase62(14)}`, `pay_${randomBase62(14)}`];
    made.push(
      (
        await fixtureLedger(tenant, sub, {
          payments: [
            { id: first, paidAt: after },
            { id: second, paidAt: after },
          ],
          refunds: [migrated(600, first), refund(900, { paymentId: second })],
        })
      ).order,
    );
    // A pending refund of Whop's is not money back: the tally alone, 200.
    made.push(await sale(tenant, item, "usd", 5000, { payments: [paidAfter()], refunds: [migrated(200), refund(1000, { status: "pending" })] }));

    const paid = 5000 + 5000 + 2500 + 2500 + 5000;
    const refunded = 1000 + 800 + (600 + 900) + 200;
    expect(await revenueByCurrency(tenant.id, since)).toEqual([{ currency: "usd", netMinor: paid - refunded, orders: 4 }]);
    // The same rule as each order's own refunded amount.
    expect(made.map((order) => order.refundedMinor)).toEqual([1000, 800, 1500, 200]);
  });

  it("is empty when nothing was paid since the date", async () => {
    const { tenant } = await connectedMerchant();
    const item = await fixtureItem(tenant);
    await sale(tenant, item, "usd", 2999, { payments: [{ paidAt: new Date(Date.UTC(2020, 0, 1)) }] });
    expect(await revenueByCurrency(tenant.id, new Date(Date.UTC(2021, 0, 1)))).toEqual([]);
  });

  it("returns numbers, not strings, for sums beyond 2^31", async () => {
    const { tenant } = await connectedMerchant();
    const item = await fixtureItem(tenant);
    for (let i = 0; i < 3; i++) await sale(tenant, item, "usd", 1_000_000_000, { payments: [{ paidAt: since }] });
    expect(await revenueByCurrency(tenant.id, since)).toEqual([{ currency: "usd", netMinor: 3_000_000_000, orders: 3 }]);
  });
});
