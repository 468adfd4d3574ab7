"use client";

import { useActionState } from "react";
import type { ActionState } from "@/lib/actions";
import { SubmitButton } from "@/components/ui/button";

/**
 * "Apply again" for one event, with the outcome next to it. Rendered for every event so that the
 * outcome stays on screen after the refreshed page no longer offers the button (the event applied).
 */
export function ReapplyButton({
  eventId,
  eligible,
  action,
}: {
  eventId: number;
  eligible: boolean;
  action: (state: ActionState, formData: FormData) => Promise<ActionState>;
}) {
  const [state, formAction] = useActionState(action, {});
  const message = state.error ?? state.success;
  if (!eligible && !message) return null;
  return (
    <form action={formAction} className="flex flex-wrap items-center gap-3">
      <input type="hidden" name="eventId" value={eventId} />
      {eligible && (
        <SubmitButton variant="secondary" pendingLabel="Applying…">
          Apply again
        </SubmitButton>
      )}
      <p aria-live="polite" className={`text-sm ${state.error ? "text-red-700" : "text-emerald-700"}`}>
        {message ?? ""}
      </p>
    </form>
  );
}
