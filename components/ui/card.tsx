export function Card({ title, description, children, className = "" }: { title?: string; description?: React.ReactNode; children: React.ReactNode; className?: string }) {
  return (
    <section className={`rounded-xl border border-zinc-200 bg-white p-6 shadow-sm ${className}`}>
      {title && <h2 className="text-base font-semibold text-zinc-900">{title}</h2>}
      {description && <div className="mt-1 text-sm text-zinc-600">{description}</div>}
      <div className={title || description ? "mt-5" : ""}>{children}</div>
    </section>
  );
}

export function Notice({ tone, children }: { tone: "error" | "success" | "warning" | "info"; children: React.ReactNode }) {
  const tones = {
    error: "border-red-200 bg-red-50 text-red-800",
    success: "border-emerald-200 bg-emerald-50 text-emerald-800",
    warning: "border-amber-200 bg-amber-50 text-amber-900",
    info: "border-sky-200 bg-sky-50 text-sky-900",
  } as const;
  return (
    <div role={tone === "error" ? "alert" : "status"} className={`rounded-md border px-4 py-3 text-sm ${tones[tone]}`}>
      {children}
    </div>
  );
}
