import { WHOP_EVENTS_APPLIED } from "@/lib/whop/events";
import Link from "next/link";
import { buttonClass } from "@/components/ui/button-class";
import { Card, Notice } from "@/components/ui/card";
import { CopyButton } from "@/components/copy-button";
import { CreateWebhookForm } from "@/components/create-webhook-form";
import { WebhookSecretForm } from "@/components/webhook-secret-form";
import { WhopKeyForm } from "@/components/whop-key-form";
import { requireAccount } from "@/lib/auth/session";
import { formatDateTime } from "@/lib/format";
import { isConnected } from "@/lib/tenants/queries";
import {
  checkWebhookEvents,
  WEBHOOK_PERMISSION,
  webhookSecretSummary,
  webhookUrl,
  type WebhookEventsCheck,
  type WebhookSecretSummary,
} from "@/lib/tenants/webhook-secret";
import { webhookStatus, type WebhookStatus } from "@/lib/tenants/webhook-status";
import type { Tenant } from "@/db/schema";
import { createWebhookAction, replaceKeyAction, saveWebhookSecretAction, updateWebhookEventsAction } from "./actions";
import { UpdateWebhookEventsForm } from "./update-webhook-events-form";

export const metadata = { title: "Whop integration" };

export default async function WhopIntegrationPage() {
  const { tenant } = await requireAccount();
  const connected = isConnected(tenant);
  const secret = webhookSecretSummary(tenant);
  const [status, events] = await Promise.all([webhookStatus(tenant.id), checkWebhookEvents(tenant)]);

  return (
    <>
      <h1 className="text-2xl font-semibold">Whop integration</h1>
      {connected ? (
        <Card
          title="API key"
          description={
            <>
              Connected to <strong>{tenant.whopCompanyTitle}</strong> <span className="font-mono">({tenant.whopCompanyId})</span> with the key ending in{" "}
              <span className="font-mono font-semibold">{tenant.whopApiKeyHint}</span>
              {tenant.keyVerifiedAt && <>, last verified {formatDateTime(tenant.keyVerifiedAt)}</>}.
            </>
          }
        >
          <h3 className="mb-1 text-sm font-semibold">Replace the key</h3>
          <p className="mb-4 text-sm text-zinc-600">
            Create a new company API key in Whop, paste it here, then revoke the old one in Whop. The current key stays in use until the new one is
            accepted.
          </p>
          <WhopKeyForm action={replaceKeyAction} submitLabel="Replace key" />
        </Card>
      ) : (
        <Card title="API key" description="Your account is not connected to a Whop company yet.">
          <Link href="/onboarding" className={buttonClass()}>
            Connect Whop
          </Link>
        </Card>
      )}
      <WebhookCard tenant={tenant} connected={connected} secret={secret} events={events} />
      <DeliveriesCard status={status} secretSaved={secret.saved} />
    </>
  );
}

