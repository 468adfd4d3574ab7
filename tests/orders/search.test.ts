import { describe, expect, it, vi } from "vitest";
import OrdersPage from "@/app/dashboard/orders/page";
import type { Order } from "@/db/schema";
import { listOrders, orderFilterSchema, type OrderFilter } from "@/lib/orders/queries";
import { withTestDatabase } from "../db";
import { connectedMerchant, fixtureItem, fixtureLedger, fixtureOrder } from "../fixtures";
import { html } from "../isolation/next-errors";
import { signInAs } from "../isolation/session";

vi.mock("@/lib/auth/session", () => import("../isolation/session"));

withTestDatabase();

async function allIds(tenantId: string, filter: Omit<OrderFilter, "cursor">, pageSize: number): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 50; pages++) {
    const page = await listOrders(tenantId, { ...filter, cursor }, pageSize);
    ids.push(...page.rows.map((row) => row.order.id));
    cursor = page.nextCursor ?? undefined;
    if (!cursor) return ids;
  }
  throw new Error("pagination does not end");
}

/** Orders a second apart, newest last in `made`; emails vary in case and share prefixes. */
async function shop() {
  const merchant = await connectedMerchant();
  const other = await connectedMerchant();
  const item = await fixtureItem(merchant.tenant);
  const otherItem = await fixtureItem(other.tenant);
  const base = Date.UTC(2031, 3, 1);
  const made: Order[] = [];
  const emails = ["Alice@Example.com", "alice.smith@example.com", "alicia@example.org", "bob@example.com", "a_b%c@example.com", "axbyc@example.com"];
  for (let i = 0; i < 24; i++) {
    made.push(
      await fixtureOrder(merchant.tenant, item, {
        createdAt: new Date(base + i * 1000),
        status: i % 2 === 0 ? "paid" : "pending",
        buyerEmail: emails[i % emails.length],
        whopPaymentId: `pay_search${i}`,
      }),
    );
  }
  // The other merchant has buyers and payments that look the same.
  await fixtureOrder(other.tenant, otherItem, { buyerEmail: "alice@example.com", whopPaymentId: "pay_search3", status: "paid" });
  await fixtureOrder(other.tenant, otherItem, { buyerEmail: "alice@example.com", whopPaymentId: "pay_elsewhere" });
  return { merchant, other, item, made };
}

const newestFirst = (orders: Order[]) => orders.map((o) => o.id).reverse();

