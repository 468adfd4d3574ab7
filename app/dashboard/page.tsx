import Link from "next/link";
import { buttonClass } from "@/components/ui/button-class";
import { Card, Notice } from "@/components/ui/card";
import { requireAccount } from "@/lib/auth/session";
import { formatDateTime } from "@/lib/format";
import { isConnected } from "@/lib/tenants/queries";

export const metadata = { title: "Dashboard" };

export default async function DashboardPage() {
  const { tenant } = await requireAccount();

  if (!isConnected(tenant)) {
    return (
      <Card title="Connect your Whop company" description="Paste one Whop company API key to start selling with checkout links.">
        <Link href="/onboarding" className={buttonClass()}>
          Connect Whop
        </Link>
      </Card>
    );
  }

  return (
    <>
      <div>
        <h1 className="text-2xl font-semibold">{tenant.whopCompanyTitle}</h1>
        <p className="mt-1 font-mono text-sm text-zinc-500">{tenant.whopCompanyId}</p>
      </div>
      {tenant.keyRejectedAt && (
        <Notice tone="error">
          Whop rejected your API key on {formatDateTime(tenant.keyRejectedAt)}. Checkouts fail until you{" "}
          <Link href="/dashboard/integrations/whop" className="font-semibold underline">
            replace the key
          </Link>
          .
        </Notice>
      )}
      <Card title="Connection">
        <dl className="grid gap-x-6 gap-y-4 text-sm sm:grid-cols-2">
          <Detail term="Status">
            <span className="inline-flex items-center gap-1.5 font-medium text-emerald-700">
              <span aria-hidden className="size-2 rounded-full bg-emerald-500" /> Connected
            </span>
          </Detail>
          <Detail term="Environment">{tenant.environment === "sandbox" ? "Sandbox" : "Production"}</Detail>
          <Detail term="API key">
            <span className="font-mono">•••• {tenant.whopApiKeyHint}</span>
          </Detail>
          <Detail term="Key last verified">{tenant.keyVerifiedAt ? formatDateTime(tenant.keyVerifiedAt) : "—"}</Detail>
        </dl>
        <Link href="/dashboard/integrations/whop" className={`${buttonClass("secondary")} mt-6`}>
          Manage integration
        </Link>
      </Card>
    </>
  );
}

function Detail({ term, children }: { term: string; children: React.ReactNode }) {
  return (
    <div>
      <dt className="text-zinc-500">{term}</dt>
      <dd className="mt-0.5 text-zinc-900">{children}</dd>
    </div>
  );
}
