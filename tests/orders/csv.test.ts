import { describe, expect, it } from "vitest";
import { csvCell, csvRow, ORDER_CSV_COLUMNS, orderCsvRow, ordersCsvFilename } from "@/lib/orders/csv";
import type { Order } from "@/db/schema";

describe("csvCell: RFC 4180 quoting", () => {
  it("leaves plain text, numbers and booleans as they are, and empty for null", () => {
    expect(csvCell("pay_123")).toBe("pay_123");
    expect(csvCell(29.99)).toBe("29.99");
    expect(csvCell(true)).toBe("true");
    expect(csvCell(null)).toBe("");
    expect(csvCell(undefined)).toBe("");
    expect(csvCell("")).toBe("");
  });

  it("quotes a cell holding a comma, a quote or a line break, doubling quotes", () => {
    expect(csvCell("Templates, volume 2")).toBe('"Templates, volume 2"');
    expect(csvCell('The "best" pack')).toBe('"The ""best"" pack"');
    expect(csvCell("line one\nline two")).toBe('"line one\nline two"');
    expect(csvCell("line one\r\nline two")).toBe('"line one\r\nline two"');
    expect(csvCell('"')).toBe('""""');
  });

  it("keeps unicode exactly", () => {
    expect(csvCell("Zoë’s café ☕ — 東京")).toBe("Zoë’s café ☕ — 東京");
    expect(csvCell("émoji, 👍")).toBe('"émoji, 👍"');
  });
});

describe("csvCell: formula injection", () => {
  it.each([
    ["=HYPERLINK(\"http://evil\",\"x\")", "\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\""],
    ["+1+1", "'+1+1"],
    ["-2+3", "'-2+3"],
    ["@SUM(A1)", "'@SUM(A1)"],
    ["\t=1", "'\t=1"],
    ["\r=1", "\"'\r=1\""],
    ["=1,2", "\"'=1,2\""],
  ])("prefixes %j with an apostrophe", (input, expected) => {
    expect(csvCell(input)).toBe(expected);
  });

  it("leaves the characters alone when they are not at the start", () => {
    expect(csvCell("a=b")).toBe("a=b");
    expect(csvCell("buyer+tag@example.com")).toBe("buyer+tag@example.com");
    expect(csvCell(" =1")).toBe(" =1");
  });
});

describe("csvRow", () => {
  it("joins cells with commas and ends with CRLF", () => {
    expect(csvRow(["a", "b,c", null, "=x"])).toBe('a,"b,c",,\'=x\r\n');
  });
});

describe("orderCsvRow", () => {
  const order = {
    id: "ord_1",
    createdAt: new Date("2031-02-03T04:05:06.789Z"),
    status: "partially_refunded",
    amountMinor: 2999,
    currency: "usd",
    paidMinor: 2999,
    paidCurrency: "usd",
    refundedMinor: 500,
    refundPending: true,
    amountMismatch: false,
    buyerEmail: "=cmd@example.com",
    whopPaymentId: "pay_1",
    whopCheckoutId: null,
  } as Order;

  it("writes amounts in major units, the currency upper-case and escapes untrusted text", () => {
    expect(orderCsvRow({ order, itemTitle: "Pack, \"deluxe\"" })).toBe(
      '2031-02-03T04:05:06.789Z,ord_1,"Pack, ""deluxe""",partially_refunded,true,false,29.99,USD,29.99,5.00,USD,\'=cmd@example.com,pay_1,,,one_time,,\r\n',
    );
    expect(orderCsvRow({ order: { ...order, amountMinor: 1500, paidMinor: 1500, refundedMinor: 0, currency: "jpy", paidCurrency: "jpy" }, itemTitle: "x" })).toContain(",1500,JPY,1500,0,JPY,");
  });

  it("leaves paid empty before any payment and writes the flags as they are", () => {
    const pending = { ...order, status: "pending", paidMinor: null, paidCurrency: null, refundedMinor: 0, refundPending: false, amountMismatch: false } as Order;
    expect(orderCsvRow({ order: pending, itemTitle: "x" })).toBe("2031-02-03T04:05:06.789Z,ord_1,x,pending,false,false,29.99,USD,,0.00,,'=cmd@example.com,pay_1,,,one_time,,\r\n");
    const differs = { ...order, status: "paid", paidMinor: 3499, refundedMinor: 0, refundPending: false, amountMismatch: true } as Order;
    expect(orderCsvRow({ order: differs, itemTitle: "x" })).toContain(",paid,false,true,29.99,USD,34.99,0.00,USD,");
    // Whop charged euros for a dollar order: paid and refunded are euros, and the row says so.
    const inEuros = { ...differs, paidMinor: 2750, paidCurrency: "eur", refundedMinor: 1000 } as Order;
    expect(orderCsvRow({ order: inEuros, itemTitle: "x" })).toContain(",paid,false,true,29.99,USD,27.50,10.00,EUR,");
  });

  it("adds a subscription's state as the Subscriptions page shows it, its billing, period end and cancel at period end", () => {
    const now = new Date("2031-03-01T00:00:00Z");
    const trial = { ...order, status: "pending", paidMinor: null, paidCurrency: null, refundedMinor: 0, refundPending: false, billingPeriodDays: 30, subscriptionState: "trialing", currentPeriodEnd: new Date("2031-03-08T00:00:00Z"), cancelAtPeriodEnd: false } as Order;
    expect(orderCsvRow({ order: trial, itemTitle: "x" }, now)).toMatch(/,pending,.*,trialing,monthly,2031-03-08T00:00:00\.000Z,false\r\n$/);
    // Canceling, and the period is over: canceled, as the Subscriptions page says before Whop does.
    const ended = { ...trial, status: "paid", billingPeriodDays: 365, subscriptionState: "canceling", currentPeriodEnd: new Date("2031-02-28T00:00:00Z"), cancelAtPeriodEnd: true } as Order;
    expect(orderCsvRow({ order: ended, itemTitle: "x" }, now)).toMatch(/,canceled,yearly,2031-02-28T00:00:00\.000Z,true\r\n$/);
    expect(orderCsvRow({ order: { ...trial, billingPeriodDays: 14 } as Order, itemTitle: "x" }, now)).toContain(",trialing,every_14_days,");
  });

  it("has one header per cell of a row", () => {
    expect(ORDER_CSV_COLUMNS).toEqual(["created_at", "order_id", "item", "status", "refund_pending", "amount_differs", "amount", "currency", "paid", "refunded", "paid_currency", "buyer_email", "whop_payment_id", "whop_checkout_id", "subscription_state", "billing", "current_period_end", "cancel_at_period_end"]);
    expect(orderCsvRow({ order, itemTitle: "x" }).replace(/\r\n$/, "").split(",")).toHaveLength(ORDER_CSV_COLUMNS.length);
  });

  it("names the file after the UTC date", () => {
    expect(ordersCsvFilename(new Date("2031-12-31T23:30:00Z"))).toBe("orders-2031-12-31.csv");
  });
});
