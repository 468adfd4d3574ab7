"use client";

import { useActionState, useState } from "react";
import type { ActionState } from "@/lib/actions";
import { ConfirmItsYou } from "@/components/confirm-its-you";
import { CopyButton } from "@/components/copy-button";
import { SubmitButton } from "@/components/ui/button";
import { Notice } from "@/components/ui/card";
import { Field } from "@/components/ui/field";

type Action = (state: ActionState, formData: FormData) => Promise<ActionState>;

/** Name a new token; the token itself appears once, under the form, with a copy button. */
export function CreateApiTokenForm({ action }: { action: Action }) {
  const [state, formAction] = useActionState(action, {});
  const errors = state.fieldErrors ?? {};
  return (
    <div className="space-y-4">
      <form key={JSON.stringify(state.values ?? {})} action={formAction} className="flex flex-wrap items-start gap-3" noValidate>
        <Field
          label="Name"
          name="name"
          required
          maxLength={60}
          placeholder="Course site (production)"
          defaultValue={state.values?.name ?? ""}
          error={errors.name}
          hint="The app that will use it, so you know which token to revoke."
          className="min-w-56 flex-1"
        />
        <SubmitButton pendingLabel="Creating…" className="mt-6.5">
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
