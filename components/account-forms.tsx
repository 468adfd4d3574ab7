"use client";

import { useActionState } from "react";
import type { ActionState } from "@/lib/actions";
import { SubmitButton } from "@/components/ui/button";
import { Notice } from "@/components/ui/card";
import { Field } from "@/components/ui/field";

type Action = (state: ActionState, formData: FormData) => Promise<ActionState>;

function Outcome({ state }: { state: ActionState }) {
  return (
    <>
      {state.error && <Notice tone="error">{state.error}</Notice>}
      {state.success && <Notice tone="success">{state.success}</Notice>}
    </>
  );
}

/** /forgot-password: **Email**, **Send reset link**; the same answer whether or not the email has an account. */
export function ForgotPasswordForm({ action }: { action: Action }) {
  const [state, formAction] = useActionState(action, {});
  return (
    <form action={formAction} className="space-y-5" noValidate>
      <Outcome state={state} />
      <Field label="Email" name="email" type="email" autoComplete="email" required defaultValue={state.values?.email ?? ""} error={state.fieldErrors?.email} />
      <SubmitButton pendingLabel="Sending…" className="w-full">
        Send reset link
      </SubmitButton>
    </form>
  );
}

/** /reset-password: **New password**, **Set new password**. */
export function ResetPasswordForm({ action, token, passwordRules }: { action: Action; token: string; passwordRules: string }) {
  const [state, formAction] = useActionState(action, {});
  return (
    <form action={formAction} className="space-y-5" noValidate>
      <Outcome state={state} />
      <input type="hidden" name="token" value={token} />
      <Field label="New password" name="newPassword" type="password" autoComplete="new-password" required hint={passwordRules} error={state.fieldErrors?.newPassword ?? state.fieldErrors?.token} />
      <SubmitButton pendingLabel="Saving…" className="w-full">
        Set new password
      </SubmitButton>
    </form>
  );
}

/** /verify-email: one button (a POST: a mail scanner fetching the link confirms nothing). */
export function VerifyEmailForm({ action, token }: { action: Action; token: string }) {
  const [state, formAction] = useActionState(action, {});
  if (state.success) return <Notice tone="success">{state.success}</Notice>;
  return (
    <form action={formAction} className="space-y-5">
      <Outcome state={state} />
      <input type="hidden" name="token" value={token} />
      <SubmitButton pendingLabel="Confirming…" className="w-full">
        Confirm my email
      </SubmitButton>
    </form>
  );
}

/** The dashboard's banner until the email is confirmed, with **Resend**. */
export function VerifyEmailBanner({ email, action }: { email: string; action: Action }) {
  const [state, formAction] = useActionState(action, {});
  return (
    <div role="status" className="border-b border-amber-200 bg-amber-50 text-sm text-amber-900">
      <form action={formAction} className="mx-auto flex max-w-5xl flex-wrap items-center gap-x-4 gap-y-2 px-4 py-2.5">
        <p className="min-w-0 flex-1">
          Confirm your email: we sent a link to <strong className="font-medium break-all">{email}</strong>.{" "}
          {state.success ?? state.error ?? "It makes sure password resets and invitations reach you."}
        </p>
        <SubmitButton variant="secondary" pendingLabel="Sending…">
          Resend
        </SubmitButton>
      </form>
    </div>
  );
}

/** /invite/[token] for someone new: their password, and the account is theirs to join. */
export function AcceptInvitationForm({ action, token, passwordRules }: { action: Action; token: string; passwordRules?: string }) {
  const [state, formAction] = useActionState(action, {});
  return (
    <form action={formAction} className="space-y-5" noValidate>
      <Outcome state={state} />
      <input type="hidden" name="token" value={token} />
      {passwordRules && (
        <Field label="Password" name="password" type="password" autoComplete="new-password" required hint={passwordRules} error={state.fieldErrors?.password ?? state.fieldErrors?.token} />
      )}
      <SubmitButton pendingLabel="Joining…" className="w-full">
        Accept invitation
      </SubmitButton>
    </form>
  );
}
