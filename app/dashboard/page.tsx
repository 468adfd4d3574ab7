import Link from "next/link";
import { OrdersTable } from "@/components/orders-table";
import { PaidOrdersChart } from "@/components/paid-orders-chart";
import { buttonClass } from "@/components/ui/button-class";
import { Detail } from "@/components/ui/detail";
import { Card } from "@/components/ui/card";
import { requireAccount } from "@/lib/auth/session";
import { formatDateTime } from "@/lib/format";
import { formatMoney, type Currency } from "@/lib/money";
import { hasAnyWebhookEvent } from "@/lib/ledger/events";
import { listOrders } from "@/lib/orders/queries";
import { overviewFigures } from "@/lib/overview/queries";
import { openProblems, PROBLEM_KINDS, type ProblemKind } from "@/lib/problems/report";
import { isConnected } from "@/lib/tenants/queries";

export const metadata = { title: "Dashboard" };

interface Banner {
  key: string;
  title: string;
  message: string;
  href: string;
  action: string;
  tone: "error" | "warning";
}

export default async function DashboardPage() {
  const { tenant } = await requireAccount();

  if (!isConnected(tenant)) {
    return (
      <Card
        title={tenant.environment === "test" ? "Connect your Whop sandbox company" : "Connect your Whop company"}
        description={
          tenant.environment === "test"
            ? "Test mode has its own Whop key: paste a company API key from Whop's sandbox to try checkout links with test payments."
            : "Paste one Whop company API key to start selling with checkout links."
        }
      >
        <Link href="/onboarding" className={buttonClass()}>
          Connect Whop
        </Link>
      </Card>
    );
  }

  const [problems, recent, anyEvent, figures] = await Promise.all([openProblems(tenant.id), listOrders(tenant.id, {}, 5), hasAnyWebhookEvent(tenant.id), overviewFigures(tenant.id)]);
  const { days: chartDays, revenue30d: revenue, revenue7d: revenueWeek, renewals30d: renewalRevenue, subscriptions } = figures;

  const banners: Banner[] = problems.map((problem) => {
    const kind = PROBLEM_KINDS[problem.kind as ProblemKind];
    return {
      key: problem.kind,
      title: kind?.title ?? problem.kind,
      message: `${problem.message}${problem.occurrences > 1 ? ` (${problem.occurrences} times, last ${formatDateTime(problem.lastSeenAt)})` : ""}`,
      href: kind?.fixHref ?? "/dashboard",
      action: kind?.fixLabel ?? "Review",
      tone: "error",
    };
  });
  if (!tenant.webhookSecretCiphertext && !banners.some((b) => b.key === "webhook_secret_missing")) {
    banners.push({
      key: "webhook_secret_missing",
      title: PROBLEM_KINDS.webhook_secret_missing.title,
      message: "Payments cannot be confirmed until Whop's webhook is set up.",
      href: "/dashboard/integrations/whop",
      action: "Set up the webhook",
      tone: "warning",
    });
  } else if (tenant.webhookSecretCiphertext && !anyEvent) {
    banners.push({
      key: "no_delivery",
      title: "No webhook received yet",
      message: "Once a buyer pays, Whop's webhook confirms the order here. If a payment was made and nothing arrived, check the webhook URL in Whop.",
      href: "/dashboard/integrations/whop",
      action: "Check the webhook",
      tone: "warning",
    });
  }

  return (
    <>
      <div>
        <h1 className="text-2xl font-semibold">{tenant.whopCompanyTitle}</h1>
        <p className="mt-1 font-mono text-sm text-zinc-500">{tenant.whopCompanyId}</p>
      </div>

      {banners.length > 0 && (
        <section aria-label="Problems" className="space-y-2">
          {banners.map((banner) => (
            <div
              key={banner.key}
              role={banner.tone === "error" ? "alert" : "status"}
              className={`flex flex-wrap items-center gap-3 rounded-lg border px-4 py-3 text-sm ${
                banner.tone === "error" ? "border-red-200 bg-red-50 text-red-900" : "border-amber-200 bg-amber-50 text-amber-900"
              }`}
            >
              <div className="min-w-0 flex-1">
                <p className="font-semibold">{banner.title}</p>
                <p className="mt-0.5">{banner.message}</p>
              </div>
              <Link href={banner.href} className={buttonClass("secondary")}>
                {banner.action}
              </Link>
            </div>
          ))}
        </section>
      )}

      <div className="grid gap-6 md:grid-cols-2">
        <Card title="Connection">
          <dl className="grid gap-x-6 gap-y-4 text-sm sm:grid-cols-2">
            <Detail term="Status">
              <span className={`inline-flex items-center gap-1.5 font-medium ${tenant.keyRejectedAt ? "text-red-700" : "text-emerald-700"}`}>
                <span aria-hidden className={`size-2 rounded-full ${tenant.keyRejectedAt ? "bg-red-500" : "bg-emerald-500"}`} />
                {tenant.keyRejectedAt ? "Key rejected" : "Connected"}
              </span>
            </Detail>
            <Detail term="Environment">{tenant.environment === "test" ? "Test (Whop's sandbox)" : "Live (Whop's production)"}</Detail>
            <Detail term="API key">
              <span className="font-mono">•••• {tenant.whopApiKeyHint}</span>
            </Detail>
            <Detail term="Last successful Whop call">{tenant.keyVerifiedAt ? formatDateTime(tenant.keyVerifiedAt) : "—"}</Detail>
          </dl>
          <Link href="/dashboard/integrations/whop" className={`${buttonClass("secondary")} mt-6`}>
            Manage integration
          </Link>
        </Card>
        <Card title="Revenue" description="Paid orders net of refunds and lost disputes, per currency, by UTC day (today included, as the chart below).">
          {revenue.length === 0 ? (
            <p className="text-sm text-zinc-600">
              No paid orders yet.{" "}
              <Link href="/dashboard/items" className="font-medium text-brand-600 hover:underline">
                Create an item
              </Link>{" "}
              and share its link.
            </p>
          ) : (
            <table className="w-full text-sm">
              <thead className="text-left text-xs font-semibold tracking-wide text-zinc-500 uppercase">
                <tr>
                  <th scope="col" className="pb-2">Currency</th>
                  <th scope="col" className="pb-2 text-right">Last 7 days</th>
                  <th scope="col" className="pb-2 text-right">Last 30 days</th>
                </tr>
              </thead>
              <tbody className="divide-y divide-zinc-100">
                {revenue.map((row) => {
                  const currency = row.currency as Currency;
                  const week = revenueWeek.find((w) => w.currency === row.currency);
                  return (
                    <tr key={row.currency}>
                      <th scope="row" className="py-2 text-left font-medium">{row.currency.toUpperCase()}</th>
                      <td className="py-2 text-right tabular-nums">
                        {formatMoney(week?.netMinor ?? 0, currency)}
                        <span className="block text-xs text-zinc-500">
                          {week?.orders ?? 0} order{week?.orders === 1 ? "" : "s"}
                        </span>
                      </td>
                      <td className="py-2 text-right text-lg font-semibold tabular-nums">
                        {formatMoney(row.netMinor, currency)}
                        <span className="block text-xs font-normal text-zinc-500">
                          {row.orders} order{row.orders === 1 ? "" : "s"}
                        </span>
                        {renewalRevenue.some((r) => r.currency === row.currency) && (
                          <span className="block text-xs font-normal text-zinc-500">
                            of which renewals {formatMoney(renewalRevenue.find((r) => r.currency === row.currency)!.minor, currency)}
                          </span>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )}
        </Card>
      </div>

      {subscriptions.length > 0 && (
        <Card title="Subscriptions" description="Monthly recurring revenue of active and canceling subscriptions (weekly × 52 / 12, every 3 months ÷ 3, yearly ÷ 12), per currency.">
          <table className="w-full text-sm">
            <thead className="text-left text-xs font-semibold tracking-wide text-zinc-500 uppercase">
              <tr>
                <th scope="col" className="pb-2">Currency</th>
                <th scope="col" className="pb-2 text-right">MRR</th>
                <th scope="col" className="pb-2 pl-3 text-right">Active subscribers</th>
                <th scope="col" className="pb-2 pl-3 text-right">Churned, 30 days</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-zinc-100">
              {subscriptions.map((row) => (
                <tr key={row.currency}>
                  <th scope="row" className="py-2 text-left font-medium">{row.currency.toUpperCase()}</th>
                  <td className="py-2 text-right text-lg font-semibold tabular-nums">{formatMoney(row.mrrMinor, row.currency as Currency)}</td>
                  <td className="py-2 pl-3 text-right tabular-nums">{row.subscribers}</td>
                  <td className="py-2 pl-3 text-right tabular-nums">{row.churned30d}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <Link href="/dashboard/subscriptions" className="mt-4 inline-block text-sm font-medium text-brand-600 hover:underline">
            All subscriptions
          </Link>
        </Card>
      )}

      <Card title="Paid orders per day" description="Last 30 days, by the day Whop confirmed the payment (UTC); renewals of subscriptions stacked on top.">
        <PaidOrdersChart days={chartDays} />
      </Card>

      <section aria-labelledby="recent-orders" className="space-y-3">
        <div className="flex items-center justify-between">
          <h2 id="recent-orders" className="text-base font-semibold">
            Recent orders
          </h2>
          <Link href="/dashboard/orders" className="text-sm font-medium text-brand-600 hover:underline">
            All orders
          </Link>
        </div>
        {recent.rows.length === 0 ? (
          <p className="rounded-xl border border-dashed border-zinc-300 bg-white px-6 py-8 text-center text-sm text-zinc-600">
            No orders yet. Every click on a checkout link creates one.
          </p>
        ) : (
          <OrdersTable rows={recent.rows} />
        )}
      </section>
    </>
  );
}
