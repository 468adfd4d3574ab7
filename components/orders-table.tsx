import Link from "next/link";
import { OrderStatusWithFlags } from "@/components/order-status";
import { formatDateTime } from "@/lib/format";
import { formatMoney, type Currency } from "@/lib/money";
import type { OrderRow } from "@/lib/orders/queries";

export function OrdersTable({ rows }: { rows: OrderRow[] }) {
  return (
    <div className="overflow-x-auto rounded-xl border border-zinc-200 bg-white shadow-sm">
      <table className="min-w-full divide-y divide-zinc-200 text-sm">
        <thead className="bg-zinc-50 text-left text-xs font-semibold tracking-wide text-zinc-500 uppercase">
          <tr>
            <th scope="col" className="px-4 py-2.5">Created</th>
            <th scope="col" className="px-4 py-2.5">Item</th>
            <th scope="col" className="px-4 py-2.5">Status</th>
            <th scope="col" className="px-4 py-2.5 text-right">Amount</th>
            <th scope="col" className="px-4 py-2.5">Buyer</th>
            <th scope="col" className="px-4 py-2.5">Whop payment</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-zinc-100">
          {rows.map(({ order, itemTitle }) => (
            <tr key={order.id} className="hover:bg-zinc-50">
              <td className="px-4 py-2.5 whitespace-nowrap text-zinc-600">
                <Link href={`/dashboard/orders/${order.id}`} className="font-medium text-zinc-900 hover:underline">
                  {formatDateTime(order.createdAt)}
                </Link>
              </td>
              <td className="max-w-48 truncate px-4 py-2.5">{itemTitle}</td>
              <td className="px-4 py-2.5">
                <OrderStatusWithFlags order={order} />
              </td>
              <td className="px-4 py-2.5 text-right whitespace-nowrap tabular-nums">{formatMoney(order.amountMinor, order.currency as Currency)}</td>
              <td className="px-4 py-2.5 text-zinc-600">{order.buyerEmail ?? "—"}</td>
              <td className="px-4 py-2.5 font-mono text-xs text-zinc-600">{order.whopPaymentId ?? "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
