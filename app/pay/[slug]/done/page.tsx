import { and, eq } from "drizzle-orm";
import { cookies } from "next/headers";
import { notFound } from "next/navigation";
import { z } from "zod";
import { db } from "@/db/client";
import { itemSlugs, items, orders } from "@/db/schema";
import { CopyableValue } from "@/components/copyable-value";
import { ATTEMPT_COOKIE, isBuyersBrowser } from "@/lib/checkout/attempt-cookie";
import { formatDateTime } from "@/lib/format";
import { orderAccess } from "@/lib/ledger/access";
import { openLicenseKey } from "@/lib/licenses/keys";
import { formatMoney, type Currency } from "@/lib/money";
import { everyText } from "@/lib/subscriptions/billing";

export const metadata = { title: "Thank you", robots: { index: false } };

const paramsSchema = z.object({ slug: z.string().regex(/^[A-Za-z0-9]{16}$/) });
const searchSchema = z.object({ order: z.string().regex(/^ord_[A-Za-z0-9]{20}$/) });

const STATUS_TEXT = {
  paid: { title: "Payment received", body: "Thank you! Your payment is confirmed. Whop has emailed your receipt.", tone: "text-emerald-700" },
  pending: { title: "Confirming your payment…", body: "Whop is confirming the payment. This page updates by itself in a few seconds.", tone: "text-amber-700" },
  failed: { title: "Payment failed", body: "The payment did not go through and nothing was charged. You can try the link again.", tone: "text-red-700" },
  expired: { title: "Checkout expired", body: "This checkout was not completed and nothing was charged. You can try the link again.", tone: "text-zinc-700" },
  refunded: { title: "Payment refunded", body: "This payment has been refunded.", tone: "text-zinc-700" },
  partially_refunded: { title: "Payment partially refunded", body: "Part of this payment has been refunded.", tone: "text-zinc-700" },
  disputed: { title: "Payment disputed", body: "This payment is under dispute.", tone: "text-zinc-700" },
  dispute_lost: { title: "Payment reversed", body: "This payment was reversed after a dispute.", tone: "text-zinc-700" },
} as const;

/** The buyer's return page: the status comes from our database, never from the query string. */
export default async function CheckoutDonePage({
  params,
  searchParams,
}: {
  params: Promise<{ slug: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const route = paramsSchema.safeParse(await params);
  const query = searchSchema.safeParse(await searchParams);
  if (!route.success || !query.success) notFound();

  // The slug names the tenant (through its lookup); the order is then found within that tenant.
  const [row] = await db()
    .select({ order: orders, item: items })
    .from(itemSlugs)
    .innerJoin(items, and(eq(items.tenantId, itemSlugs.tenantId), eq(items.id, itemSlugs.itemId)))
    .innerJoin(orders, and(eq(orders.tenantId, itemSlugs.tenantId), eq(orders.itemId, itemSlugs.itemId), eq(orders.id, query.data.order)))
    .where(eq(itemSlugs.slug, route.data.slug))
    .limit(1);
  if (!row) notFound();

  const { order } = row;
  // The key is the buyer's: shown only to the browser that checked out (its attempt cookie), once the order grants access.
  const licenseKey =
    order.licenseKeyCiphertext && orderAccess(order).access && isBuyersBrowser((await cookies()).get(ATTEMPT_COOKIE)?.value, order.attemptId) ? openLicenseKey(order) : null;
  // A free trial charges nothing yet: its order stays pending while the subscription is trialing.
  const trialing = order.subscriptionState === "trialing";
  const text = trialing
    ? {
        title: "Your free trial has started",
        body: `Nothing is charged today. ${order.currentPeriodEnd ? `On ${formatDateTime(order.currentPeriodEnd)} the` : "When the trial ends the"} subscription starts at ${formatMoney(order.amountMinor, order.currency as Currency)} every ${everyText(order.billingPeriodDays)}, unless you cancel before.`,
        tone: "text-emerald-700",
      }
    : STATUS_TEXT[order.status];
  return (
    <main className="flex min-h-screen items-center justify-center px-4">
      {order.status === "pending" && !trialing && <meta httpEquiv="refresh" content="3" />}
      <div className="w-full max-w-md rounded-xl border border-zinc-200 bg-white p-8 shadow-sm" aria-live="polite">
        <p className="text-sm text-zinc-500">{row.item.title}</p>
        <h1 className={`mt-1 text-xl font-semibold ${text.tone}`}>{text.title}</h1>
        <p className="mt-2 text-zinc-600">{text.body}</p>
        {licenseKey && (
          <div className="mt-6 space-y-2 rounded-lg border border-emerald-200 bg-emerald-50/50 p-4">
            <CopyableValue id="license-key" label="Your license key" value={licenseKey} copyLabel="Copy key" />
            <p className="text-xs text-zinc-600">Keep it: the app asks for it. The seller can send it to you again.</p>
          </div>
        )}
        <p className="mt-6 text-sm text-zinc-500">
          Amount: <span className="font-medium text-zinc-800">{formatMoney(order.amountMinor, order.currency as Currency)}</span>
          {order.billingPeriodDays !== null && <span> every {everyText(order.billingPeriodDays)}</span>}
        </p>
      </div>
    </main>
  );
}
