"use client";

import { useActionState } from "react";
import type { ActionState } from "@/lib/actions";
import { SubmitButton } from "@/components/ui/button";
import { Notice } from "@/components/ui/card";

export function LogOutEverywhereForm({ action }: { action: (state: ActionState, formData: FormData) => Promise<ActionState> }) {
  const [state, formAction] = useActionState(action, {});
  return (
    <form action={formAction} className="space-y-3">
      {state.error && <Notice tone="error">{state.error}</Notice>}
      <SubmitButton variant="secondary" pendingLabel="Logging out…">
        Log out everywhere
      </SubmitButton>
    </form>
  );
}