function WebhookCard({
  tenant,
  connected,
  secret,
  events,
}: {
  tenant: Tenant;
  connected: boolean;
  secret: WebhookSecretSummary;
  events: WebhookEventsCheck;
}) {
  const url = webhookUrl(tenant);
  return (
    <Card
      title="Webhook"
      description="Whop tells us about payments, refunds, disputes and memberships by calling this URL. Every delivery is checked against your webhook secret, so only genuine Whop events change your orders."
    >
      <div className="space-y-6">
        <SecretStatus secret={secret} />
        <EventsStatus events={events} />

        <div className="space-y-1.5">
          <label htmlFor="webhook-url" className="block text-sm font-medium text-zinc-800">
            Your webhook URL
          </label>
          <div className="flex items-center gap-2">
            <input
              id="webhook-url"
              readOnly
              value={url}
              className="min-w-0 flex-1 rounded-md border border-zinc-200 bg-zinc-50 px-3 py-2 font-mono text-xs text-zinc-700"
            />
            <CopyButton value={url} label="Copy URL" />
          </div>
          <p className="text-xs text-zinc-500">Unique to your account. Keep it to your Whop webhook settings.</p>
        </div>

        {connected && (
          <section aria-labelledby="auto-create-heading" className="space-y-2 border-t border-zinc-100 pt-5">
            <h3 id="auto-create-heading" className="text-sm font-semibold">
              Create it automatically
            </h3>
            <p className="text-sm text-zinc-600">
              We create the webhook in {tenant.whopCompanyTitle ?? "your Whop company"} with your API key and save its secret for you. The key needs
              the <code className="rounded bg-zinc-100 px-1 py-0.5 text-xs">{WEBHOOK_PERMISSION}</code> permission; without it, follow the steps
              below instead.
            </p>
            {secret.webhookId && (
              <p className="text-sm text-amber-800">
                A webhook was already created for you (<span className="font-mono">{secret.webhookId}</span>). Creating another one makes Whop send
                every event twice; delete the old one in Whop first.
              </p>
            )}
            <CreateWebhookForm action={createWebhookAction} />
          </section>
        )}

        <section aria-labelledby="manual-heading" className="space-y-3 border-t border-zinc-100 pt-5">
          <h3 id="manual-heading" className="text-sm font-semibold">
            {connected ? "Or create it by hand in Whop" : "Create it in Whop"}
          </h3>
          <ol className="list-decimal space-y-2 pl-5 text-sm text-zinc-700 marker:font-semibold marker:text-zinc-500">
            <li>
              In your Whop dashboard, open <strong>Developer → Webhooks</strong> and press <strong>Create webhook</strong>.
            </li>
            <li>Paste your webhook URL (above) as the endpoint URL.</li>
            <li>
              Choose API version <strong>v1</strong>.
            </li>
            <li>
              Select these events:
              <ul aria-label="Events to select" className="mt-2 flex flex-wrap gap-1.5">
                {WHOP_EVENTS_APPLIED.map((event) => (
                  <li key={event} className="rounded bg-zinc-100 px-1.5 py-0.5 font-mono text-xs text-zinc-700">
                    {event}
                  </li>
                ))}
              </ul>
            </li>
            <li>Save the webhook.</li>
            <li>
              Whop shows the webhook secret (it starts with <code className="font-mono">ws_</code>) only once: copy it and paste it below.
            </li>
          </ol>
          <WebhookSecretForm action={saveWebhookSecretAction} />
        </section>
      </div>
    </Card>
  );
}

function SecretStatus({ secret }: { secret: WebhookSecretSummary }) {
  if (!secret.saved) {
    return <Notice tone="warning">No webhook secret saved yet: Whop&rsquo;s deliveries are refused until you save one below.</Notice>;
  }
  return (
    <div role="status" className="space-y-1 rounded-md border border-emerald-200 bg-emerald-50 px-4 py-3 text-sm text-emerald-900">
      <p className="font-medium">
        <span aria-hidden>✓ </span>
        {secret.secretHint ? (
          <>
            Webhook secret saved, ending in <span className="font-mono font-semibold">{secret.secretHint}</span>
          </>
        ) : (
          <>Webhook secret saved</>
        )}
        {secret.webhookId && (
          <>
            {" "}
            (webhook <span className="font-mono">{secret.webhookId}</span>, created automatically)
          </>
        )}
        .
      </p>
      {secret.previousAcceptedUntil && (
        <p>The previous secret is still accepted until {formatDateTime(secret.previousAcceptedUntil)}.</p>
      )}
    </div>
  );
}

function EventList({ events, label }: { events: readonly string[]; label: string }) {
  return (
    <ul aria-label={label} className="mt-2 flex flex-wrap gap-1.5">
      {events.map((event) => (
        <li key={event} className="rounded bg-white/70 px-1.5 py-0.5 font-mono text-xs">
          {event}
        </li>
      ))}
    </ul>
  );
}

