import Link from "next/link";

export default function AuthLayout({ children }: { children: React.ReactNode }) {
  return (
    <main className="flex min-h-screen flex-col items-center justify-center px-4 py-12">
      <Link href="/" className="mb-8 flex items-center gap-2 text-lg font-semibold text-zinc-900">
        <span aria-hidden className="grid size-8 place-items-center rounded-lg bg-brand-500 text-white">W</span>
        Whop Connector
      </Link>
      <div className="w-full max-w-sm rounded-xl border border-zinc-200 bg-white p-8 shadow-sm">{children}</div>
    </main>
  );
}
