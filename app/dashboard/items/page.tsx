import Link from "next/link";
import { buttonClass } from "@/components/ui/button-class";
import { Card } from "@/components/ui/card";
import { CopyButton } from "@/components/copy-button";
import { ItemForm } from "@/components/item-form";
import { requireAccount } from "@/lib/auth/session";
import { CURRENCY_OPTIONS, checkoutLink, listItems } from "@/lib/items/items";
import { formatMoney, type Currency } from "@/lib/money";
import { BILLING_OPTIONS, everyText } from "@/lib/subscriptions/billing";
import { isConnected } from "@/lib/tenants/queries";
import { createItemAction, setItemActiveAction } from "./actions";

export const metadata = { title: "Items" };

export default async function ItemsPage() {
  const { tenant } = await requireAccount();
  if (!isConnected(tenant)) {
    return (
      <Card title="Items" description="Connect your Whop company before creating items: every sale happens on your own Whop.">
        <Link href="/onboarding" className={buttonClass()}>
          Connect Whop
        </Link>
      </Card>
    );
  }
  const list = await listItems(tenant.id);
  return (
    <>
      <h1 className="text-2xl font-semibold">Items</h1>
      <Card title="New item" description="Each item gets a checkout link. Every buyer who opens it gets their own Whop checkout: a one-time payment, or a subscription that renews every period. Editing an item's price later changes only checkouts opened after that, never running subscriptions.">
        <ItemForm action={createItemAction} currencies={CURRENCY_OPTIONS} billingOptions={BILLING_OPTIONS} submitLabel="Create item" />
      </Card>

      <section aria-labelledby="items-heading" className="space-y-3">
        <h2 id="items-heading" className="text-base font-semibold">
          Your items
        </h2>
        {list.length === 0 ? (
          <p className="rounded-xl border border-dashed border-zinc-300 bg-white px-6 py-10 text-center text-sm text-zinc-600">
            No items yet. Create one above, then share its checkout link wherever your buyers are.
          </p>
        ) : (
          <ul className="divide-y divide-zinc-200 overflow-hidden rounded-xl border border-zinc-200 bg-white shadow-sm">
            {list.map((item) => {
              const link = checkoutLink(item);
              return (
                <li key={item.id} className="space-y-3 p-5" aria-label={item.title}>
                  <div className="flex flex-wrap items-start gap-x-4 gap-y-1">
                    <div className="min-w-0 flex-1">
                      <p className="font-medium text-zinc-900">{item.title}</p>
                      {item.description && <p className="mt-0.5 line-clamp-2 text-sm text-zinc-600">{item.description}</p>}
                      {item.issueLicenseKeys && (
                        <p className="mt-0.5 text-xs text-zinc-600">
                          License keys{item.activationLimit !== null ? `, up to ${item.activationLimit} activation${item.activationLimit === 1 ? "" : "s"}` : ""}
                        </p>
                      )}
                    </div>
                    <p className="font-semibold tabular-nums">
                      {formatMoney(item.priceMinor, item.currency as Currency)}
                      {everyText(item.billingPeriodDays) && <span className="font-normal text-zinc-600"> / {everyText(item.billingPeriodDays)}</span>}
                      {item.trialPeriodDays ? <span className="block text-xs font-normal text-zinc-500">{item.trialPeriodDays}-day free trial</span> : null}
                    </p>
                    <span
                      className={`rounded-full px-2 py-0.5 text-xs font-medium ${item.active ? "bg-emerald-50 text-emerald-700" : "bg-zinc-100 text-zinc-600"}`}
                    >
                      {item.active ? "Active" : "Deactivated"}
                    </span>
                  </div>
                  <div className="flex flex-wrap items-center gap-2">
                    <label className="sr-only" htmlFor={`link-${item.id}`}>
                      Checkout link for {item.title}
                    </label>
                    <input
                      id={`link-${item.id}`}
                      readOnly
                      value={link}
                      className="min-w-0 flex-[1_1_16rem] rounded-md border border-zinc-200 bg-zinc-50 px-3 py-1.5 font-mono text-xs text-zinc-700"
                    />
                    <CopyButton value={link} />
                    <Link href={`/dashboard/items/${item.id}`} className="rounded-md px-2.5 py-1.5 text-xs font-semibold text-zinc-700 hover:bg-zinc-100">
                      Edit
                    </Link>
                    <form action={setItemActiveAction}>
                      <input type="hidden" name="itemId" value={item.id} />
                      <input type="hidden" name="active" value={item.active ? "false" : "true"} />
                      <button className="rounded-md px-2.5 py-1.5 text-xs font-semibold text-zinc-700 hover:bg-zinc-100">
                        {item.active ? "Deactivate" : "Activate"}
                      </button>
                    </form>
                  </div>
                  <p className="text-xs text-zinc-500">
                    Item id for the API: <code className="font-mono text-zinc-700 select-all">{item.id}</code>
                  </p>
                </li>
              );
            })}
          </ul>
        )}
      </section>
    </>
  );
}
