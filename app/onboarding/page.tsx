import { redirect } from "next/navigation";
import { EnvironmentSwitch, TestModeBanner } from "@/components/environment";
import { WhopKeyForm } from "@/components/whop-key-form";
import { switchEnvironmentAction } from "@/app/dashboard/account-switch-actions";
import { requireAccount } from "@/lib/auth/session";
import { isConnected } from "@/lib/tenants/queries";
import { REQUIRED_PERMISSIONS } from "@/lib/whop/messages";
import { connectAction } from "./actions";

export const metadata = { title: "Connect Whop" };

export default async function OnboardingPage() {
  const { tenant } = await requireAccount();
  if (isConnected(tenant)) redirect("/dashboard");
  const test = tenant.environment === "test";
  return (
    <>
      {test && <TestModeBanner />}
      <main className="flex min-h-screen flex-col items-center justify-center px-4 py-12">
        <div className="w-full max-w-lg rounded-xl border border-zinc-200 bg-white p-8 shadow-sm">
          <div className="flex items-start justify-between gap-3">
            <p className="text-xs font-semibold tracking-wide text-brand-600 uppercase">{test ? "Test mode" : "One step to go"}</p>
            <EnvironmentSwitch environment={tenant.environment} action={switchEnvironmentAction} next="/onboarding" />
          </div>
          <h1 className="mt-1 text-xl font-semibold">{test ? "Connect your Whop sandbox company" : "Connect your Whop company"}</h1>
          <p className="mt-2 mb-6 text-sm text-zinc-600">
            {test
              ? "Paste a company API key of a company in Whop's sandbox: test payments, no real money. Live mode keeps its own key, items and orders."
              : "Paste a company API key. We check it with Whop right away and store it encrypted; you stay the merchant of record and payments go straight to your Whop balance."}
          </p>
          <WhopKeyForm action={connectAction} submitLabel="Connect" redirectTo="/dashboard" />
          <details className="mt-6 text-sm text-zinc-600">
            <summary className="cursor-pointer font-medium text-zinc-800">Where do I find the key?</summary>
            <ol className="mt-2 list-decimal space-y-1 pl-5">
              <li>Open your Whop dashboard and choose the company you sell with.</li>
              <li>Go to Developer → Company API keys and create a key with the Admin role.</li>
              <li>
                Or grant at least: <span className="font-mono text-xs">{REQUIRED_PERMISSIONS.join(", ")}</span>.
              </li>
            </ol>
          </details>
        </div>
        <form action="/logout" method="post" className="mt-6">
          <button className="text-sm text-zinc-500 hover:text-zinc-800 hover:underline">Log out</button>
        </form>
      </main>
    </>
  );
}
