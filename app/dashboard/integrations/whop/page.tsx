import Link from "next/link";
import { buttonClass } from "@/components/ui/button-class";
import { Card } from "@/components/ui/card";
import { WhopKeyForm } from "@/components/whop-key-form";
import { requireAccount } from "@/lib/auth/session";
import { formatDateTime } from "@/lib/format";
import { isConnected } from "@/lib/tenants/queries";
import { replaceKeyAction } from "./actions";

export const metadata = { title: "Whop integration" };

export default async function WhopIntegrationPage() {
  const { tenant } = await requireAccount();
  if (!isConnected(tenant)) {
    return (
      <Card title="Whop integration" description="Your account is not connected to a Whop company yet.">
        <Link href="/onboarding" className={buttonClass()}>
          Connect Whop
        </Link>
      </Card>
    );
  }
  return (
    <>
      <h1 className="text-2xl font-semibold">Whop integration</h1>
      <Card
        title="API key"
        description={
          <>
            Connected to <strong>{tenant.whopCompanyTitle}</strong> <span className="font-mono">({tenant.whopCompanyId})</span> with the key ending in{" "}
            <span className="font-mono font-semibold">{tenant.whopApiKeyHint}</span>
            {tenant.keyVerifiedAt && <>, last verified {formatDateTime(tenant.keyVerifiedAt)}</>}.
          </>
        }
      >
        <h3 className="mb-1 text-sm font-semibold">Replace the key</h3>
        <p className="mb-4 text-sm text-zinc-600">
          Create a new company API key in Whop, paste it here, then revoke the old one in Whop. The current key stays in use until the new one is
          accepted.
        </p>
        <WhopKeyForm action={replaceKeyAction} submitLabel="Replace key" />
      </Card>
    </>
  );
}
