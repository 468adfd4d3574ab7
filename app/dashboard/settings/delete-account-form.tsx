"use client";

import { useActionState } from "react";
import { useFormStatus } from "react-dom";
import type { ActionState } from "@/lib/actions";
import { Notice } from "@/components/ui/card";
import { Field } from "@/components/ui/field";

/** Fields **Type your company name to confirm**, **Password** (and **Authentication code** with two-factor on), button **Delete account** (danger). */
export function DeleteAccountForm({
  action,
  phrase,
  connected,
  twoFactor,
}: {
  action: (state: ActionState, formData: FormData) => Promise<ActionState>;
  phrase: string;
  connected: boolean;
  twoFactor: boolean;
}) {
  const [state, formAction] = useActionState(action, {});
  return (
    <form action={formAction} className="max-w-md space-y-4" noValidate>
      {state.error && <Notice tone="error">{state.error}</Notice>}
      <Field
        label="Type your company name to confirm"
        name="confirmation"
        type="text"
        autoComplete="off"
        spellCheck={false}
        required
        defaultValue={state.values?.confirmation ?? ""}
        hint={
          <>
            {connected ? "Type" : "No Whop company is connected yet, so type your account email"}{" "}
            <span className="font-mono font-semibold text-zinc-800 wrap-anywhere">{phrase}</span> exactly as shown.
          </>
        }
        error={state.fieldErrors?.confirmation}
      />
      <Field label="Password" name="password" type="password" autoComplete="current-password" required error={state.fieldErrors?.password} />
      {twoFactor && (
        <Field
          label="Authentication code"
          name="code"
          type="text"
          autoComplete="one-time-code"
          spellCheck={false}
          required
          hint="From your authenticator app, or one of your recovery codes."
          error={state.fieldErrors?.code}
        />
      )}
      <DangerSubmitButton>Delete account</DangerSubmitButton>
    </form>
  );
}

function DangerSubmitButton({ children }: { children: React.ReactNode }) {
  const { pending } = useFormStatus();
  return (
    <button
      type="submit"
      disabled={pending}
      aria-disabled={pending}
      className="inline-flex items-center justify-center gap-2 rounded-md bg-red-600 px-4 py-2 text-sm font-semibold text-white shadow-sm transition-colors hover:bg-red-700 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-red-600 disabled:cursor-not-allowed disabled:bg-red-600/60"
    >
      {pending && <span aria-hidden className="size-4 animate-spin rounded-full border-2 border-current border-r-transparent" />}
      {pending ? "Deleting…" : children}
    </button>
  );
}
