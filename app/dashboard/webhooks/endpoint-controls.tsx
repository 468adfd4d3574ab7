import { DeleteEndpointForm, EndpointButton, EndpointStateForm } from "@/components/webhook-endpoint-forms";
import type { EndpointView } from "@/lib/outbound/endpoints";
import { formatDateTime } from "@/lib/format";
import { deleteWebhookEndpointAction, rotateWebhookSecretAction, sendTestWebhookAction, setWebhookEndpointEnabledAction } from "./actions";

/** An endpoint's status badge: enabled, disabled by the merchant, or disabled after 3 days of failures. */
export function EndpointStatus({ endpoint }: { endpoint: EndpointView }) {
  if (endpoint.enabled) {
    return endpoint.failingSince ? (
      <span className="rounded-full bg-amber-50 px-2 py-0.5 text-xs font-medium text-amber-900 ring-1 ring-inset ring-amber-200">Failing since {formatDateTime(endpoint.failingSince)}</span>
    ) : (
      <span className="rounded-full bg-emerald-50 px-2 py-0.5 text-xs font-medium text-emerald-800 ring-1 ring-inset ring-emerald-200">Enabled</span>
    );
  }
  return (
    <span className="rounded-full bg-red-50 px-2 py-0.5 text-xs font-medium text-red-800 ring-1 ring-inset ring-red-200">
      {endpoint.disabledReason === "failing" ? "Disabled: every delivery failed for 3 days" : "Disabled"}
    </span>
  );
}

/** Send test event, Rotate secret, Disable / Enable (offering to resend what it missed), Delete. */
export function EndpointControls({ endpoint }: { endpoint: EndpointView }) {
  const fields = { endpointId: endpoint.id };
  return (
    <div className="flex flex-wrap items-start gap-2">
      {endpoint.enabled && <EndpointButton action={sendTestWebhookAction} fields={fields} label="Send test event" pendingLabel="Sending…" />}
      <EndpointButton action={rotateWebhookSecretAction} fields={fields} label="Rotate secret" pendingLabel="Rotating…" />
      <EndpointStateForm action={setWebhookEndpointEnabledAction} endpointId={endpoint.id} enabled={endpoint.enabled} missed={endpoint.missed} />
      <DeleteEndpointForm action={deleteWebhookEndpointAction} endpointId={endpoint.id} url={endpoint.url} />
    </div>
  );
}
