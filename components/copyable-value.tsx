import { CopyButton } from "@/components/copy-button";

/** A value to copy (a license key, the publishable key): a labelled read-only field and a copy button, wrapping on a phone. */
export function CopyableValue({ id, label, value, copyLabel }: { id: string; label: string; value: string; copyLabel: string }) {
  return (
    <div className="space-y-1">
      <label htmlFor={id} className="block text-sm font-medium text-zinc-800">
        {label}
      </label>
      <div className="flex flex-wrap items-center gap-2">
        <input
          id={id}
          readOnly
          value={value}
          className="min-w-0 flex-1 basis-56 rounded-md border border-zinc-300 bg-zinc-50 px-3 py-1.5 font-mono text-xs text-zinc-900 sm:text-sm"
        />
        <CopyButton value={value} label={copyLabel} />
      </div>
    </div>
  );
}
