"use client";

import { useActionState } from "react";
import type { ActionState } from "@/lib/actions";
import { FormNotices } from "@/components/ui/form-notices";
import { SubmitButton } from "@/components/ui/button";
import { Field } from "@/components/ui/field";

/**
 * Full or partial refund of an order, asked of Whop. `baseMinor` (the committed refund total the
 * page showed) lets the server recognise a double submit. The amount defaults to a full refund only
 * while nothing is refunded or asked for: after a refund the field starts empty, so a second click
 * on the re-rendered form cannot refund "the rest" by itself.
 */
export function RefundForm({
  orderId,
  baseMinor,
  leftText,
  leftMajor,
  action,
}: {
  orderId: string;
  baseMinor: number;
  /** "$12.50", for the hint. */
  leftText: string;
  /** "12.50", the default amount of a first refund (all of it). */
  leftMajor: string;
  action: (state: ActionState, formData: FormData) => Promise<ActionState>;
}) {
  const [state, formAction] = useActionState(action, {});
  const errors = state.fieldErrors ?? {};
  const values = state.values;
  return (
    // A changing key re-mounts the fields: echoed values after a failure, fresh ones after success.
    <form key={JSON.stringify(state) + baseMinor} action={formAction} className="grid gap-4 sm:grid-cols-6" noValidate>
      <input type="hidden" name="orderId" value={orderId} />
      <input type="hidden" name="baseMinor" value={baseMinor} />
      <FormNotices state={state} />
      <Field
        label="Refund amount"
        name="amount"
        inputMode="decimal"
        required
        defaultValue={values?.amount ?? (baseMinor === 0 && !state.success ? leftMajor : "")}
        error={errors.amount}
        hint={`Up to ${leftText}. Less than that is a partial refund.`}
        className="sm:col-span-2"
      />
      <Field
        label="Reason"
        name="reason"
        maxLength={200}
        defaultValue={values?.reason ?? ""}
        error={errors.reason}
        hint="Optional. Kept in your audit log; the buyer does not see it."
        className="sm:col-span-4"
      />
      <div className="sm:col-span-6">
        <SubmitButton variant="secondary" pendingLabel="Asking Whop…">
          Refund
        </SubmitButton>
      </div>
    </form>
  );
}
