import Link from "next/link";
import { CreateEndpointForm } from "@/components/webhook-endpoint-forms";
import { Card, Notice } from "@/components/ui/card";
import { requireAccount } from "@/lib/auth/session";
import { formatDateTime } from "@/lib/format";
import { listEndpoints, MAX_ENDPOINTS } from "@/lib/outbound/endpoints";
import { EVENT_TYPE_DESCRIPTIONS, ORDER_EVENT_TYPES } from "@/lib/outbound/events";
import { createWebhookEndpointAction } from "./actions";
import { EndpointControls, EndpointStatus } from "./endpoint-controls";

export const metadata = { title: "Webhooks" };

const EVENT_TYPES = ORDER_EVENT_TYPES.map((value) => ({ value, description: EVENT_TYPE_DESCRIPTIONS[value] }));

export default async function WebhooksPage() {
  const { tenant } = await requireAccount();
  const endpoints = await listEndpoints(tenant.id);

  return (
    <>
      <h1 className="text-2xl font-semibold">Webhooks</h1>
      <p className="text-sm text-zinc-600">
        Your own app hears about every order change as it happens: paid, refunded, disputed, access begun or ended. Each event is signed
        (Standard Webhooks), retried for about three days until your endpoint answers 2xx, and also listed by{" "}
        <a href="/api/v1/openapi.json" className="font-medium text-brand-700 underline underline-offset-2">
          GET /api/v1/events
        </a>{" "}
        for catching up.
      </p>

      <Card title="Add an endpoint" description={`Up to ${MAX_ENDPOINTS} endpoints. Its signing secret (whsec_…) is shown once: keep it in your app's configuration.`}>
        <CreateEndpointForm action={createWebhookEndpointAction} eventTypes={EVENT_TYPES} />
      </Card>

      <section aria-labelledby="endpoints-heading" className="space-y-3">
        <h2 id="endpoints-heading" className="text-base font-semibold">
          Endpoints <span className="font-normal text-zinc-500">({endpoints.length})</span>
        </h2>
        {endpoints.length === 0 ? (
          <p className="rounded-xl border border-dashed border-zinc-300 bg-white px-6 py-10 text-center text-sm text-zinc-600">No endpoints yet.</p>
        ) : (
          <ul className="space-y-3">
            {endpoints.map((endpoint) => (
              <li key={endpoint.id} aria-label={endpoint.url} className="space-y-3 rounded-xl border border-zinc-200 bg-white px-5 py-4 text-sm shadow-sm">
                <div className="flex flex-wrap items-center gap-x-3 gap-y-1">
                  <p className="min-w-0 flex-1 font-mono text-xs font-medium wrap-anywhere text-zinc-900">{endpoint.url}</p>
                  <EndpointStatus endpoint={endpoint} />
                </div>
                <p className="text-xs text-zinc-600">
                  {endpoint.eventTypes.length === ORDER_EVENT_TYPES.length ? "Every event type" : endpoint.eventTypes.join(", ")} · added {formatDateTime(endpoint.createdAt)}
                  {endpoint.previousSecretExpiresAt && endpoint.previousSecretExpiresAt > new Date() && <> · the previous secret also signs until {formatDateTime(endpoint.previousSecretExpiresAt)}</>}
                </p>
                {!endpoint.enabled && endpoint.disabledReason === "failing" && (
                  <Notice tone="error">
                    Every delivery to this endpoint failed for 3 days, so it was disabled. Fix your app, then enable it: it offers to resend the events it missed.
                  </Notice>
                )}
                <div className="flex flex-wrap items-start justify-between gap-3">
                  <EndpointControls endpoint={endpoint} />
                  <Link href={`/dashboard/webhooks/${endpoint.id}`} className="text-xs font-semibold text-brand-700 hover:underline">
                    Delivery log →
                  </Link>
                </div>
              </li>
            ))}
          </ul>
        )}
      </section>

      <Card title="Verify each delivery" description="Every request carries webhook-id (the event id, the same on every retry), webhook-timestamp and webhook-signature.">
        {/* Scrolls sideways inside itself on a phone, so it takes focus: keyboard users can scroll it too. */}
        <pre
          tabIndex={0}
          aria-label="Verifying a delivery"
          className="overflow-x-auto rounded-md bg-zinc-900 p-4 text-xs leading-relaxed text-zinc-100 focus-visible:outline-2 focus-visible:outline-brand-500"
        >
          {`import { Webhook } from "standardwebhooks";

const wh = new Webhook(process.env.WHOP_CONNECTOR_WEBHOOK_SECRET); // whsec_…
// rawBody: the request body exactly as received (a string), before any JSON parsing
const event = wh.verify(rawBody, headers); // throws when the signature is wrong or stale
// event = { id: "evt_…", type: "order.paid", created_at: "…", data: { …the order } }
// Events may arrive more than once and out of order: dedupe on event.id, trust data.`}
        </pre>
      </Card>
    </>
  );
}
