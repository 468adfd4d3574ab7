"use client";

import { useActionState } from "react";
import type { ActionState } from "@/lib/actions";
import { FormNotices } from "@/components/ui/form-notices";
import { SubmitButton } from "@/components/ui/button";
import { Field, SelectField, TextAreaField } from "@/components/ui/field";

interface ItemValues {
  title: string;
  price: string;
  currency: string;
  description: string;
  billing: string;
  trialDays: string;
  /** "on" when ticked (as a form posts a checkbox). */
  issueLicenseKeys?: string;
  activationLimit?: string;
}

/** Create and edit an item: Title, Price, Currency, Billing, Free trial (days), Issue license keys, Activation limit, Description. */
export function ItemForm({
  action,
  currencies,
  billingOptions,
  submitLabel,
  initial,
  itemId,
}: {
  action: (state: ActionState, formData: FormData) => Promise<ActionState>;
  currencies: { value: string; label: string }[];
  billingOptions: { value: string; label: string }[];
  submitLabel: string;
  initial?: ItemValues;
  itemId?: string;
}) {
  const [state, formAction] = useActionState(action, {});
  const values = state.values ?? initial ?? { title: "", price: "", currency: "usd", description: "", billing: "one_time", trialDays: "" };
  const errors = state.fieldErrors ?? {};
  return (
    // A changing key re-mounts the fields with the echoed values after a failed submit.
    <form key={JSON.stringify(state)} action={formAction} className="grid gap-4 sm:grid-cols-6" noValidate>
      {itemId && <input type="hidden" name="itemId" value={itemId} />}
      <FormNotices state={state} />
      <Field label="Title" name="title" required maxLength={80} defaultValue={values.title} error={errors.title} className="sm:col-span-6" />
      <Field
        label="Price"
        name="price"
        inputMode="decimal"
        placeholder="29.99"
        required
        defaultValue={values.price}
        error={errors.price}
        className="sm:col-span-3"
      />
      <SelectField label="Currency" name="currency" options={currencies} defaultValue={values.currency} error={errors.currency} className="sm:col-span-3" />
      <SelectField
        label="Billing"
        name="billing"
        options={billingOptions}
        defaultValue={values.billing ?? "one_time"}
        error={errors.billing}
        hint="Recurring items renew on Whop until the buyer or you cancel."
        className="sm:col-span-3"
      />
      <Field
        label="Free trial (days)"
        name="trialDays"
        inputMode="numeric"
        placeholder="0"
        defaultValue={values.trialDays ?? ""}
        error={errors.trialDays}
        hint="Optional, recurring items only: the first charge comes when the trial ends."
        className="sm:col-span-3"
      />
      <div className="sm:col-span-3">
        <label className="mt-7 flex items-start gap-2 text-sm font-medium text-zinc-800">
          <input
            type="checkbox"
            name="issueLicenseKeys"
            defaultChecked={values.issueLicenseKeys === "on"}
            aria-describedby="issue-license-keys-hint"
            className="mt-0.5 size-4 shrink-0 accent-brand-500"
          />
          Issue license keys
        </label>
        <p id="issue-license-keys-hint" className="mt-1 text-xs text-zinc-600">
          Each paid order gets a key the buyer sees on the thank-you page (Whop&apos;s own key instead, when its product has Software Licensing).
        </p>
      </div>
      <Field
        label="Activation limit"
        name="activationLimit"
        inputMode="numeric"
        placeholder="No limit"
        defaultValue={values.activationLimit ?? ""}
        error={errors.activationLimit}
        hint="Optional: on how many machines one license may be active at once."
        className="sm:col-span-3"
      />
      <TextAreaField
        label="Description"
        name="description"
        maxLength={500}
        defaultValue={values.description ?? ""}
        error={errors.description}
        hint="Optional. Shown to the buyer on Whop's checkout."
        className="sm:col-span-6"
      />
      <div className="sm:col-span-6">
        <SubmitButton pendingLabel="Saving…">{submitLabel}</SubmitButton>
      </div>
    </form>
  );
}
