import type { OrderFilter, OrderRow } from "@/lib/orders/queries";
import { listOrders } from "@/lib/orders/queries";
import { isCurrency, toMajorString } from "@/lib/money";
import { billingOfDays } from "@/lib/subscriptions/billing";
import { displayState } from "@/lib/subscriptions/lifecycle";

/*
 * The orders CSV: RFC 4180 (CRLF rows, fields quoted when they hold a quote, comma or line
 * break, quotes doubled), and safe to open in a spreadsheet: a cell that a spreadsheet would run
 * as a formula (=, +, -, @, or a leading tab or CR) is prefixed with an apostrophe. Buyer emails
 * come from Whop and item titles from the merchant, so neither is trusted.
 */

export type CsvValue = string | number | boolean | null | undefined;

const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

export function csvCell(value: CsvValue): string {
  if (value === null || value === undefined) return "";
  let text = String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvRow(values: readonly CsvValue[]): string {
  return `${values.map(csvCell).join(",")}\r\n`;
}

export const ORDER_CSV_COLUMNS = [
  "created_at",
  "order_id",
  "item",
  "status",
  "refund_pending",
  "amount_differs",
  "amount",
  "currency",
  "paid",
  "refunded",
  "paid_currency",
  "buyer_email",
  "whop_payment_id",
  "whop_checkout_id",
  // A subscription's columns, empty for a one-time order (billing says one_time).
  "subscription_state",
  "billing",
  "current_period_end",
  "cancel_at_period_end",
] as const;

/** Amounts in decimal major units ("29.99"), exact: `amount` in the order's currency, `paid` and `refunded` in the one Whop charged. */
function major(minor: number, currency: string): string {
  return isCurrency(currency) ? toMajorString(minor, currency) : String(minor);
}

/** How often the order bills, as the item form's snake_case words (an unusual period: `every_<n>_days`). */
function billingWord(days: number | null): string {
  return billingOfDays(days) ?? `every_${days}_days`;
}

/** One order as a row; the subscription state as the Subscriptions page shows it at `now`. */
export function orderCsvRow({ order, itemTitle }: OrderRow, now = new Date()): string {
  const days = order.billingPeriodDays ?? null;
  const subscription = days !== null;
  return csvRow([
    order.createdAt.toISOString(),
    order.id,
    itemTitle,
    order.status,
    order.refundPending,
    order.amountMismatch,
    major(order.amountMinor, order.currency),
    order.currency.toUpperCase(),
    order.paidMinor === null ? null : major(order.paidMinor, order.paidCurrency ?? order.currency),
    major(order.refundedMinor, order.paidCurrency ?? order.currency),
    order.paidCurrency?.toUpperCase() ?? null,
    order.buyerEmail,
    order.whopPaymentId,
    order.whopCheckoutId,
    subscription ? displayState(order, now) : null,
    billingWord(days),
    subscription ? (order.currentPeriodEnd?.toISOString() ?? null) : null,
    subscription ? order.cancelAtPeriodEnd : null,
  ]);
}

export function ordersCsvFilename(now = new Date()): string {
  return `orders-${now.toISOString().slice(0, 10)}.csv`;
}

/**
 * Every order matching the filter as CSV text, produced page by page along the same keyset as the
 * orders page, so a tenant with 100k orders never has them all in memory at once.
 */
export function ordersCsvStream(tenantId: string, filter: Omit<OrderFilter, "cursor">, pageSize = 1000): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let cursor: string | undefined;
  let started = false;
  let done = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!started) {
        started = true;
        controller.enqueue(encoder.encode(csvRow(ORDER_CSV_COLUMNS)));
        return;
      }
      if (done) return;
      const page = await listOrders(tenantId, { ...filter, cursor }, pageSize);
      if (page.rows.length > 0) controller.enqueue(encoder.encode(page.rows.map((row) => orderCsvRow(row)).join("")));
      cursor = page.nextCursor ?? undefined;
      if (!cursor) {
        done = true;
        controller.close();
      }
    },
  });
}
