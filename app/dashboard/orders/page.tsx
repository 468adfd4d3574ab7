import { Pagination } from "@/components/pagination";
import { OrdersTable } from "@/components/orders-table";
import { orderStatusLabel } from "@/components/order-status";
import { buttonClass } from "@/components/ui/button-class";
import { requireAccount } from "@/lib/auth/session";
import { listItems } from "@/lib/items/items";
import { listOrders, ORDER_STATUSES, orderFilterSchema } from "@/lib/orders/queries";

export const metadata = { title: "Orders" };

export default async function OrdersPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { tenant } = await requireAccount();
  const filter = orderFilterSchema.parse(await searchParams);
  const [{ rows, nextCursor }, itemList] = await Promise.all([listOrders(tenant.id, filter), listItems(tenant.id)]);
  const nextHref = nextCursor
    ? `/dashboard/orders?${new URLSearchParams({ ...(filter.status ? { status: filter.status } : {}), ...(filter.item ? { item: filter.item } : {}), cursor: nextCursor })}`
    : null;

  return (
    <>
      <h1 className="text-2xl font-semibold">Orders</h1>
      <form method="get" className="flex flex-wrap items-end gap-3 text-sm">
        <label className="space-y-1">
          <span className="block font-medium text-zinc-700">Status</span>
          <select name="status" defaultValue={filter.status ?? ""} className="rounded-md border border-zinc-300 bg-white px-2 py-1.5">
            <option value="">All</option>
            {ORDER_STATUSES.map((status) => (
              <option key={status} value={status}>
                {orderStatusLabel(status)}
              </option>
            ))}
          </select>
        </label>
        <label className="space-y-1">
          <span className="block font-medium text-zinc-700">Item</span>
          <select name="item" defaultValue={filter.item ?? ""} className="max-w-56 rounded-md border border-zinc-300 bg-white px-2 py-1.5">
            <option value="">All items</option>
            {itemList.map((item) => (
              <option key={item.id} value={item.id}>
                {item.title}
              </option>
            ))}
          </select>
        </label>
        <button className={buttonClass("secondary")}>Filter</button>
      </form>
      {rows.length === 0 ? (
        <p className="rounded-xl border border-dashed border-zinc-300 bg-white px-6 py-10 text-center text-sm text-zinc-600">
          {filter.status || filter.item || filter.cursor ? "No orders match these filters." : "No orders yet. Every click on one of your checkout links creates one."}
        </p>
      ) : (
        <OrdersTable rows={rows} />
      )}
      <Pagination basePath="/dashboard/orders" onLaterPage={Boolean(filter.cursor)} nextHref={nextHref} />
    </>
  );
}
