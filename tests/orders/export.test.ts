import { describe, expect, it, vi } from "vitest";
import { GET } from "@/app/dashboard/orders/export/route";
import { db } from "@/db/client";
import { orders, type Item, type Order, type Tenant } from "@/db/schema";
import { newId, randomBase62 } from "@/lib/ids";
import { ORDER_CSV_COLUMNS } from "@/lib/orders/csv";
import { withTestDatabase } from "../db";
import { connectedMerchant, fixtureItem, fixtureOrder } from "../fixtures";
import { signInAs, signOut } from "../isolation/session";

vi.mock("@/lib/auth/session", () => import("../isolation/session"));

withTestDatabase();

/** A minimal RFC 4180 reader: quoted fields, doubled quotes, CRLF records. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ",") {
      record.push(field);
      field = "";
    } else if (char === "\r" && text[i + 1] === "\n") {
      record.push(field);
      records.push(record);
      record = [];
      field = "";
      i++;
    } else field += char;
  }
  expect(field).toBe("");
  return records;
}

const exportUrl = (query: Record<string, string> = {}) => `http://localhost:3000/dashboard/orders/export?${new URLSearchParams(query)}`;

async function exported(query: Record<string, string> = {}) {
  const response = await GET(new Request(exportUrl(query)));
  expect(response.status).toBe(200);
  const [header, ...rows] = parseCsv(await response.text());
  expect(header).toEqual([...ORDER_CSV_COLUMNS]);
  return { response, rows, ids: rows.map((row) => row[1]!) };
}

/**
 * `count` orders in one multi-row insert per 500, a second apart, statuses cycling
 * paid/pending/refunded, with the amounts the ledger would derive for them (paid in full, refunded in full).
 */
async function manyOrders(tenant: Tenant, item: Item, count: number): Promise<string[]> {
  const base = Date.UTC(2031, 0, 1);
  const statuses = ["paid", "pending", "refunded"] as const;
  const ids: string[] = [];
  for (let start = 0; start < count; start += 500) {
    const rows = Array.from({ length: Math.min(500, count - start) }, (_, k) => {
      const i = start + k;
      const id = newId("ord");
      ids.push(id);
      return {
        id,
        tenantId: tenant.id,
        itemId: item.id,
        status: statuses[i % 3]!,
        amountMinor: item.priceMinor,
        paidMinor: statuses[i % 3] === "pending" ? null : item.priceMinor,
        paidCurrency: statuses[i % 3] === "pending" ? null : item.currency,
        refundedMinor: statuses[i % 3] === "refunded" ? item.priceMinor : 0,
        currency: item.currency,
        attemptId: randomBase62(24),
        // Pairs share a timestamp so page boundaries fall between ties.
        createdAt: new Date(base + Math.floor(i / 2) * 1000),
        buyerEmail: `buyer${i}@example.com`,
        whopPaymentId: `pay_${i}x${randomBase62(8)}`,
      } satisfies typeof orders.$inferInsert;
    });
    await db().insert(orders).values(rows);
  }
  return ids;
}

describe("GET /dashboard/orders/export", () => {
  it("streams all 2,500 orders of the merchant once each, as an attachment, and none of another merchant's", async () => {
    const a = await connectedMerchant();
    const b = await connectedMerchant();
    const item = await fixtureItem(a.tenant, { title: "Pack, \"deluxe\"" });
    const ids = await manyOrders(a.tenant, item, 2500);
    const bItem = await fixtureItem(b.tenant);
    const bOrder: Order = await fixtureOrder(b.tenant, bItem, { createdAt: new Date(Date.UTC(2031, 0, 1, 0, 10)), buyerEmail: "buyer1@example.com" });

    signInAs(a);
    const { response, rows, ids: seen } = await exported();
    expect(response.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(response.headers.get("content-disposition")).toMatch(/^attachment; filename="orders-\d{4}-\d{2}-\d{2}\.csv"$/);
    expect(seen).toHaveLength(2500);
    expect(new Set(seen)).toEqual(new Set(ids));
    expect(seen).not.toContain(bOrder.id);
    // Every row's cells follow from its status: paid in full unless pending, refunded in full when refunded.
    const cells = (status: string) => ({ paid: status === "pending" ? "" : "29.99", refunded: status === "refunded" ? "29.99" : "0.00" });
    expect(rows[0]).toEqual([
      expect.stringMatching(/^2031-01-01T00:20:49\.000Z$/),
      expect.stringMatching(/^ord_/),
      'Pack, "deluxe"',
      expect.stringMatching(/^(paid|pending|refunded)$/),
      "false",
      "false",
      "29.99",
      "USD",
      cells(rows[0]![3]!).paid,
      cells(rows[0]![3]!).refunded,
      rows[0]![3] === "pending" ? "" : "USD",
      expect.stringMatching(/^buyer249\d@example\.com$/),
      expect.stringMatching(/^pay_/),
      "",
      "",
      "one_time",
      "",
      "",
    ]);
    for (const status of ["paid", "pending", "refunded"]) {
      const row = rows.find((r) => r[3] === status)!;
      expect([row[8], row[9]]).toEqual([cells(status).paid, cells(status).refunded]);
    }

    signInAs(b);
    expect((await exported()).ids).toEqual([bOrder.id]);
  });

  it("applies the status, item and search filters of the orders page", async () => {
    const a = await connectedMerchant();
    const x = await fixtureItem(a.tenant, { title: "X" });
    const y = await fixtureItem(a.tenant, { title: "Y" });
    await manyOrders(a.tenant, x, 30);
    const onY = await fixtureOrder(a.tenant, y, { status: "paid", buyerEmail: "Someone@Example.com", whopPaymentId: "pay_onY123" });

    signInAs(a);
    const paid = await exported({ status: "paid" });
    expect(paid.rows).toHaveLength(11);
    expect(paid.rows.every((row) => row[3] === "paid")).toBe(true);

    expect((await exported({ item: y.id })).ids).toEqual([onY.id]);
    expect((await exported({ q: "pay_onY123" })).ids).toEqual([onY.id]);
    expect((await exported({ q: "someone@" })).ids).toEqual([onY.id]);
    expect((await exported({ q: "buyer1", status: "pending" })).rows.map((row) => row[ORDER_CSV_COLUMNS.indexOf("buyer_email")]).sort()).toEqual([
      "buyer10@example.com",
      "buyer13@example.com",
      "buyer16@example.com",
      "buyer19@example.com",
      "buyer1@example.com",
    ]);
    expect((await exported({ q: "nobody@", item: y.id })).rows).toEqual([]);
    // Garbage is ignored, as on the page, and a cursor never skips rows of an export.
    expect((await exported({ status: "bogus", cursor: "whatever" })).rows).toHaveLength(31);
  });

  it("never exports another merchant's orders by naming their item", async () => {
    const a = await connectedMerchant();
    const b = await connectedMerchant();
    const bItem = await fixtureItem(b.tenant);
    await fixtureOrder(b.tenant, bItem, { whopPaymentId: "pay_ofB" });

    signInAs(a);
    expect((await exported({ item: bItem.id })).rows).toEqual([]);
    expect((await exported({ q: "pay_ofB" })).rows).toEqual([]);
  });

  it("sends a signed-out visitor to /login without any data", async () => {
    signOut();
    const response = await GET(new Request(exportUrl()));
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/login");
    expect(await response.text()).toBe("");
  });
});
