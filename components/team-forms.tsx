"use client";

import { useActionState } from "react";
import type { ActionState } from "@/lib/actions";
import { ConfirmItsYou } from "@/components/confirm-its-you";
import { CopyButton } from "@/components/copy-button";
import { SubmitButton } from "@/components/ui/button";
import { Notice } from "@/components/ui/card";
import { Field } from "@/components/ui/field";

type Action = (state: ActionState, formData: FormData) => Promise<ActionState>;

const ROLE_OPTIONS = [
  { value: "viewer", label: "Viewer — reads everything, changes nothing" },
  { value: "admin", label: "Admin — acts: items, refunds, webhooks, API tokens" },
  { value: "owner", label: "Owner — also the Whop key, the team, deleting the account" },
] as const;

function Outcome({ state }: { state: ActionState }) {
  return (
    <>
      {state.error && <Notice tone={state.reauthenticate ? "warning" : "error"}>{state.error}</Notice>}
      {state.reauthenticate && <ConfirmItsYou method={state.reauthenticate} />}
      {state.success && <Notice tone="success">{state.success}</Notice>}
    </>
  );
}

/** **Email** and **Role**, **Send invitation**; the link appears once under the form. */
export function InviteMemberForm({ action }: { action: Action }) {
  const [state, formAction] = useActionState(action, {});
  const errors = state.fieldErrors ?? {};
  return (
    <div className="space-y-4">
      <form key={JSON.stringify(state.values ?? {})} action={formAction} className="flex flex-wrap items-start gap-3" noValidate>
        <Field label="Email" name="email" type="email" required defaultValue={state.values?.email ?? ""} error={errors.email} className="min-w-56 flex-1" />
        <div className="min-w-56 flex-1 space-y-1.5">
          <label htmlFor="invite-role" className="block text-sm font-medium text-zinc-800">
            Role
          </label>
          <select
            id="invite-role"
            name="role"
            defaultValue={state.values?.role ?? "viewer"}
            className="block w-full rounded-md border border-zinc-300 bg-white px-3 py-2 text-sm shadow-sm focus:border-brand-500 focus:ring-2 focus:ring-brand-100"
          >
            {ROLE_OPTIONS.map((option) => (
              <option key={option.value} value={option.value}>
                {option.label}
              </option>
            ))}
          </select>
          {errors.role && <p className="text-sm text-red-700">{errors.role}</p>}
        </div>
        <SubmitButton pendingLabel="Sending…" className="mt-6.5">
          Send invitation
        </SubmitButton>
      </form>
      <Outcome state={state} />
      {state.reveal && (
        <div className="flex flex-wrap items-center gap-2">
          <label className="sr-only" htmlFor="invitation-link">
            Invitation link
          </label>
          <input id="invitation-link" readOnly value={state.reveal} className="min-w-0 flex-1 rounded-md border border-emerald-300 bg-emerald-50 px-3 py-1.5 font-mono text-xs text-zinc-900" />
          <CopyButton value={state.reveal} label="Copy link" />
        </div>
      )}
    </div>
  );
}

/** A row control's outcome, beside it. */
function InlineOutcome({ state }: { state: ActionState }) {
  return (
    <>
      {state.error && (
        <span role="alert" className="text-xs text-red-700">
          {state.error}
        </span>
      )}
      {state.reauthenticate && <ConfirmItsYou method={state.reauthenticate} />}
      {state.success && <span className="text-xs text-emerald-700">{state.success}</span>}
    </>
  );
}

const small = "rounded-md px-2.5 py-1.5 text-xs font-semibold focus-visible:outline-2 focus-visible:outline-brand-500";

/** One button posting hidden fields (Revoke, Remove, Leave), with its outcome beside it. */
export function TeamButton({ action, fields, label, danger = false }: { action: Action; fields: Record<string, string>; label: string; danger?: boolean }) {
  const [state, formAction] = useActionState(action, {});
  return (
    <form action={formAction} className="flex flex-wrap items-center gap-2">
      {Object.entries(fields).map(([name, value]) => (
        <input key={name} type="hidden" name={name} value={value} />
      ))}
      <button className={`${small} ${danger ? "text-red-700 ring-1 ring-inset ring-red-200 hover:bg-red-50" : "text-zinc-700 ring-1 ring-inset ring-zinc-300 hover:bg-zinc-50"}`}>{label}</button>
      <InlineOutcome state={state} />
    </form>
  );
}

/** **Change role** of one member. */
export function ChangeRoleForm({ action, userId, role, email }: { action: Action; userId: string; role: string; email: string }) {
  const [state, formAction] = useActionState(action, {});
  return (
    <form action={formAction} className="flex flex-wrap items-center gap-2">
      <input type="hidden" name="userId" value={userId} />
      <label className="sr-only" htmlFor={`role-${userId}`}>
        Role of {email}
      </label>
      <select id={`role-${userId}`} name="role" defaultValue={role} className="rounded-md border border-zinc-300 bg-white px-2 py-1 text-xs">
        <option value="owner">Owner</option>
        <option value="admin">Admin</option>
        <option value="viewer">Viewer</option>
      </select>
      <button className={`${small} text-zinc-700 ring-1 ring-inset ring-zinc-300 hover:bg-zinc-50`}>Change role</button>
      <InlineOutcome state={state} />
    </form>
  );
}
