import Link from "next/link";
import { Pagination } from "@/components/pagination";
import { SubscriptionsTable } from "@/components/subscriptions-table";
import { buttonClass } from "@/components/ui/button-class";
import { requireAccount } from "@/lib/auth/session";
import { SUBSCRIPTION_STATE_MEANING, SUBSCRIPTION_STATE_TEXT, SUBSCRIPTION_STATES, type SubscriptionState } from "@/lib/subscriptions/lifecycle";
import { listSubscriptions, subscriptionFilterSchema } from "@/lib/subscriptions/queries";

export const metadata = { title: "Subscriptions" };

export default async function SubscriptionsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { tenant } = await requireAccount();
  const filter = subscriptionFilterSchema.parse(await searchParams);
  const { rows, nextCursor } = await listSubscriptions(tenant.id, filter);
  const params: Record<string, string> = filter.state ? { state: filter.state } : {};
  const nextHref = nextCursor ? `/dashboard/subscriptions?${new URLSearchParams({ ...params, cursor: nextCursor })}` : null;
  const state = filter.state as SubscriptionState | undefined;

  return (
    <>
      <h1 className="text-2xl font-semibold">Subscriptions</h1>
      <form method="get" className="flex flex-wrap items-end gap-3 text-sm">
        <label className="space-y-1">
          <span className="block font-medium text-zinc-700">State</span>
          <select name="state" defaultValue={filter.state ?? ""} className="rounded-md border border-zinc-300 bg-white px-2 py-1.5">
            <option value="">All</option>
            {SUBSCRIPTION_STATES.map((value) => (
              <option key={value} value={value}>
                {SUBSCRIPTION_STATE_TEXT[value]}
              </option>
            ))}
          </select>
        </label>
        <button className={buttonClass("secondary")}>Filter</button>
        {state && (
          <Link href="/dashboard/subscriptions" className="py-2 text-sm font-medium text-brand-600 hover:underline">
            Clear
          </Link>
        )}
        {state && <p className="w-full text-xs text-zinc-600">{SUBSCRIPTION_STATE_MEANING[state]}</p>}
      </form>
      {rows.length === 0 ? (
        <p className="rounded-xl border border-dashed border-zinc-300 bg-white px-6 py-10 text-center text-sm text-zinc-600">
          {state || filter.cursor ? "No subscriptions match this filter." : "No subscriptions yet. Set an item's Billing to Weekly, Monthly, Every 3 months or Yearly and share its checkout link."}
        </p>
      ) : (
        <SubscriptionsTable rows={rows} />
      )}
      <Pagination basePath={`/dashboard/subscriptions${state ? `?state=${state}` : ""}`} onLaterPage={Boolean(filter.cursor)} nextHref={nextHref} />
    </>
  );
}
