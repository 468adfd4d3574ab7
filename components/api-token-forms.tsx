"use client";

import { useActionState, useState } from "react";
import type { ActionState } from "@/lib/actions";
import { ConfirmItsYou } from "@/components/confirm-its-you";
import { CopyButton } from "@/components/copy-button";
import { SubmitButton } from "@/components/ui/button";
import { Notice } from "@/components/ui/card";
import { Field } from "@/components/ui/field";

type Action = (state: ActionState, formData: FormData) => Promise<ActionState>;

export interface ScopeChoice {
  value: string;
  description: string;
  /** Ticked unless the merchant chose otherwise: the read scopes. */
  byDefault: boolean;
}

/** Name a new token and choose its scopes (read-only by default); the token itself appears once, under the form, with a copy button. */
export function CreateApiTokenForm({ action, scopes }: { action: Action; scopes: ScopeChoice[] }) {
  const [state, formAction] = useActionState(action, {});
  const errors = state.fieldErrors ?? {};
  const chosen = state.values?.scopes !== undefined ? new Set(state.values.scopes.split(",")) : null;
  return (
    <div className="space-y-4">
      <form key={JSON.stringify(state.values ?? {})} action={formAction} className="space-y-4" noValidate>
        <Field
          label="Name"
          name="name"
          required
          maxLength={60}
          placeholder="Course site (production)"
          defaultValue={state.values?.name ?? ""}
          error={errors.name}
          hint="The app that will use it, so you know which token to revoke."
        />
        <fieldset className="space-y-2" aria-describedby={errors.scopes ? "scopes-error" : undefined}>
          <legend className="text-sm font-medium text-zinc-800">Scopes</legend>
          <div className="grid gap-x-6 gap-y-1.5 sm:grid-cols-2">
            {scopes.map((scope) => (
              <label key={scope.value} className="flex items-start gap-2 text-sm">
                <input type="checkbox" name="scopes" value={scope.value} defaultChecked={chosen ? chosen.has(scope.value) : scope.byDefault} className="mt-0.5 size-4 shrink-0 accent-brand-500" />
                <span>
                  <span className="font-mono text-xs leading-5 text-zinc-800">{scope.value}</span>
                  <span className="block text-xs text-zinc-600">{scope.description}</span>
                </span>
              </label>
            ))}
          </div>
          {errors.scopes && (
            <p id="scopes-error" role="alert" className="text-sm text-red-700">
              {errors.scopes}
            </p>
          )}
        </fieldset>
        <SubmitButton pendingLabel="Creating…">
          Create token
        </SubmitButton>
      </form>
      {state.error && <Notice tone={state.reauthenticate ? "warning" : "error"}>{state.error}</Notice>}
      {state.reauthenticate && <ConfirmItsYou method={state.reauthenticate} />}
      {state.success && <Notice tone="success">{state.success}</Notice>}
      {state.reveal && (
        <div className="flex flex-wrap items-center gap-2">
          <label className="sr-only" htmlFor="new-api-token">
            New API token
          </label>
          <input
            id="new-api-token"
            readOnly
            value={state.reveal}
            className="min-w-0 flex-1 rounded-md border border-emerald-300 bg-emerald-50 px-3 py-1.5 font-mono text-xs text-zinc-900"
          />
          <CopyButton value={state.reveal} label="Copy token" />
        </div>
      )}
    </div>
  );
}

/** Two steps: revoking breaks every app using the token at once. */
export function RevokeApiTokenForm({ action, tokenId, name }: { action: Action; tokenId: string; name: string }) {
  const [state, formAction] = useActionState(action, {});
  const [confirming, setConfirming] = useState(false);
  const small = "rounded-md px-2.5 py-1.5 text-xs font-semibold focus-visible:outline-2 focus-visible:outline-brand-500";
  if (!confirming) {
    return (
      <button type="button" onClick={() => setConfirming(true)} aria-label={`Revoke ${name}`} className={`${small} text-red-700 ring-1 ring-inset ring-red-200 hover:bg-red-50`}>
        Revoke
      </button>
    );
  }
  // A fragment: in the token's row (flex, wrapping) the confirmation takes a line of its own.
  return (
    <>
      <form action={formAction} className="flex flex-wrap items-center gap-2">
        <input type="hidden" name="tokenId" value={tokenId} />
        {state.error && (
          <span role="alert" className="text-xs text-red-700">
            {state.error}
          </span>
        )}
        <span className="text-xs text-zinc-600">Apps using it stop working at once.</span>
        <button className={`${small} bg-red-700 text-white hover:bg-red-800`}>Revoke now</button>
        <button type="button" onClick={() => setConfirming(false)} className={`${small} text-zinc-700 hover:bg-zinc-100`}>
          Keep
        </button>
      </form>
      {state.reauthenticate && (
        <div className="basis-full">
          <ConfirmItsYou method={state.reauthenticate} />
        </div>
      )}
    </>
  );
}

/** Rotate publishable key (Owner), in two steps: every app holding the old key stops validating at once. */
export function RotatePublishableKeyForm({ action }: { action: Action }) {
  const [state, formAction] = useActionState(action, {});
  const [confirming, setConfirming] = useState(false);
  const small = "rounded-md px-2.5 py-1.5 text-xs font-semibold focus-visible:outline-2 focus-visible:outline-brand-500";
  return (
    <div className="space-y-3">
      {confirming ? (
        <form action={formAction} className="flex flex-wrap items-center gap-2">
          <span className="text-xs text-zinc-600">Apps with the current key stop working at once.</span>
          <button className={`${small} bg-red-700 text-white hover:bg-red-800`}>Rotate now</button>
          <button type="button" onClick={() => setConfirming(false)} className={`${small} text-zinc-700 hover:bg-zinc-100`}>
            Keep
          </button>
        </form>
      ) : (
        <button type="button" onClick={() => setConfirming(true)} className={`${small} text-zinc-800 ring-1 ring-inset ring-zinc-300 hover:bg-zinc-50`}>
          Rotate publishable key
        </button>
      )}
      {state.error && <Notice tone="error">{state.error}</Notice>}
      {state.success && <Notice tone="success">{state.success}</Notice>}
    </div>
  );
}
