import { notFound } from "next/navigation";
import { Card } from "@/components/ui/card";
import { env } from "@/lib/env";
import { formatDateTime } from "@/lib/format";
import { readOutbox } from "@/lib/mail/send";

export const metadata = { title: "Dev mail", robots: { index: false } };
export const dynamic = "force-dynamic";

/** The dev outbox: what the product would have mailed, without SMTP_URL. Never served in production. */
export default function DevMailPage() {
  if (env().nodeEnv === "production" || env().smtpUrl) notFound();
  const mails = readOutbox();
  return (
    <main className="mx-auto max-w-3xl space-y-6 px-4 py-10">
      <header className="space-y-1">
        <h1 className="text-2xl font-semibold text-zinc-900">Dev mail</h1>
        <p className="text-sm text-zinc-600">
          Without <code className="rounded bg-zinc-100 px-1 py-0.5 text-xs">SMTP_URL</code> the product&apos;s mail lands here instead of being sent
          (development and the demo only). Newest first.
        </p>
      </header>
      {mails.length === 0 ? (
        <Card>
          <p className="text-sm text-zinc-600">No mail yet. Sign up, ask for a password reset or invite a teammate, then reload.</p>
        </Card>
      ) : (
        <ol className="space-y-4">
          {mails.map((mail) => (
            <li key={mail.id}>
              <Card title={mail.subject} description={`To ${mail.to} · from ${mail.from} · ${formatDateTime(new Date(mail.sentAt))}`}>
                <article aria-label={mail.subject} className="prose-sm max-w-none break-words text-sm text-zinc-800 [&_a]:text-orange-700 [&_a]:underline" dangerouslySetInnerHTML={{ __html: mail.html }} />
              </Card>
            </li>
          ))}
        </ol>
      )}
    </main>
  );
}
