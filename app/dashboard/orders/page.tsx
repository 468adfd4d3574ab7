import Link from "next/link";
import { Pagination } from "@/components/pagination";
import { OrdersTable } from "@/components/orders-table";
import { orderStatusLabel } from "@/components/order-status";
import { buttonClass } from "@/components/ui/button-class";
import { requireAccount } from "@/lib/auth/session";
import { listItems } from "@/lib/items/items";
import { listOrders, ORDER_STATUSES, orderFilterParams, orderFilterSchema } from "@/lib/orders/queries";

export const metadata = { title: "Orders" };

export default async function OrdersPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { tenant } = await requireAccount();
  const filter = orderFilterSchema.parse(await searchParams);
  const [{ rows, nextCursor }, itemList] = await Promise.all([listOrders(tenant.id, filter), listItems(tenant.id)]);
  const params = orderFilterParams(filter);
  const nextHref = nextCursor ? `/dashboard/orders?${new URLSearchParams({ ...params, cursor: nextCursor })}` : null;
  const exportQuery = new URLSearchParams(params).toString();
  const filtered = Object.keys(params).length > 0;

  return (
    <>
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h1 className="text-2xl font-semibold">Orders</h1>
        {/* A plain link: the browser downloads the attachment, no client code involved. */}
        <a href={`/dashboard/orders/export${exportQuery ? `?${exportQuery}` : ""}`} className={buttonClass("secondary")} download>
          Export CSV
        </a>
      </div>
      <form method="get" role="search" className="flex flex-wrap items-end gap-3 text-sm">
        <label className="w-full space-y-1 sm:w-72">
          <span className="block font-medium text-zinc-700">Search</span>
          <input
            type="search"
            name="q"
            defaultValue={filter.q ?? ""}
            placeholder="pay_… or buyer email"
            aria-describedby="order-search-hint"
            autoComplete="off"
            spellCheck={false}
            maxLength={200}
            className="block w-full rounded-md border border-zinc-300 bg-white px-2 py-1.5"
          />
        </label>
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
        {filtered && (
          <Link href="/dashboard/orders" className="py-2 text-sm font-medium text-brand-600 hover:underline">
            Clear
          </Link>
        )}
        <p id="order-search-hint" className="w-full text-xs text-zinc-500">
          A Whop payment id (pay_…) or order id finds that order; anything else matches the start of the buyer&apos;s email.
        </p>
      </form>
      {rows.length === 0 ? (
        <p className="rounded-xl border border-dashed border-zinc-300 bg-white px-6 py-10 text-center text-sm text-zinc-600">
          {filtered || filter.cursor ? "No orders match these filters." : "No orders yet. Every click on one of your checkout links creates one."}
        </p>
      ) : (
        <OrdersTable rows={rows} />
      )}
      <Pagination basePath={`/dashboard/orders${filtered ? `?${exportQuery}` : ""}`} onLaterPage={Boolean(filter.cursor)} nextHref={nextHref} />
    </>
  );
}
