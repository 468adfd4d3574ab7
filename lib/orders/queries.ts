import { and, desc, eq, sql, type SQL } from "drizzle-orm";
import { z } from "zod";
import { keysetBefore } from "@/db/keyset";
import { db, plannedPerRun, type Executor } from "@/db/client";
import { items, ledgerPayments, orders, orderStatus, type Item, type Order } from "@/db/schema";

export const ORDER_STATUSES = orderStatus.enumValues;
export type OrderStatus = Order["status"];

export const orderFilterSchema = z.object({
  status: z.enum(ORDER_STATUSES).optional().catch(undefined),
  item: z.string().max(64).optional().catch(undefined),
  /** A Whop payment id (`pay_…`), an order id, a Whop checkout id, or the start of a buyer's email. */
  q: z
    .string()
    .trim()
    .max(200)
    .transform((text) => text || undefined)
    .optional()
    .catch(undefined),
  cursor: z.string().max(200).optional().catch(undefined),
});
export type OrderFilter = z.output<typeof orderFilterSchema>;

/** The filter as query-string pairs (no cursor), for the next-page and export links. */
export function orderFilterParams(filter: OrderFilter): Record<string, string> {
  return {
    ...(filter.status ? { status: filter.status } : {}),
    ...(filter.item ? { item: filter.item } : {}),
    ...(filter.q ? { q: filter.q } : {}),
  };
}

const ID_PREFIXES = [
  { prefix: "ord_", column: orders.id },
  { prefix: "ch_", column: orders.whopCheckoutId },
] as const;
const ID_CHARACTERS = /^[A-Za-z0-9_]+$/;

/**
 * What the Search box means, chosen so each case is one index range: a payment id matches the
 * order's first payment or any payment of its ledger (a renewal, a retried charge; the ledger's
 * primary key), other ids with a known prefix are an exact match (the primary key,
 * orders_tenant_checkout_idx); anything else is a case-insensitive prefix of the buyer's email
 * (orders_tenant_buyer_email_idx).
 */
function searchCondition(tenantId: string, q: string): SQL {
  if (q.startsWith("pay_") && ID_CHARACTERS.test(q)) {
    const inLedger = db()
      .select({ orderId: ledgerPayments.orderId })
      .from(ledgerPayments)
      .where(and(eq(ledgerPayments.tenantId, tenantId), eq(ledgerPayments.id, q)));
    return sql`(${orders.whopPaymentId} = ${q} or ${orders.id} in (${inLedger}))`;
  }
  const id = ID_PREFIXES.find(({ prefix }) => q.startsWith(prefix) && ID_CHARACTERS.test(q));
  if (id) return eq(id.column, q);
  // LIKE's wildcards are literal in an email (`_` is common): escape them and the escape character.
  const prefix = q.toLowerCase().replace(/[\\%_]/g, (char) => `\\${char}`);
  return sql`lower(${orders.buyerEmail}) like ${`${prefix}%`}`;
}

interface Cursor {
  createdAt: Date;
  id: string;
}

/** The keyset cursor of a list ordered by (created_at, id) descending (orders, subscriptions). */
export function encodeCursor(order: Pick<Order, "createdAt" | "id">): string {
  return Buffer.from(`${order.createdAt.toISOString()}|${order.id}`).toString("base64url");
}

/** Whether `text` is a cursor this module handed out (the merchant API refuses others with a 400). */
export function isOrderCursor(text: string): boolean {
  return decodeCursor(text) !== undefined;
}

export function decodeCursor(text: string | undefined): Cursor | undefined {
  if (!text) return undefined;
  const [iso, id] = Buffer.from(text, "base64url").toString("utf8").split("|");
  const createdAt = new Date(iso ?? "");
  return id && !Number.isNaN(createdAt.getTime()) ? { createdAt, id } : undefined;
}

export interface OrderRow {
  order: Order;
  itemTitle: string;
}

/**
 * Keyset pagination on (created_at, id) descending: each page is one index range scan however
 * deep it is, and ties in time are broken by id so no row is skipped or repeated.
 */
export async function listOrders(tenantId: string, filter: OrderFilter, pageSize = 25, executor: Executor = db()): Promise<{ rows: OrderRow[]; nextCursor: string | null }> {
  const conditions: SQL[] = [eq(orders.tenantId, tenantId)];
  if (filter.status) conditions.push(eq(orders.status, filter.status));
  if (filter.item) conditions.push(eq(orders.itemId, filter.item));
  if (filter.q) conditions.push(searchCondition(tenantId, filter.q));
  return pageOfOrders(conditions, filter.cursor, pageSize, executor);
}

/**
 * One keyset page of the orders matching `conditions` (tenant first), with their item's title,
 * newest first, and the cursor of the next page: the orders list and the subscriptions list.
 */
export async function pageOfOrders(conditions: SQL[], cursorText: string | undefined, pageSize: number, executor: Executor = db()): Promise<{ rows: OrderRow[]; nextCursor: string | null }> {
  const cursor = decodeCursor(cursorText);
  if (cursor) conditions.push(keysetBefore(orders.createdAt, orders.id, cursor.createdAt, cursor.id));
  const rows = await plannedPerRun(executor, (tx) =>
    tx
      .select({ order: orders, itemTitle: items.title })
      .from(orders)
      .innerJoin(items, and(eq(items.tenantId, orders.tenantId), eq(items.id, orders.itemId)))
      .where(and(...conditions))
      .orderBy(desc(orders.createdAt), desc(orders.id))
      .limit(pageSize + 1),
  );
  const page = rows.slice(0, pageSize);
  return { rows: page, nextCursor: rows.length > pageSize ? encodeCursor(page[page.length - 1]!.order) : null };
}

export async function getOrder(tenantId: string, orderId: string, executor: Executor = db()): Promise<{ order: Order; item: Item } | undefined> {
  const [row] = await executor
    .select({ order: orders, item: items })
    .from(orders)
    .innerJoin(items, and(eq(items.tenantId, orders.tenantId), eq(items.id, orders.itemId)))
    .where(and(eq(orders.tenantId, tenantId), eq(orders.id, orderId)))
    .limit(1);
  return row;
}