/** Whether Whop sends the webhook every event the connector applies; with the fix one click away. */
function EventsStatus({ events }: { events: WebhookEventsCheck }) {
  switch (events.state) {
    case "not_checked":
    case "not_found":
      return null;
    case "up_to_date":
      return (
        <p className="text-sm text-zinc-600">
          Webhook <span className="font-mono">{events.webhookId}</span> receives every event the connector applies.
        </p>
      );
    case "unavailable":
      return <Notice tone="info">{events.message}</Notice>;
    case "missing":
      return (
        <div className="space-y-3">
          <Notice tone="warning">
            <p>
              Your webhook <span className="font-mono">{events.webhookId}</span>
              {events.source === "created" ? " (created by the connector)" : ""} does not receive{" "}
              {events.missing.length === 1 ? "this event" : `these ${events.missing.length} events`}, so Whop never tells us about{" "}
              {events.missing.length === 1 ? "it" : "them"} and your orders miss those changes:
            </p>
            <EventList events={events.missing} label="Missing events" />
            <p className="mt-2">
              Update the webhook here (its secret stays the same), or tick {events.missing.length === 1 ? "it" : "them"} in your Whop dashboard
              under Developer → Webhooks. Updating needs the <code className="rounded bg-white/70 px-1 py-0.5 text-xs">{WEBHOOK_PERMISSION}</code>{" "}
              permission on your key.
            </p>
          </Notice>
          <UpdateWebhookEventsForm action={updateWebhookEventsAction} />
        </div>
      );
  }
}

const RESULT_LABEL: Record<NonNullable<WebhookStatus["lastDelivery"]>["result"], { label: string; className: string }> = {
  applied: { label: "Applied", className: "bg-emerald-50 text-emerald-700" },
  ignored: { label: "Ignored", className: "bg-zinc-100 text-zinc-700" },
  failed: { label: "Failed", className: "bg-red-50 text-red-700" },
  recorded: { label: "Recorded, applying", className: "bg-sky-50 text-sky-700" },
};

function DeliveriesCard({ status, secretSaved }: { status: WebhookStatus; secretSaved: boolean }) {
  const { lastDelivery, rejectedLast24h, lastRejection } = status;
  return (
    <Card title="Deliveries" description="What arrived from Whop at your webhook URL.">
      <dl className="grid gap-5 sm:grid-cols-2">
        <div className="space-y-1.5">
          <dt className="text-sm font-medium text-zinc-800">Last delivery received</dt>
          <dd className="text-sm text-zinc-700">
            {lastDelivery ? (
              <div className="space-y-1">
                <p className="flex flex-wrap items-center gap-2">
                  <span className="font-mono text-xs">{lastDelivery.eventType}</span>
                  <span className={`rounded-full px-2 py-0.5 text-xs font-medium ${RESULT_LABEL[lastDelivery.result].className}`}>
                    {RESULT_LABEL[lastDelivery.result].label}
                  </span>
                </p>
                <p className="text-zinc-600">
                  <time dateTime={lastDelivery.receivedAt.toISOString()}>{formatDateTime(lastDelivery.receivedAt)}</time>
                </p>
                {lastDelivery.detail && <p className="text-zinc-600">{lastDelivery.detail}</p>}
              </div>
            ) : (
              <div className="space-y-1">
                <p className="font-medium">No delivery received yet.</p>
                <p className="text-zinc-600">
                  {secretSaved
                    ? "Whop calls your webhook at the next payment: make a test purchase through one of your checkout links to see it arrive here."
                    : "Create the webhook and save its secret above; Whop then calls it at the next payment."}
                </p>
              </div>
            )}
          </dd>
        </div>
        <div className="space-y-1.5">
          <dt className="text-sm font-medium text-zinc-800">Rejected signatures (last 24 h)</dt>
          <dd className="space-y-2 text-sm text-zinc-700">
            <p className={`text-2xl font-semibold tabular-nums ${rejectedLast24h > 0 ? "text-red-700" : "text-zinc-900"}`}>{rejectedLast24h}</p>
            {rejectedLast24h > 0 ? (
              <Notice tone="error">
                {rejectedLast24h === 1 ? "One delivery was" : `${rejectedLast24h} deliveries were`} refused because the signature did not match your
                saved secret. Most likely the saved secret is not this webhook&rsquo;s (a second webhook, or a secret rolled in Whop): copy the
                secret again from Whop and save it above.
                {lastRejection && (
                  <>
                    {" "}
                    Last at {formatDateTime(lastRejection.at)}
                    {lastRejection.reason && <>: {lastRejection.reason}</>}.
                  </>
                )}
              </Notice>
            ) : (
              <p className="text-zinc-600">No delivery was refused in the last 24 hours.</p>
            )}
          </dd>
        </div>
      </dl>
      <p className="mt-5 text-sm">
        <Link href="/dashboard/events" className="font-medium text-brand-600 hover:underline">
          See every delivery →
        </Link>
      </p>
    </Card>
  );
}
