"use client";

import { useActionState } from "react";
import type { ActionState } from "@/lib/actions";
import { SubmitButton } from "@/components/ui/button";
import { Field } from "@/components/ui/field";
import { Notice } from "@/components/ui/card";

/** Field **Webhook secret** + **Save**; the value is never echoed back, only its last four characters. */
export function WebhookSecretForm({ action }: { action: (state: ActionState, formData: FormData) => Promise<ActionState> }) {
  const [state, formAction] = useActionState(action, {});
  return (
    <form action={formAction} className="space-y-4" noValidate>
      <Field
        label="Webhook secret"
        name="webhookSecret"
        type="password"
        autoComplete="off"
        spellCheck={false}
        placeholder="ws_…"
        required
        error={state.fieldErrors?.webhookSecret}
        hint="Shown once by Whop when the webhook is created. Saving a new secret keeps the previous one valid for 24 hours."
      />
      {state.success && <Notice tone="success">{state.success}</Notice>}
      <SubmitButton pendingLabel="Saving…">Save</SubmitButton>
    </form>
  );
}
