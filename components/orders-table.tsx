import Link from "next/link";
import { OrderStatusWithFlags } from "@/components/order-status";
import { SubscriptionStateBadge } from "@/components/subscription-state";
import { STACKED_CELL as CELL, STACKED_LABELLED, StackedRow, StackedTable } from "@/components/ui/stacked-table";
import { formatDateTime } from "@/lib/format";
import { formatMoney, type Currency } from "@/lib/money";
import type { OrderRow } from "@/lib/orders/queries";
import { displayState } from "@/lib/subscriptions/lifecycle";

/*
 * The orders as a stacked table (components/ui/stacked-table.tsx): below lg, item and amount on the
 * first line, the status under them, then created, buyer and Whop payment as label/value lines.
 * A subscription's order keeps the order's status words (a trial's order is Pending until Whop's
 * first charge); its subscription state stands beside them, so a trial reads "Pending  Trialing".
 */

const LABELLED = STACKED_LABELLED.narrow;
const COLUMNS = [{ label: "Created" }, { label: "Item" }, { label: "Status" }, { label: "Amount", align: "right" as const }, { label: "Buyer" }, { label: "Whop payment" }];

export function OrdersTable({ rows, now = new Date() }: { rows: OrderRow[]; now?: Date }) {
  return (
    <StackedTable columns={COLUMNS}>
      {rows.map(({ order, itemTitle }) => (
        <StackedRow key={order.id}>
          <OrderCreatedCell order={order} label="Created" labelled={LABELLED} />
          <ItemTitleCell title={itemTitle} />
          <td role="cell" className={`${CELL} max-lg:col-span-2 max-lg:row-start-2`}>
            <span className="inline-flex flex-wrap items-center gap-1">
              <OrderStatusWithFlags order={order} />
              {subscriptionBadge(order, now)}
            </span>
          </td>
          <td role="cell" className={`${CELL} text-right whitespace-nowrap tabular-nums max-lg:col-start-2 max-lg:row-start-1 max-lg:font-semibold`}>
            {formatMoney(order.amountMinor, order.currency as Currency)}
          </td>
          <td role="cell" data-label="Buyer" className={`${CELL} ${LABELLED} text-zinc-600 max-lg:col-span-2 max-lg:row-start-4 max-lg:wrap-anywhere`}>
            {order.buyerEmail ?? "—"}
          </td>
          <td
            role="cell"
            data-label="Whop payment"
            className={`${CELL} ${LABELLED} font-mono text-xs text-zinc-600 max-lg:col-span-2 max-lg:row-start-5 max-lg:wrap-anywhere max-lg:before:font-sans lg:whitespace-nowrap`}
          >
            {order.whopPaymentId ?? "—"}
          </td>
        </StackedRow>
      ))}
    </StackedTable>
  );
}

/** When the order was made, linking to it; below lg a labelled line under the status. */
export function OrderCreatedCell({ order, label, labelled }: { order: OrderRow["order"]; label: string; labelled: string }) {
  return (
    <td role="cell" data-label={label} className={`${CELL} ${labelled} text-zinc-600 max-lg:col-span-2 max-lg:row-start-3 max-lg:mt-1 lg:whitespace-nowrap`}>
      <Link href={`/dashboard/orders/${order.id}`} className="font-medium text-zinc-900 hover:underline">
        {formatDateTime(order.createdAt)}
      </Link>
    </td>
  );
}

/** The item's title; below lg the first line of the card. */
export function ItemTitleCell({ title }: { title: string }) {
  return (
    <td role="cell" title={title} className={`${CELL} font-medium wrap-anywhere max-lg:col-start-1 max-lg:row-start-1 lg:max-w-48 lg:truncate lg:font-normal`}>
      {title}
    </td>
  );
}

/** The subscription's state beside the order's status (none for a one-time order). */
function subscriptionBadge(order: OrderRow["order"], now: Date) {
  const state = order.billingPeriodDays === null ? null : displayState(order, now);
  return state ? <SubscriptionStateBadge state={state} /> : null;
}
