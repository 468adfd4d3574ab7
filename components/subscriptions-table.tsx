import { ItemTitleCell, OrderCreatedCell } from "@/components/orders-table";
import { SubscriptionStateBadge } from "@/components/subscription-state";
import { STACKED_CELL as CELL, STACKED_LABELLED, StackedRow, StackedTable } from "@/components/ui/stacked-table";
import { formatDateTime } from "@/lib/format";
import { formatMoney, type Currency } from "@/lib/money";
import type { OrderRow } from "@/lib/orders/queries";
import { everyText } from "@/lib/subscriptions/billing";
import { displayState } from "@/lib/subscriptions/lifecycle";

/*
 * The subscriptions as a stacked table (components/ui/stacked-table.tsx), like the orders: below
 * lg, item and price, then the state, then labelled lines.
 */

const LABELLED = STACKED_LABELLED.wide;
const COLUMNS = [{ label: "Started" }, { label: "Item" }, { label: "State" }, { label: "Price", align: "right" as const }, { label: "Period ends" }, { label: "Buyer" }];

export function SubscriptionsTable({ rows, now = new Date() }: { rows: OrderRow[]; now?: Date }) {
  return (
    <StackedTable columns={COLUMNS}>
      {rows.map(({ order, itemTitle }) => {
        const state = displayState(order, now);
        return (
          <StackedRow key={order.id}>
            <OrderCreatedCell order={order} label="Started" labelled={LABELLED} />
            <ItemTitleCell title={itemTitle} />
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
          </StackedRow>
        );
      })}
    </StackedTable>
  );
}
