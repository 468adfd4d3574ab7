"use client";

import { useActionState, useEffect } from "react";
import { useRouter } from "next/navigation";
import type { ActionState } from "@/lib/actions";
import { ConfirmItsYou } from "@/components/confirm-its-you";
import { SubmitButton } from "@/components/ui/button";
import { Field } from "@/components/ui/field";
import { Notice } from "@/components/ui/card";

/** The one-input key form of the onboarding wizard and of key replacement. */
export function WhopKeyForm({
  action,
  submitLabel,
  redirectTo,
}: {
  action: (state: ActionState, formData: FormData) => Promise<ActionState>;
  submitLabel: string;
  /** Where to go a moment after success, once the company has been shown. */
  redirectTo?: string;
}) {
  const [state, formAction] = useActionState(action, {});
  const router = useRouter();
  useEffect(() => {
    if (!state.success || !redirectTo) return;
    const timer = setTimeout(() => router.push(redirectTo), 1200);
    return () => clearTimeout(timer);
  }, [state, redirectTo, router]);

  return (
    <div className="space-y-4">
      <form action={formAction} className="space-y-4" noValidate>
        {state.error && <Notice tone={state.reauthenticate ? "warning" : "error"}>{state.error}</Notice>}
        <Field
          label="Whop API key"
          name="apiKey"
          type="password"
          autoComplete="off"
          spellCheck={false}
          placeholder="apik_…"
          required
          error={state.fieldErrors?.apiKey}
          hint="Whop dashboard → Developer → Company API keys. It starts with apik_."
        />
        {state.success && <Notice tone="success">{state.success}</Notice>}
        <SubmitButton pendingLabel="Checking with Whop…">{submitLabel}</SubmitButton>
      </form>
      {state.reauthenticate && <ConfirmItsYou method={state.reauthenticate} />}
    </div>
  );
}
