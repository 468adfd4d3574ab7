import { and, eq, inArray } from "drizzle-orm";
import { z } from "zod";
import { openLicenseKey } from "@/lib/licenses/keys";
import { db, readSnapshot, type Executor } from "@/db/client";
import { ledgerPayments, type LedgerPayment, type Order } from "@/db/schema";
import { subscriptionView, type SubscriptionView } from "./access";
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
  /** A subscription's lifecycle and billing; null for a one-time purchase. */
  subscription: (SubscriptionView & { billing_period_days: number; trial_period_days: number | null }) | null;
  /** The buyer's license key: one of ours (an item with Issue license keys) or Whop's; null when there is none. */
  license_key: string | null;
  /** Every Whop payment of the order (a subscription's renewals too), oldest first (by when it was paid or made). */
  payments: ApiPayment[];
  created_at: string;
  paid_at: string | null;
}

export interface ApiPayment {
  id: string;
  status: LedgerPayment["status"];
  amount_minor: number | null;
  currency: string | null;
  /** Whop's `billing_reason`: `one_time`, `subscription_create`, `subscription_cycle` (a renewal)… */
  billing_reason: string | null;
  paid_at: string | null;
}

/** A payment as the API shows it, with what places it in the order's list. */
export type PaymentRow = Pick<LedgerPayment, "id" | "status" | "amountMinor" | "currency" | "billingReason" | "paidAt" | "whopCreatedAt" | "createdAt">;

/** The order's payments, oldest first: by when Whop took (or, unpaid, created) each, then by id. */
function oldestFirst(payments: readonly PaymentRow[]): PaymentRow[] {
  const at = (payment: PaymentRow) => (payment.paidAt ?? payment.whopCreatedAt ?? payment.createdAt).getTime();
  return [...payments].sort((a, b) => at(a) - at(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function toApiPayment(payment: PaymentRow): ApiPayment {
  return {
    id: payment.id,
    status: payment.status,
    amount_minor: payment.amountMinor,
    currency: payment.currency,
    billing_reason: payment.billingReason,
    paid_at: payment.paidAt?.toISOString() ?? null,
  };
}

/** The payments of these orders, per order (one statement). */
export async function paymentsOfOrders(tenantId: string, orderIds: string[], executor: Executor = db()): Promise<Map<string, PaymentRow[]>> {
  const byOrder = new Map<string, PaymentRow[]>(orderIds.map((id) => [id, []]));
  if (orderIds.length === 0) return byOrder;
  const rows = await executor
    .select({
      orderId: ledgerPayments.orderId,
      id: ledgerPayments.id,
      status: ledgerPayments.status,
      amountMinor: ledgerPayments.amountMinor,
      currency: ledgerPayments.currency,
      billingReason: ledgerPayments.billingReason,
      paidAt: ledgerPayments.paidAt,
      whopCreatedAt: ledgerPayments.whopCreatedAt,
      createdAt: ledgerPayments.createdAt,
    })
    .from(ledgerPayments)
    .where(and(eq(ledgerPayments.tenantId, tenantId), inArray(ledgerPayments.orderId, orderIds)));
  for (const row of rows) byOrder.get(row.orderId)?.push(row);
  return byOrder;
}

function decimal(minor: number, currency: string): string {
  return isCurrency(currency) ? toMajorString(minor, currency) : String(minor);
}

export function toApiOrder(order: Order, itemTitle: string, payments: readonly PaymentRow[], now = new Date()): ApiOrder {
  const access = orderAccess(order, now);
  const subscription = subscriptionView(order, now);
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
    subscription: subscription && { ...subscription, billing_period_days: order.billingPeriodDays!, trial_period_days: order.trialPeriodDays },
    license_key: openLicenseKey(order),
    payments: oldestFirst(payments).map(toApiPayment),
    created_at: order.createdAt.toISOString(),
    paid_at: order.paidAt?.toISOString() ?? null,
  };
}

export async function listApiOrders(tenantId: string, query: OrderListQuery): Promise<{ object: "list"; data: ApiOrder[]; next_cursor: string | null }> {
  // The orders and their payments from one snapshot: a payment applied in between would otherwise show beside the order from before it.
  const { rows, nextCursor, payments } = await readSnapshot(async (tx) => {
    const page = await listOrders(tenantId, { status: query.status, item: query.item, cursor: query.cursor }, query.limit, tx);
    return { ...page, payments: await paymentsOfOrders(tenantId, page.rows.map((row) => row.order.id), tx) };
  });
  return { object: "list", data: rows.map((row) => toApiOrder(row.order, row.itemTitle, payments.get(row.order.id) ?? [])), next_cursor: nextCursor };
}

export async function getApiOrder(tenantId: string, orderId: string): Promise<ApiOrder | undefined> {
  const read = await readSnapshot(async (tx) => {
    const found = await getOrder(tenantId, orderId, tx);
    return found && { ...found, payments: await paymentsOfOrders(tenantId, [found.order.id], tx) };
  });
  if (!read) return undefined;
  return toApiOrder(read.order, read.item.title, read.payments.get(read.order.id) ?? []);
}
