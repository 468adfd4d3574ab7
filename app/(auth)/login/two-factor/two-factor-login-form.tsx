"use client";

import { useActionState } from "react";
import type { ActionState } from "@/lib/actions";
import { SubmitButton } from "@/components/ui/button";
import { Notice } from "@/components/ui/card";
import { Field } from "@/components/ui/field";

/** Field **Authentication code** (a 6-digit code or a recovery code), button **Verify**. */
export function TwoFactorLoginForm({ action }: { action: (state: ActionState, formData: FormData) => Promise<ActionState> }) {
  const [state, formAction] = useActionState(action, {});
  return (
    <form action={formAction} className="space-y-5" noValidate>
      {state.error && <Notice tone="error">{state.error}</Notice>}
      <Field
        label="Authentication code"
        name="code"
        type="text"
        autoComplete="one-time-code"
        spellCheck={false}
        autoFocus
        required
        hint="The 6-digit code from your authenticator app. Lost your phone? Type one of your recovery codes."
        error={state.fieldErrors?.code}
      />
      <SubmitButton pendingLabel="Verifying…" className="w-full">
        Verify
      </SubmitButton>
    </form>
  );
}
