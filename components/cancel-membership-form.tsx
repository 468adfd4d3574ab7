"use client";

import { useActionState } from "react";
import type { ActionState } from "@/lib/actions";
import { FormNotices } from "@/components/ui/form-notices";
import { SubmitButton } from "@/components/ui/button";
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
      <FormNotices state={state} />
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
