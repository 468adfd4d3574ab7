"use client";

import { useActionState } from "react";
import type { ActionState } from "@/lib/actions";
import { SubmitButton } from "@/components/ui/button";
import { Notice } from "@/components/ui/card";

/** **Update webhook events**: adds the missing events to the webhook in Whop; the result or Whop's refusal inline. */
export function UpdateWebhookEventsForm({ action }: { action: (state: ActionState, formData: FormData) => Promise<ActionState> }) {
  const [state, formAction] = useActionState(action, {});
  return (
    <form action={formAction} className="space-y-3">
      <SubmitButton variant="secondary" pendingLabel="Updating webhook…">
        Update webhook events
      </SubmitButton>
      {state.error && <Notice tone="error">{state.error}</Notice>}
      {state.success && <Notice tone="success">{state.success}</Notice>}
    </form>
  );
}
