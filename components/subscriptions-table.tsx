import Link from "next/link";
import { SubscriptionStateBadge } from "@/components/subscription-state";
import { formatDateTime } from "@/lib/format";
import { formatMoney, type Currency } from "@/lib/money";
import type { OrderRow } from "@/lib/orders/queries";
import { everyText } from "@/lib/subscriptions/billing";
import { displayState } from "@/lib/subscriptions/lifecycle";

/*
 * Like the orders table: a table from lg up, one stacked card per subscription below (item and
 * price, then the state, then labelled lines from each cell's data-label), nothing rendered twice.
 */

const LABELLED = "max-lg:flex max-lg:items-baseline max-lg:gap-3 max-lg:before:w-28 max-lg:before:shrink-0 max-lg:before:text-xs max-lg:before:text-zinc-500 max-lg:before:content-[attr(data-label)]";
const CELL = "lg:px-4 lg:py-2.5";

export function SubscriptionsTable({ rows, now = new Date() }: { rows: OrderRow[]; now?: Date }) {
  return (
    <div className="overflow-hidden rounded-xl border border-zinc-200 bg-white shadow-sm lg:overflow-x-auto">
      <table role="table" className="min-w-full text-sm max-lg:block lg:divide-y lg:divide-zinc-200">
        <thead role="rowgroup" className="bg-zinc-50 text-left whitespace-nowrap text-xs font-semibold tracking-wide text-zinc-500 uppercase max-lg:hidden">
          <tr role="row">
            <th role="columnheader" scope="col" className="px-4 py-2.5">Started</th>
            <th role="columnheader" scope="col" className="px-4 py-2.5">Item</th>
            <th role="columnheader" scope="col" className="px-4 py-2.5">State</th>
            <th role="columnheader" scope="col" className="px-4 py-2.5 text-right">Price</th>
            <th role="columnheader" scope="col" className="px-4 py-2.5">Period ends</th>
            <th role="columnheader" scope="col" className="px-4 py-2.5">Buyer</th>
          </tr>
        </thead>
        <tbody role="rowgroup" className="divide-y divide-zinc-100 max-lg:block">
          {rows.map(({ order, itemTitle }) => {
            const state = displayState(order, now);
            return (
              <tr key={order.id} role="row" className="hover:bg-zinc-50 max-lg:grid max-lg:grid-cols-[minmax(0,1fr)_auto] max-lg:gap-x-4 max-lg:gap-y-1 max-lg:px-4 max-lg:py-3">
                <td role="cell" data-label="Started" className={`${CELL} ${LABELLED} text-zinc-600 max-lg:col-span-2 max-lg:row-start-3 max-lg:mt-1 lg:whitespace-nowrap`}>
                  <Link href={`/dashboard/orders/${order.id}`} className="font-medium text-zinc-900 hover:underline">
                    {formatDateTime(order.createdAt)}
                  </Link>
                </td>
                <td role="cell" title={itemTitle} className={`${CELL} font-medium wrap-anywhere max-lg:col-start-1 max-lg:row-start-1 lg:max-w-48 lg:truncate lg:font-normal`}>
                  {itemTitle}
                </td>
                <td role="cell" className={`${CELL} max-lg:col-span-2 max-lg:row-start-2`}>
                  {state ? <SubscriptionStateBadge state={state} /> : <span className="text-zinc-500">Not started</span>}
                  {order.subscriptionActionState && <span className="ml-1 text-xs text-amber-800">change requested</span>}
                </td>
                <td role="cell" className={`${CELL} text-right whitespace-nowrap tabular-nums max-lg:col-start-2 max-lg:row-start-1 max-lg:font-semibold`}>
                  {formatMoney(order.amountMinor, order.currency as Currency)}
                  <span className="font-normal text-zinc-500"> / {everyText(order.billingPeriodDays)}</span>
                </td>
                <td role="cell" data-label={state === "trialing" ? "Trial ends" : "Period ends"} className={`${CELL} ${LABELLED} text-zinc-600 max-lg:col-span-2 max-lg:row-start-4 lg:whitespace-nowrap`}>
                  {order.currentPeriodEnd ? formatDateTime(order.currentPeriodEnd) : "—"}
                </td>
                <td role="cell" data-label="Buyer" className={`${CELL} ${LABELLED} text-zinc-600 max-lg:col-span-2 max-lg:row-start-5 max-lg:wrap-anywhere`}>
                  {order.buyerEmail ?? "—"}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
