import Link from "next/link";
import { OrderStatusWithFlags } from "@/components/order-status";
import { SubscriptionStateBadge } from "@/components/subscription-state";
import { formatDateTime } from "@/lib/format";
import { formatMoney, type Currency } from "@/lib/money";
import type { OrderRow } from "@/lib/orders/queries";
import { displayState } from "@/lib/subscriptions/lifecycle";

/*
 * One table, two layouts. From lg up, where all six columns fit, it is a table. Below lg (a phone,
 * a tablet) the same cells are restyled as a stacked card per order: item and amount on the first
 * line, the status under them, then created, buyer and Whop payment as label/value lines, the
 * labels drawn from each cell's data-label (the column headers are hidden there). Nothing is rendered twice, so the order's
 * values appear once in the page whatever the width. The explicit roles keep the table semantics
 * for assistive technology in browsers that drop them once table elements stop being display:table.
 */

/** A cell shown stacked as "Label  value" (the label from data-label). */
const LABELLED = "max-lg:flex max-lg:items-baseline max-lg:gap-3 max-lg:before:w-24 max-lg:before:shrink-0 max-lg:before:text-xs max-lg:before:text-zinc-500 max-lg:before:content-[attr(data-label)]";
const CELL = "lg:px-4 lg:py-2.5";

/*
 * A subscription's order keeps the order's status words (a trial's order is Pending until Whop's
 * first charge); its subscription state stands beside them, so a trial reads "Pending · Trialing".
 */
export function OrdersTable({ rows, now = new Date() }: { rows: OrderRow[]; now?: Date }) {
  return (
    <div className="overflow-hidden rounded-xl border border-zinc-200 bg-white shadow-sm lg:overflow-x-auto">
      <table role="table" className="min-w-full text-sm max-lg:block lg:divide-y lg:divide-zinc-200">
        <thead role="rowgroup" className="bg-zinc-50 text-left whitespace-nowrap text-xs font-semibold tracking-wide text-zinc-500 uppercase max-lg:hidden">
          <tr role="row">
            <th role="columnheader" scope="col" className="px-4 py-2.5">Created</th>
            <th role="columnheader" scope="col" className="px-4 py-2.5">Item</th>
            <th role="columnheader" scope="col" className="px-4 py-2.5">Status</th>
            <th role="columnheader" scope="col" className="px-4 py-2.5 text-right">Amount</th>
            <th role="columnheader" scope="col" className="px-4 py-2.5">Buyer</th>
            <th role="columnheader" scope="col" className="px-4 py-2.5">Whop payment</th>
          </tr>
        </thead>
        <tbody role="rowgroup" className="divide-y divide-zinc-100 max-lg:block">
          {rows.map(({ order, itemTitle }) => (
            <tr
              key={order.id}
              role="row"
              className="hover:bg-zinc-50 max-lg:grid max-lg:grid-cols-[minmax(0,1fr)_auto] max-lg:gap-x-4 max-lg:gap-y-1 max-lg:px-4 max-lg:py-3"
            >
              <td role="cell" data-label="Created" className={`${CELL} ${LABELLED} text-zinc-600 max-lg:col-span-2 max-lg:row-start-3 max-lg:mt-1 lg:whitespace-nowrap`}>
                <Link href={`/dashboard/orders/${order.id}`} className="font-medium text-zinc-900 hover:underline">
                  {formatDateTime(order.createdAt)}
                </Link>
              </td>
              <td role="cell" title={itemTitle} className={`${CELL} font-medium wrap-anywhere max-lg:col-start-1 max-lg:row-start-1 lg:max-w-48 lg:truncate lg:font-normal`}>
                {itemTitle}
              </td>
              <td role="cell" className={`${CELL} max-lg:col-span-2 max-lg:row-start-2`}>
                <span className="inline-flex flex-wrap items-center gap-1">
                  <OrderStatusWithFlags order={order} />
                  {subscriptionBadge(order, now)}
                </span>
              </td>
              <td
                role="cell"
                className={`${CELL} text-right whitespace-nowrap tabular-nums max-lg:col-start-2 max-lg:row-start-1 max-lg:font-semibold`}
              >
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
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function subscriptionBadge(order: OrderRow["order"], now: Date) {
  const state = order.billingPeriodDays === null ? null : displayState(order, now);
  return state ? <SubscriptionStateBadge state={state} /> : null;
}
