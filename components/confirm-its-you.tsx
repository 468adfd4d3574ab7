"use client";

import { useActionState } from "react";
import { confirmItsYouAction } from "@/app/dashboard/step-up-actions";
import { SubmitButton } from "@/components/ui/button";
import { Notice } from "@/components/ui/card";
import { Field } from "@/components/ui/field";

/**
 * Shown by a form whose action answered `reauthenticate` (a sensitive action, more than 10 minutes
 * after the session last proved who uses it): the password, or a code when two-factor is on. Once
 * confirmed, the merchant presses the form's own button again. Render it outside that form.
 */
export function ConfirmItsYou({ method }: { method: "password" | "code" }) {
  const [state, formAction] = useActionState(confirmItsYouAction, {});
  if (state.success) return <Notice tone="success">{state.success}</Notice>;
  const code = method === "code";
  return (
    <form action={formAction} aria-labelledby="confirm-its-you-heading" className="max-w-md space-y-3 rounded-lg border border-amber-200 bg-amber-50 p-4" noValidate>
      <h3 id="confirm-its-you-heading" className="text-sm font-semibold text-amber-950">
        Confirm it&apos;s you
      </h3>
      {state.error && <Notice tone="error">{state.error}</Notice>}
      <Field
        label={code ? "Authentication code" : "Password"}
        name="secret"
        type={code ? "text" : "password"}
        autoComplete={code ? "one-time-code" : "current-password"}
        spellCheck={false}
        required
        hint={code ? "The 6-digit code from your authenticator app, or one of your recovery codes." : "The password you log in with."}
        error={state.fieldErrors?.secret}
      />
      <SubmitButton pendingLabel="Confirming…">Confirm</SubmitButton>
    </form>
  );
}
