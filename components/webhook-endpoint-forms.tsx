"use client";

import { useActionState, useState } from "react";
import type { ActionState } from "@/lib/actions";
import { CopyButton } from "@/components/copy-button";
import { SubmitButton } from "@/components/ui/button";
import { Notice } from "@/components/ui/card";
import { Field } from "@/components/ui/field";

type Action = (state: ActionState, formData: FormData) => Promise<ActionState>;

const small = "rounded-md px-2.5 py-1.5 text-xs font-semibold focus-visible:outline-2 focus-visible:outline-brand-500 disabled:opacity-60";

/** The signing secret, right after it was made: shown once, with a copy button. */
function RevealedSecret({ secret }: { secret: string }) {
  return (
    <div className="flex flex-wrap items-center gap-2">
      <label className="sr-only" htmlFor="new-signing-secret">
        Signing secret
      </label>
      <input
        id="new-signing-secret"
        readOnly
        value={secret}
        className="min-w-0 flex-1 rounded-md border border-emerald-300 bg-emerald-50 px-3 py-1.5 font-mono text-xs text-zinc-900"
      />
      <CopyButton value={secret} label="Copy secret" />
    </div>
  );
}

/** Endpoint URL and event types (all ticked by default); the new endpoint's signing secret appears once below. */
export function CreateEndpointForm({ action, eventTypes }: { action: Action; eventTypes: { value: string; description: string }[] }) {
  const [state, formAction] = useActionState(action, {});
  const errors = state.fieldErrors ?? {};
  const chosen = state.values?.eventTypes !== undefined ? new Set(state.values.eventTypes.split(",")) : null;
  return (
    <div className="space-y-4">
      <form key={JSON.stringify(state.values ?? {})} action={formAction} className="space-y-4" noValidate>
        <Field
          label="Endpoint URL"
          name="url"
          type="url"
          required
          maxLength={2000}
          placeholder="https://example.com/webhooks/whop"
          defaultValue={state.values?.url ?? ""}
          error={errors.url}
          hint="Your app's address that receives the events, over https."
        />
        <fieldset className="space-y-2" aria-describedby={errors.eventTypes ? "event-types-error" : undefined}>
          <legend className="text-sm font-medium text-zinc-800">Event types</legend>
          <div className="grid gap-x-6 gap-y-1.5 sm:grid-cols-2">
            {eventTypes.map((type) => (
              <label key={type.value} className="flex items-start gap-2 text-sm" title={type.description}>
                <input type="checkbox" name="eventTypes" value={type.value} defaultChecked={chosen ? chosen.has(type.value) : true} className="mt-0.5 size-4 accent-brand-500" />
                <span className="font-mono text-xs leading-5 text-zinc-800">{type.value}</span>
              </label>
            ))}
          </div>
          {errors.eventTypes && (
            <p id="event-types-error" role="alert" className="text-sm text-red-700">
              {errors.eventTypes}
            </p>
          )}
        </fieldset>
        <SubmitButton pendingLabel="Adding…">Add endpoint</SubmitButton>
      </form>
      {state.error && <Notice tone="error">{state.error}</Notice>}
      {state.success && <Notice tone="success">{state.success}</Notice>}
      {state.reveal && <RevealedSecret secret={state.reveal} />}
    </div>
  );
}

/** One button acting on an endpoint or delivery (Send test event, Rotate secret, Resend…), with its outcome beside it. */
export function EndpointButton({
  action,
  fields,
  label,
  pendingLabel,
  accessibleLabel,
  tone = "neutral",
}: {
  action: Action;
  fields: Record<string, string>;
  label: string;
  pendingLabel: string;
  accessibleLabel?: string;
  tone?: "neutral" | "danger";
}) {
  const [state, formAction, pending] = useActionState(action, {});
  return (
    <form action={formAction} className="space-y-2">
      {Object.entries(fields).map(([name, value]) => (
        <input key={name} type="hidden" name={name} value={value} />
      ))}
      <button
        disabled={pending}
        aria-label={accessibleLabel}
        className={`${small} ${tone === "danger" ? "text-red-700 ring-1 ring-inset ring-red-200 hover:bg-red-50" : "text-zinc-700 ring-1 ring-inset ring-zinc-300 hover:bg-zinc-50"}`}
      >
        {pending ? pendingLabel : label}
      </button>
      {state.error && <Notice tone="error">{state.error}</Notice>}
      {state.success && <Notice tone="success">{state.success}</Notice>}
      {state.reveal && <RevealedSecret secret={state.reveal} />}
    </form>
  );
}

/**
 * Disable, or enable again offering to resend what the endpoint missed. One form whichever it
 * shows, so its outcome stays on screen when the page re-renders with the new state.
 */
export function EndpointStateForm({ action, endpointId, enabled, missed }: { action: Action; endpointId: string; enabled: boolean; missed: number }) {
  const [state, formAction, pending] = useActionState(action, {});
  return (
    <form action={formAction} className="space-y-2">
      <input type="hidden" name="endpointId" value={endpointId} />
      <input type="hidden" name="enabled" value={enabled ? "false" : "true"} />
      {enabled ? (
        <button disabled={pending} className={`${small} text-zinc-700 ring-1 ring-inset ring-zinc-300 hover:bg-zinc-50`}>
          {pending ? "Disabling…" : "Disable"}
        </button>
      ) : (
        <div className="flex flex-wrap items-center gap-3">
          {missed > 0 && (
            <label className="flex items-center gap-2 text-xs text-zinc-700">
              <input type="checkbox" name="resendMissed" value="on" defaultChecked className="size-4 accent-brand-500" />
              Resend the {missed >= 1000 ? "1000+" : missed} event{missed === 1 ? "" : "s"} it missed
            </label>
          )}
          <button disabled={pending} className={`${small} bg-brand-500 text-white hover:bg-brand-600`}>
            {pending ? "Enabling…" : "Enable"}
          </button>
        </div>
      )}
      {state.error && <Notice tone="error">{state.error}</Notice>}
      {state.success && <Notice tone="success">{state.success}</Notice>}
    </form>
  );
}

/** Two steps: deleting an endpoint also deletes its delivery log. */
export function DeleteEndpointForm({ action, endpointId, url }: { action: Action; endpointId: string; url: string }) {
  const [state, formAction, pending] = useActionState(action, {});
  const [confirming, setConfirming] = useState(false);
  if (!confirming) {
    return (
      <button type="button" onClick={() => setConfirming(true)} aria-label={`Delete ${url}`} className={`${small} text-red-700 ring-1 ring-inset ring-red-200 hover:bg-red-50`}>
        Delete
      </button>
    );
  }
  return (
    <form action={formAction} className="flex flex-wrap items-center gap-2">
      <input type="hidden" name="endpointId" value={endpointId} />
      {state.error && (
        <span role="alert" className="text-xs text-red-700">
          {state.error}
        </span>
      )}
      <span className="text-xs text-zinc-600">It stops receiving events and its log is deleted.</span>
      <button disabled={pending} className={`${small} bg-red-700 text-white hover:bg-red-800`}>
        {pending ? "Deleting…" : "Delete now"}
      </button>
      <button type="button" onClick={() => setConfirming(false)} className={`${small} text-zinc-700 hover:bg-zinc-100`}>
        Keep
      </button>
    </form>
  );
}
