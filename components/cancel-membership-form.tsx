"use client";

import { useActionState } from "react";
import type { ActionState } from "@/lib/actions";
import { SubmitButton } from "@/components/ui/button";
import { Notice } from "@/components/ui/card";
import { SelectField } from "@/components/ui/field";

const MODES = [
  { value: "immediate", label: "Immediately (access ends now)" },
  { value: "at_period_end", label: "At the end of the current period" },
];

/** Cancel the buyer's Whop membership; the order shows it ended once Whop's webhook arrives. */
export function CancelMembershipForm({ orderId, action }: { orderId: string; action: (state: ActionState, formData: FormData) => Promise<ActionState> }) {
  const [state, formAction] = useActionState(action, {});
  return (
    <form key={JSON.stringify(state)} action={formAction} className="grid gap-4 sm:grid-cols-6" noValidate>
      <input type="hidden" name="orderId" value={orderId} />
      {state.error && (
        <div className="sm:col-span-6">
          <Notice tone="error">{state.error}</Notice>
        </div>
      )}
      {state.success && (
        <div className="sm:col-span-6">
          <Notice tone="success">{state.success}</Notice>
        </div>
      )}
      <SelectField
        label="End the membership"
        name="mode"
        options={MODES}
        defaultValue={state.values?.mode ?? "immediate"}
        error={state.fieldErrors?.mode}
        hint="A one-time purchase has no billing period: “Immediately” is the one that revokes access."
        className="sm:col-span-4"
      />
      <div className="sm:col-span-6">
        <SubmitButton variant="secondary" pendingLabel="Asking Whop…">
          Cancel membership
        </SubmitButton>
      </div>
    </form>
  );
}
