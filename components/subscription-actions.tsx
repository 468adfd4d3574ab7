"use client";

import { useActionState } from "react";
import type { ActionState } from "@/lib/actions";
import { SubmitButton } from "@/components/ui/button";
import { Notice } from "@/components/ui/card";

/** The subscription's actions (Cancel at period end, Cancel now, Resume), each one button, with the outcome below. */
export function SubscriptionActions({
  orderId,
  actions,
  action,
}: {
  orderId: string;
  actions: { value: string; label: string; hint: string }[];
  action: (state: ActionState, formData: FormData) => Promise<ActionState>;
}) {
  const [state, formAction] = useActionState(action, {});
  return (
    <div className="space-y-3">
      {actions.length > 0 && <div className="flex flex-wrap gap-3">
        {actions.map((choice) => (
          <form key={choice.value} action={formAction} className="min-w-0 flex-[1_1_14rem] space-y-1">
            <input type="hidden" name="orderId" value={orderId} />
            <input type="hidden" name="action" value={choice.value} />
            <SubmitButton variant="secondary" pendingLabel="Asking Whop…">
              {choice.label}
            </SubmitButton>
            <p className="text-xs text-zinc-600">{choice.hint}</p>
          </form>
        ))}
      </div>}
      {state.error && <Notice tone="error">{state.error}</Notice>}
      {state.success && <Notice tone="success">{state.success}</Notice>}
    </div>
  );
}
