import Link from "next/link";
import { notFound } from "next/navigation";
import { Card } from "@/components/ui/card";
import { ItemForm } from "@/components/item-form";
import { requireAccount } from "@/lib/auth/session";
import { CURRENCY_OPTIONS, getItem } from "@/lib/items/items";
import { BILLING_OPTIONS, billingOfDays } from "@/lib/subscriptions/billing";
import { toMajorString, type Currency } from "@/lib/money";
import { updateItemAction } from "../actions";

export const metadata = { title: "Edit item" };

export default async function EditItemPage({ params }: { params: Promise<{ id: string }> }) {
  const { tenant } = await requireAccount();
  const item = await getItem(tenant.id, (await params).id);
  if (!item) notFound();
  return (
    <>
      <Link href="/dashboard/items" className="text-sm text-zinc-600 hover:underline">
        ← Items
      </Link>
      <Card title={`Edit “${item.title}”`} description="Changes apply to checkouts opened from now on: orders already created keep their price, and running subscriptions keep renewing at the price, billing and trial they were sold with.">
        <ItemForm
          action={updateItemAction}
          currencies={CURRENCY_OPTIONS}
          billingOptions={BILLING_OPTIONS}
          submitLabel="Save changes"
          itemId={item.id}
          initial={{
            title: item.title,
            price: toMajorString(item.priceMinor, item.currency as Currency),
            currency: item.currency,
            description: item.description ?? "",
            billing: billingOfDays(item.billingPeriodDays) ?? "monthly",
            trialDays: item.trialPeriodDays ? String(item.trialPeriodDays) : "",
            issueLicenseKeys: item.issueLicenseKeys ? "on" : "",
            activationLimit: item.activationLimit === null ? "" : String(item.activationLimit),
          }}
        />
      </Card>
    </>
  );
}
