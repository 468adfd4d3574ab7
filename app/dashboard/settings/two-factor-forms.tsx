"use client";

import { useActionState } from "react";
import { useRouter } from "next/navigation";
import type { ActionState } from "@/lib/actions";
import { ConfirmItsYou } from "@/components/confirm-its-you";
import { CopyButton } from "@/components/copy-button";
import { SubmitButton } from "@/components/ui/button";
import { Notice } from "@/components/ui/card";
import { Field } from "@/components/ui/field";

type Action = (state: ActionState, formData: FormData) => Promise<ActionState>;

/** **Set up two-factor**: makes a secret; the page then shows its QR code and the confirmation form. */
export function StartTwoFactorSetupForm({ action }: { action: Action }) {
  const [state, formAction] = useActionState(action, {});
  return (
    <form action={formAction} className="space-y-3">
      {state.error && <Notice tone="error">{state.error}</Notice>}
      <SubmitButton pendingLabel="Preparing…">Set up two-factor</SubmitButton>
    </form>
  );
}

/**
 * The QR code and the secret in text, field **Authentication code**, button **Turn on two-factor**;
 * once on, only the ten recovery codes, once (the secret is no longer shown).
 */
export function ConfirmTwoFactorSetupForm({ action, cancelAction, qrSvg, secret }: { action: Action; cancelAction: Action; qrSvg: string; secret: string }) {
  const [state, formAction] = useActionState(action, {});
  const [, cancelFormAction] = useActionState(cancelAction, {});
  if (state.reveal) return <RecoveryCodes success={state.success} codes={state.reveal.split("\n")} />;
  return (
    <div className="flex flex-col gap-6 sm:flex-row sm:items-start">
      <div
        role="img"
        aria-label="QR code for your authenticator app"
        className="size-44 shrink-0 rounded-md border border-zinc-200 bg-white p-1 [&>svg]:size-full"
        // The SVG is made by the qrcode library from our own otpauth:// URI: no user markup.
        dangerouslySetInnerHTML={{ __html: qrSvg }}
      />
      <div className="min-w-0 flex-1 space-y-4">
        <div className="space-y-1 text-sm">
          <p className="text-zinc-600">Cannot scan it? Enter this secret in the app (time-based, 6 digits):</p>
          <p data-testid="totp-secret" className="font-mono font-semibold tracking-wide text-zinc-900 wrap-anywhere">
            {secret}
          </p>
        </div>
        <SetupCodeForms formAction={formAction} cancelFormAction={cancelFormAction} state={state} />
      </div>
    </div>
  );
}

function SetupCodeForms({ formAction, cancelFormAction, state }: { formAction: (formData: FormData) => void; cancelFormAction: (formData: FormData) => void; state: ActionState }) {
  return (
    <div className="space-y-3">
      <form action={formAction} className="max-w-xs space-y-4" noValidate>
        {state.error && <Notice tone="error">{state.error}</Notice>}
        <Field
          label="Authentication code"
          name="code"
          type="text"
          inputMode="numeric"
          autoComplete="one-time-code"
          spellCheck={false}
          maxLength={7}
          required
          hint="The 6-digit code your app shows for Whop Connector."
          error={state.fieldErrors?.code}
        />
        <SubmitButton pendingLabel="Checking…">Turn on two-factor</SubmitButton>
      </form>
      <form action={cancelFormAction}>
        <button type="submit" className="text-sm font-medium text-zinc-600 underline-offset-2 hover:underline focus-visible:outline-2 focus-visible:outline-brand-500">
          Cancel setup
        </button>
      </form>
    </div>
  );
}

/** With two-factor on: **New recovery codes** and **Turn off two-factor**, each behind **Confirm it's you**. */
export function TwoFactorOnForms({ regenerateAction, disableAction }: { regenerateAction: Action; disableAction: Action }) {
  const [regenerated, regenerateFormAction] = useActionState(regenerateAction, {});
  const [disabled, disableFormAction] = useActionState(disableAction, {});
  const reauthenticate = regenerated.reauthenticate ?? disabled.reauthenticate;
  if (regenerated.reveal) return <RecoveryCodes success={regenerated.success} codes={regenerated.reveal.split("\n")} />;
  return (
    <div className="space-y-4">
      {(regenerated.error ?? disabled.error) && <Notice tone={reauthenticate ? "warning" : "error"}>{regenerated.error ?? disabled.error}</Notice>}
      {reauthenticate && <ConfirmItsYou method={reauthenticate} />}
      <div className="flex flex-wrap gap-3">
        <form action={regenerateFormAction}>
          <SubmitButton variant="secondary" pendingLabel="Making codes…">
            New recovery codes
          </SubmitButton>
        </form>
        <form action={disableFormAction}>
          <button
            type="submit"
            className="inline-flex items-center justify-center rounded-md px-4 py-2 text-sm font-semibold text-red-700 ring-1 ring-inset ring-red-200 hover:bg-red-50 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-red-600"
          >
            Turn off two-factor
          </button>
        </form>
      </div>
    </div>
  );
}

/** The recovery codes, shown once: copy them, then **I have saved them** shows the card as it now is. */
function RecoveryCodes({ codes, success }: { codes: string[]; success?: string }) {
  const router = useRouter();
  return (
    <div className="space-y-4">
      {success && <Notice tone="success">{success}</Notice>}
      <div className="space-y-2">
        <h3 className="text-sm font-semibold text-zinc-900">Your recovery codes</h3>
        <p className="text-sm text-zinc-600">
          Each one logs you in once if you lose your phone. Keep them somewhere safe, such as a password manager: they are shown only now.
        </p>
        <ul aria-label="Recovery codes" className="grid max-w-md grid-cols-2 gap-x-6 gap-y-1 rounded-md border border-zinc-200 bg-zinc-50 p-4 font-mono text-sm text-zinc-900">
          {codes.map((code) => (
            <li key={code}>{code}</li>
          ))}
        </ul>
      </div>
      <div className="flex flex-wrap gap-3">
        <CopyButton value={codes.join("\n")} label="Copy codes" />
        <button
          type="button"
          onClick={() => router.refresh()}
          className="rounded-md bg-brand-500 px-3 py-1.5 text-xs font-semibold text-white hover:bg-brand-600 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-brand-500"
        >
          I have saved them
        </button>
      </div>
    </div>
  );
}
