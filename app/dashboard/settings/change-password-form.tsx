"use client";

import { useActionState } from "react";
import type { ActionState } from "@/lib/actions";
import { SubmitButton } from "@/components/ui/button";
import { Notice } from "@/components/ui/card";
import { Field } from "@/components/ui/field";

/** Fields **Current password** and **New password**, button **Change password**. */
export function ChangePasswordForm({ action, passwordRules }: { action: (state: ActionState, formData: FormData) => Promise<ActionState>; passwordRules: string }) {
  const [state, formAction] = useActionState(action, {});
  return (
    <form action={formAction} className="max-w-md space-y-4" noValidate>
      {state.error && <Notice tone="error">{state.error}</Notice>}
      <Field
        label="Current password"
        name="currentPassword"
        type="password"
        autoComplete="current-password"
        required
        error={state.fieldErrors?.currentPassword}
      />
      <Field
        label="New password"
        name="newPassword"
        type="password"
        autoComplete="new-password"
        required
        hint={passwordRules}
        error={state.fieldErrors?.newPassword}
      />
      {state.success && <Notice tone="success">{state.success}</Notice>}
      <SubmitButton pendingLabel="Changing password…">Change password</SubmitButton>
    </form>
  );
}
