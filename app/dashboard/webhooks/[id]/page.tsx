import Link from "next/link";
import { notFound } from "next/navigation";
import { Pagination } from "@/components/pagination";
import { EndpointButton } from "@/components/webhook-endpoint-forms";
import { requireAccount } from "@/lib/auth/session";
import { formatDateTime } from "@/lib/format";
import { ATTEMPT_LOG_SIZE, attemptCursorSchema, countQueuedDeliveries, getEndpoint, listEndpointAttempts } from "@/lib/outbound/endpoints";
import { resendWebhookDeliveryAction } from "../actions";
import { EndpointControls, EndpointStatus } from "../endpoint-controls";

export const metadata = { title: "Webhook deliveries" };

const STATE_TEXT: Record<string, string> = {
  pending: "retry scheduled",
  sending: "sending",
  delivered: "delivered",
  failed: "gave up",
  canceled: "canceled (endpoint disabled)",
};

export default async function WebhookEndpointPage({
  params,
  searchParams,
}: {
  params: Promise<{ id: string }>;
  searchParams?: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { tenant } = await requireAccount();
  const { id } = await params;
  const cursor = attemptCursorSchema.parse((await searchParams)?.cursor);
  const endpoint = await getEndpoint(tenant.id, id);
  if (!endpoint) notFound();
  const basePath = `/dashboard/webhooks/${encodeURIComponent(endpoint.id)}`;
  const [{ attempts, nextCursor }, queued] = await Promise.all([listEndpointAttempts(tenant.id, endpoint.id, cursor), countQueuedDeliveries(tenant.id, endpoint.id)]);

  return (
    <>
      <Link href="/dashboard/webhooks" className="text-sm text-zinc-600 hover:underline">
        ← Webhooks
      </Link>
      <div className="space-y-3">
        <div className="flex flex-wrap items-center gap-3">
          <h1 className="min-w-0 font-mono text-lg font-semibold wrap-anywhere">{endpoint.url}</h1>
          <EndpointStatus endpoint={endpoint} />
        </div>
        <EndpointControls endpoint={endpoint} />
      </div>

      <section aria-labelledby="log-heading" className="space-y-3">
        <h2 id="log-heading" className="text-base font-semibold">
          Delivery log{" "}
          <span className="font-normal text-zinc-500">
            (newest first, {ATTEMPT_LOG_SIZE} attempts a page{queued > 0 ? `; ${queued} waiting for a first attempt` : ""})
          </span>
        </h2>
        {attempts.length === 0 ? (
          <p className="rounded-xl border border-dashed border-zinc-300 bg-white px-6 py-10 text-center text-sm text-zinc-600">
            No attempt yet. Press Send test event, or wait for the next order change.
          </p>
        ) : (
          <ul className="divide-y divide-zinc-200 overflow-hidden rounded-xl border border-zinc-200 bg-white shadow-sm">
            {attempts.map((attempt) => {
              const ok = attempt.status !== null && attempt.status >= 200 && attempt.status < 300;
              return (
                <li key={attempt.id} className="space-y-2 px-4 py-3 text-sm">
                  <div className="flex flex-wrap items-center gap-x-3 gap-y-1">
                    <span className="font-mono font-medium">{attempt.eventType}</span>
                    <span className={`rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset ${ok ? "bg-emerald-50 text-emerald-800 ring-emerald-200" : "bg-red-50 text-red-800 ring-red-200"}`}>
                      {attempt.status !== null ? `HTTP ${attempt.status}` : "no response"}
                    </span>
                    <span className="text-xs text-zinc-600">attempt {attempt.attempt}</span>
                    <span className="text-xs text-zinc-600">{attempt.durationMs} ms</span>
                    <span className="ml-auto text-xs text-zinc-500">{formatDateTime(attempt.createdAt)}</span>
                  </div>
                  <p className="font-mono text-xs text-zinc-500">{attempt.eventId}</p>
                  {attempt.error && <p className="text-xs text-red-700">{attempt.error}</p>}
                  <p className="text-xs text-zinc-600">
                    Now: {STATE_TEXT[attempt.deliveryState] ?? attempt.deliveryState}
                    {attempt.deliveryState === "pending" && attempt.nextAttemptAt ? `, next attempt ${formatDateTime(attempt.nextAttemptAt)}` : ""}
                  </p>
                  {attempt.responseBody && (
                    <details>
                      <summary className="cursor-pointer text-xs font-medium text-zinc-700">Response body (first 1 KiB)</summary>
                      <pre className="mt-2 max-h-48 overflow-auto rounded-md bg-zinc-50 p-3 text-xs wrap-anywhere whitespace-pre-wrap text-zinc-800">{attempt.responseBody}</pre>
                    </details>
                  )}
                  {/* On every attempt (each resends its event), so the outcome stays beside the row pressed as the new attempt appears above. */}
                  <EndpointButton
                    action={resendWebhookDeliveryAction}
                    fields={{ deliveryId: attempt.deliveryId }}
                    label="Resend"
                    pendingLabel="Resending…"
                    accessibleLabel={`Resend ${attempt.eventId} (attempt ${attempt.attempt})`}
                  />
                </li>
              );
            })}
          </ul>
        )}
        <Pagination basePath={basePath} onLaterPage={Boolean(cursor)} nextHref={nextCursor ? `${basePath}?${new URLSearchParams({ cursor: nextCursor })}` : null} />
      </section>
    </>
  );
}