describe("orders search", () => {
  it("finds an order by any payment of its ledger (a renewal, a retried charge), never another merchant's", async () => {
    const { merchant, other, item, made } = await shop();
    const renewed = await fixtureOrder(merchant.tenant, item, { whopPaymentId: "pay_firstOfMany" });
    await fixtureLedger(merchant.tenant, renewed, { payments: [{ id: "pay_firstOfMany" }, { id: "pay_renewal0001", billingReason: "subscription_cycle" }] });
    const strangers = await fixtureOrder(other.tenant, (await fixtureItem(other.tenant)), {});
    await fixtureLedger(other.tenant, strangers, { payments: [{ id: "pay_renewalOfB1" }] });

    expect(await allIds(merchant.tenant.id, { q: "pay_renewal0001" }, 10)).toEqual([renewed.id]);
    expect(await allIds(merchant.tenant.id, { q: "pay_firstOfMany" }, 10)).toEqual([renewed.id]);
    expect(await allIds(merchant.tenant.id, { q: "pay_renewalOfB1" }, 10)).toEqual([]);
    expect(await allIds(merchant.tenant.id, { q: "pay_search3" }, 10)).toEqual([made[3]!.id]);
  });

  it("finds one order by its exact Whop payment id, and never another merchant's", async () => {
    const { merchant, made } = await shop();
    expect(await allIds(merchant.tenant.id, { q: "pay_search3" }, 10)).toEqual([made[3]!.id]);
    expect(await allIds(merchant.tenant.id, { q: "pay_search" }, 10)).toEqual([]); // ids match exactly, not by prefix
    expect(await allIds(merchant.tenant.id, { q: "pay_elsewhere" }, 10)).toEqual([]);
    expect(await allIds(merchant.tenant.id, { q: "pay_search3", status: "paid" }, 10)).toEqual([]);
    expect(await allIds(merchant.tenant.id, { q: "pay_search3", status: "pending" }, 10)).toEqual([made[3]!.id]);
  });

  it("finds an order by its order id or Whop checkout id", async () => {
    const { merchant, made } = await shop();
    expect(await allIds(merchant.tenant.id, { q: made[5]!.id }, 10)).toEqual([made[5]!.id]);
    expect(await allIds(merchant.tenant.id, { q: made[7]!.whopCheckoutId! }, 10)).toEqual([made[7]!.id]);
  });

  it("matches the start of the buyer's email whatever its case, across pages, newest first", async () => {
    const { merchant, made } = await shop();
    const alice = made.filter((o) => o.buyerEmail!.toLowerCase().startsWith("alice"));
    expect(alice).toHaveLength(8);
    expect(await allIds(merchant.tenant.id, { q: "ALICE" }, 3)).toEqual(newestFirst(alice));
    expect(await allIds(merchant.tenant.id, { q: "alice@example.com" }, 3)).toEqual(newestFirst(alice.filter((o) => o.buyerEmail === "Alice@Example.com")));
    expect(await allIds(merchant.tenant.id, { q: "ali" }, 5)).toHaveLength(12);
    expect(await allIds(merchant.tenant.id, { q: "example.com" }, 5)).toEqual([]); // a prefix, not a substring
  });

  it("combines with the status filter across pages", async () => {
    const { merchant, made } = await shop();
    const paidAlice = made.filter((o) => o.status === "paid" && o.buyerEmail!.toLowerCase().startsWith("alice"));
    expect(paidAlice.length).toBeGreaterThan(2);
    expect(await allIds(merchant.tenant.id, { q: "alice", status: "paid" }, 2)).toEqual(newestFirst(paidAlice));
  });

  it("treats % and _ in the search as the characters they are", async () => {
    const { merchant, made } = await shop();
    const literal = made.filter((o) => o.buyerEmail === "a_b%c@example.com");
    expect(await allIds(merchant.tenant.id, { q: "a_b%" }, 10)).toEqual(newestFirst(literal));
    expect(await allIds(merchant.tenant.id, { q: "a_" }, 10)).toEqual(newestFirst(literal));
    expect(await allIds(merchant.tenant.id, { q: "%" }, 10)).toEqual([]);
  });

  it("the status filter takes the statuses the ledger derives, and drops the old checkout_failed", () => {
    for (const status of ["pending", "expired", "failed", "paid", "partially_refunded", "refunded", "disputed", "dispute_lost"]) {
      expect(orderFilterSchema.parse({ status }).status).toBe(status);
    }
    expect(orderFilterSchema.parse({ status: "checkout_failed" }).status).toBeUndefined();
  });

  it("an empty or blank search is no search", () => {
    expect(orderFilterSchema.parse({ q: "   " }).q).toBeUndefined();
    expect(orderFilterSchema.parse({ q: "  Bob@x " }).q).toBe("Bob@x");
    expect(orderFilterSchema.parse({ q: ["a", "b"] }).q).toBeUndefined();
  });

  it("the page keeps the search in its Search field, the next-page link and the export link", async () => {
    const { merchant, made, item } = await shop();
    signInAs(merchant);
    const page = html(await OrdersPage({ searchParams: Promise.resolve({ q: "alice", status: "paid" }) }));
    expect(page).toContain(">Search</span>");
    expect(page).toMatch(/name="q"[^>]*value="alice"|value="alice"[^>]*name="q"/);
    expect(page).toContain('href="/dashboard/orders/export?status=paid&amp;q=alice"');
    for (const order of made.filter((o) => o.status === "paid" && o.buyerEmail!.toLowerCase().startsWith("alice"))) {
      expect(page).toContain(`/dashboard/orders/${order.id}`);
    }
    expect(page).not.toContain(`/dashboard/orders/${made.find((o) => o.buyerEmail === "bob@example.com")!.id}`);

    // More than a page (25) of results: the next-page link carries the search.
    for (let i = 0; i < 8; i++) await fixtureOrder(merchant.tenant, item, { buyerEmail: `another${i}@example.com` });
    const many = html(await OrdersPage({ searchParams: Promise.resolve({ q: "a" }) }));
    expect(many).toMatch(/href="\/dashboard\/orders\?q=a&amp;cursor=[^"]+"/);
  });
});
