import { useId } from "react";

const CONTROL =
  "block w-full rounded-md border bg-white px-3 py-2 text-sm shadow-sm outline-none transition focus:ring-2";
const controlClass = (error?: string) =>
  `${CONTROL} ${error ? "border-red-500 focus:ring-red-200" : "border-zinc-300 focus:border-brand-500 focus:ring-brand-100"}`;

interface ShellProps {
  label: string;
  error?: string;
  hint?: React.ReactNode;
  className?: string;
}

/** Label, hint and error around one control, wired for screen readers. */
function FieldShell({
  label,
  error,
  hint,
  className = "",
  children,
}: ShellProps & { children: (control: { id: string; "aria-invalid"?: true; "aria-describedby"?: string; className: string }) => React.ReactNode }) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [hint ? hintId : null, error ? errorId : null].filter(Boolean).join(" ") || undefined;
  return (
    <div className={`space-y-1.5 ${className}`}>
      <label htmlFor={id} className="block text-sm font-medium text-zinc-800">
        {label}
      </label>
      {children({ id, "aria-invalid": error ? true : undefined, "aria-describedby": describedBy, className: controlClass(error) })}
      {hint && (
        <p id={hintId} className="text-xs text-zinc-500">
          {hint}
        </p>
      )}
      {error && (
        <p id={errorId} role="alert" className="text-sm text-red-700">
          {error}
        </p>
      )}
    </div>
  );
}

export function Field({ label, error, hint, className, ...input }: React.InputHTMLAttributes<HTMLInputElement> & ShellProps & { name: string }) {
  return (
    <FieldShell label={label} error={error} hint={hint} className={className}>
      {(control) => <input {...control} {...input} />}
    </FieldShell>
  );
}

export function TextAreaField({ label, error, hint, className, ...textarea }: React.TextareaHTMLAttributes<HTMLTextAreaElement> & ShellProps & { name: string }) {
  return (
    <FieldShell label={label} error={error} hint={hint} className={className}>
      {(control) => <textarea rows={3} {...control} {...textarea} />}
    </FieldShell>
  );
}

export function SelectField({
  label,
  error,
  hint,
  className,
  options,
  ...select
}: React.SelectHTMLAttributes<HTMLSelectElement> & ShellProps & { name: string; options: { value: string; label: string }[] }) {
  return (
    <FieldShell label={label} error={error} hint={hint} className={className}>
      {(control) => (
        <select {...control} {...select}>
          {options.map((option) => (
            <option key={option.value} value={option.value}>
              {option.label}
            </option>
          ))}
        </select>
      )}
    </FieldShell>
  );
}
