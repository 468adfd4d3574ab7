import Link from "next/link";
import { Pagination } from "@/components/pagination";
import { buttonClass } from "@/components/ui/button-class";
import { Notice } from "@/components/ui/card";
import { requireAccount } from "@/lib/auth/session";
import { formatDateTime } from "@/lib/format";
import { webhookStatus } from "@/lib/tenants/webhook-status";
import { env } from "@/lib/env";
import { eventFilterSchema, listWebhookEvents, prettyPayload, shownResult } from "@/lib/ledger/events";
import { isPrunedPayload } from "@/lib/ledger/retention";
import { canReapply } from "@/lib/ledger/reapply";
import { reapplyEventAction } from "./actions";
import { ReapplyButton } from "./reapply-button";

export const metadata = { title: "Webhook events" };

const RESULT_LOOK = {
  applied: "bg-emerald-50 text-emerald-800 ring-emerald-200",
  ignored: "bg-zinc-100 text-zinc-700 ring-zinc-200",
  failed: "bg-red-50 text-red-800 ring-red-200",
  recorded: "bg-sky-50 text-sky-800 ring-sky-200",
} as const;

const SCHEME_LABEL = { standard: "Standard Webhooks", legacy: "x-whop-signature t=…", bare: "x-whop-signature (bare)", reconcile: "read from Whop" } as const;

export default async function EventsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { tenant } = await requireAccount();
  const filter = eventFilterSchema.parse(await searchParams);
  const [{ events, nextCursor }, status] = await Promise.all([listWebhookEvents(tenant.id, filter), webhookStatus(tenant.id)]);
  const retentionDays = env().webhookPayloadRetentionDays;

  return (
    <>
      <h1 className="text-2xl font-semibold">Webhook events</h1>
      <p className="text-sm text-zinc-600">
        Every verified delivery from Whop, recorded once. Repeated deliveries of the same event are counted as duplicates and change nothing.
      </p>
      {status.rejectedLast24h > 0 && (
        <Notice tone="error">
          {status.rejectedLast24h} deliver{status.rejectedLast24h === 1 ? "y was" : "ies were"} rejected in the last 24 hours because the signature
          did not match (their contents are not stored). Check the{" "}
          <Link href="/dashboard/integrations/whop" className="font-semibold underline">
            webhook secret
          </Link>
          .
        </Notice>
      )}
      <form method="get" className="flex items-end gap-3 text-sm">
        <label className="space-y-1">
          <span className="block font-medium text-zinc-700">Result</span>
          <select name="result" defaultValue={filter.result ?? ""} className="rounded-md border border-zinc-300 bg-white px-2 py-1.5">
            <option value="">All</option>
            <option value="applied">Applied</option>
            <option value="ignored">Ignored</option>
            <option value="failed">Failed</option>
          </select>
        </label>
        <button className={buttonClass("secondary")}>Filter</button>
      </form>
      {events.length === 0 ? (
        <p className="rounded-xl border border-dashed border-zinc-300 bg-white px-6 py-10 text-center text-sm text-zinc-600">
          {filter.result || filter.cursor ? (
            "No events match this filter."
          ) : (
            <>
              No webhook received yet. Set up the webhook on the{" "}
              <Link href="/dashboard/integrations/whop" className="font-medium text-brand-600 hover:underline">
                Whop integration
              </Link>{" "}
              page; events appear here as soon as Whop sends them.
            </>
          )}
        </p>
      ) : (
        <ul className="divide-y divide-zinc-200 overflow-hidden rounded-xl border border-zinc-200 bg-white shadow-sm">
          {events.map((event) => (
            <li key={event.id} className="space-y-2 px-4 py-3 text-sm">
              <div className="flex flex-wrap items-center gap-x-3 gap-y-1">
                <span className="font-mono font-medium">{event.eventType}</span>
                <span className={`rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset ${RESULT_LOOK[shownResult(event)]}`}>{shownResult(event)}</span>
                {event.duplicates > 0 && <span className="text-xs text-zinc-500">+{event.duplicates} duplicate deliver{event.duplicates === 1 ? "y" : "ies"}</span>}
                <span className="ml-auto text-xs text-zinc-500">{formatDateTime(event.receivedAt)}</span>
              </div>
              <p className="text-zinc-600">
                {SCHEME_LABEL[event.scheme]}
                {event.detail ? ` · ${event.detail}` : ""}
                {event.orderId && (
                  <>
                    {" · "}
                    <Link href={`/dashboard/orders/${event.orderId}`} className="font-mono text-xs text-brand-600 hover:underline">
                      {event.orderId}
                    </Link>
                  </>
                )}
              </p>
              <ReapplyButton eventId={event.id} eligible={canReapply(event) && !isPrunedPayload(event.payload)} action={reapplyEventAction} />
              {isPrunedPayload(event.payload) ? (
                <p className="text-xs text-zinc-500">Raw payload removed: payloads are kept for {retentionDays} days. What the event did is still recorded above.</p>
              ) : (
                <details>
                  <summary className="cursor-pointer text-xs font-medium text-zinc-700">Raw payload</summary>
                  <pre tabIndex={0} aria-label={`Raw payload of ${event.eventType}`} className="mt-2 max-h-96 overflow-auto rounded-md bg-zinc-950 p-3 text-xs text-zinc-100 focus-visible:outline-2 focus-visible:outline-brand-500">{prettyPayload(event.payload)}</pre>
                </details>
              )}
            </li>
          ))}
        </ul>
      )}
      <Pagination
        basePath="/dashboard/events"
        onLaterPage={Boolean(filter.cursor)}
        nextHref={nextCursor ? `/dashboard/events?${new URLSearchParams({ ...(filter.result ? { result: filter.result } : {}), cursor: nextCursor })}` : null}
      />
    </>
  );
}
