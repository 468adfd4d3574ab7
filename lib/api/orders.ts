import { z } from "zod";
import type { Order } from "@/db/schema";
import { isCurrency, toMajorString } from "@/lib/money";
import { getOrder, isOrderCursor, listOrders, ORDER_STATUSES } from "@/lib/orders/queries";
import { orderAccess, type AccessState, type NoAccessReason } from "@/lib/ledger/access";

/** The merchant API's view of orders: a stable JSON shape, money as minor units plus a decimal string. */

export const orderListQuerySchema = z.object({
  status: z.enum(ORDER_STATUSES, { message: `must be one of ${ORDER_STATUSES.join(", ")}` }).optional(),
  item: z
    .string()
    .regex(/^item_[A-Za-z0-9]{20}$/, "must be an item id such as item_…")
    .optional(),
  limit: z.coerce.number({ message: "must be a number" }).int("must be a whole number").min(1, "must be at least 1").max(100, "must be at most 100").default(25),
  cursor: z
    .string()
    .max(200)
    .refine(isOrderCursor, "is not a cursor from a previous page (use next_cursor as given)")
    .optional(),
});
export type OrderListQuery = z.output<typeof orderListQuerySchema>;

export const orderIdSchema = z.string().regex(/^ord_[A-Za-z0-9]{20}$/);

export interface ApiOrder {
  id: string;
  object: "order";
  item: { id: string; title: string };
  status: Order["status"];
  amount_minor: number;
  /** Decimal major units as text ("29.99"). */
  amount: string;
  currency: string;
  /** Succeeded payments, minor units (null before any). */
  paid_minor: number | null;
  /** The currency Whop charged (paid_minor and refunded_minor are in it); null before any payment. */
  paid_currency: string | null;
  /** Succeeded refunds only, minor units. */
  refunded_minor: number;
  /** A refund Whop has not settled yet. */
  refund_pending: boolean;
  /** A payment whose subtotal or currency is not the order's. */
  amount_differs: boolean;
  /** Whether this order grants access now (the same rule as /api/v1/access). */
  access: boolean;
  access_reason: NoAccessReason | null;
  buyer_email: string | null;
  whop_user_id: string | null;
  whop_payment_id: string | null;
  whop_checkout_id: string | null;
  membership: { whop_membership_id: string | null; state: AccessState; whop_status: string | null; expires_at: string | null };
  created_at: string;
  paid_at: string | null;
}

function decimal(minor: number, currency: string): string {
  return isCurrency(currency) ? toMajorString(minor, currency) : String(minor);
}

export function toApiOrder(order: Order, itemTitle: string, now = new Date()): ApiOrder {
  const access = orderAccess(order, now);
  return {
    id: order.id,
    object: "order",
    item: { id: order.itemId, title: itemTitle },
    status: order.status,
    amount_minor: order.amountMinor,
    amount: decimal(order.amountMinor, order.currency),
    currency: order.currency,
    paid_minor: order.paidMinor,
    paid_currency: order.paidCurrency,
    refunded_minor: order.refundedMinor,
    refund_pending: order.refundPending,
    amount_differs: order.amountMismatch,
    access: access.access,
    access_reason: access.reason,
    buyer_email: order.buyerEmail,
    whop_user_id: order.whopUserId,
    whop_payment_id: order.whopPaymentId,
    whop_checkout_id: order.whopCheckoutId,
    membership: {
      whop_membership_id: order.whopMembershipId,
      state: access.state,
      whop_status: order.membershipStatus,
      expires_at: order.membershipExpiresAt?.toISOString() ?? null,
    },
    created_at: order.createdAt.toISOString(),
    paid_at: order.paidAt?.toISOString() ?? null,
  };
}

export async function listApiOrders(tenantId: string, query: OrderListQuery): Promise<{ object: "list"; data: ApiOrder[]; next_cursor: string | null }> {
  const { rows, nextCursor } = await listOrders(tenantId, { status: query.status, item: query.item, cursor: query.cursor }, query.limit);
  return { object: "list", data: rows.map((row) => toApiOrder(row.order, row.itemTitle)), next_cursor: nextCursor };
}

export async function getApiOrder(tenantId: string, orderId: string): Promise<ApiOrder | undefined> {
  const found = await getOrder(tenantId, orderId);
  return found && toApiOrder(found.order, found.item.title);
}
