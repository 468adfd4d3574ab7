import { and, eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { db, selectRows } from "@/db/client";
import { orders, type Item, type Order, type Tenant } from "@/db/schema";
import { listOrders, revenueByCurrency, type OrderFilter, type OrderRow } from "@/lib/orders/queries";
import { withTestDatabase } from "../db";
import { connectedMerchant, fixtureItem, fixtureOrder } from "../fixtures";

withTestDatabase();

const STATUSES = ["pending", "paid", "failed", "refunded", "partially_refunded", "disputed", "checkout_failed"] as const;
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
  async function settled(tenant: Tenant, item: Item, currency: string, amountMinor: number, overrides: Partial<Order>) {
    return fixtureOrder(tenant, item, { currency, amountMinor, paidMinor: amountMinor, paidCurrency: currency, ...overrides });
  }

  it("sums amount minus refunds per currency, for settled orders paid since the date, of this tenant only", async () => {
    const { tenant } = await connectedMerchant();
    const other = await connectedMerchant();
    const item = await fixtureItem(tenant);
    const otherItem = await fixtureItem(other.tenant);
    const since = new Date(Date.UTC(2031, 5, 1));
    const after = new Date(since.getTime() + 3_600 * SECOND);
    const before = new Date(since.getTime() - SECOND);

    await settled(tenant, item, "usd", 2999, { status: "paid", paidAt: after });
    await settled(tenant, item, "usd", 5000, { status: "partially_refunded", refundedMinor: 1000, paidAt: after });
    await settled(tenant, item, "usd", 1500, { status: "refunded", refundedMinor: 1500, paidAt: after });
    await settled(tenant, item, "eur", 1000, { status: "disputed", paidAt: after });
    await settled(tenant, item, "jpy", 700, { status: "paid", paidAt: since }); // exactly at `since`: counted
    // Not settled, even with a paid_at: not revenue.
    await settled(tenant, item, "usd", 100_000, { status: "pending", paidAt: after });
    await settled(tenant, item, "usd", 100_000, { status: "failed", paidAt: after });
    await settled(tenant, item, "usd", 100_000, { status: "checkout_failed", paidAt: after });
    await settled(tenant, item, "gbp", 100_000, { status: "pending", paidAt: null });
    // Paid before the window, or never recorded as paid.
    await settled(tenant, item, "usd", 100_000, { status: "paid", paidAt: before });
    await settled(tenant, item, "eur", 100_000, { status: "paid", paidAt: null });
    // Another tenant's revenue in the same currencies and window.
    await settled(other.tenant, otherItem, "usd", 100_000, { status: "paid", paidAt: after });
    await settled(other.tenant, otherItem, "chf", 100_000, { status: "paid", paidAt: after });

    expect(await revenueByCurrency(tenant.id, since)).toEqual([
      { currency: "eur", netMinor: 1000, orders: 1 },
      { currency: "jpy", netMinor: 700, orders: 1 },
      { currency: "usd", netMinor: 2999 + 4000 + 0, orders: 3 },
    ]);
    expect(await revenueByCurrency(other.tenant.id, since)).toEqual([
      { currency: "chf", netMinor: 100_000, orders: 1 },
      { currency: "usd", netMinor: 100_000, orders: 1 },
    ]);
  });

  it("is empty when nothing was paid since the date", async () => {
    const { tenant } = await connectedMerchant();
    const item = await fixtureItem(tenant);
    await settled(tenant, item, "usd", 2999, { status: "paid", paidAt: new Date(Date.UTC(2020, 0, 1)) });
    expect(await revenueByCurrency(tenant.id, new Date(Date.UTC(2021, 0, 1)))).toEqual([]);
  });

  it("returns numbers, not strings, for sums beyond 2^31", async () => {
    const { tenant } = await connectedMerchant();
    const item = await fixtureItem(tenant);
    const since = new Date(Date.UTC(2031, 0, 1));
    for (let i = 0; i < 3; i++) await settled(tenant, item, "usd", 1_000_000_000, { status: "paid", paidAt: since });
    expect(await revenueByCurrency(tenant.id, since)).toEqual([{ currency: "usd", netMinor: 3_000_000_000, orders: 3 }]);
  });
});
