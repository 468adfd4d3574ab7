import Link from "next/link";
import { requireSignedIn } from "@/lib/auth/session";
import { resendVerificationAction } from "@/app/(auth)/account-actions";
import { VerifyEmailBanner } from "@/components/account-forms";
import { NavLink } from "@/components/nav-link";
import { ROLE_LABELS } from "@/lib/auth/roles";
import { listUserAccounts } from "@/lib/auth/sessions";
import { EnvironmentSwitch, TestModeBanner } from "@/components/environment";
import { switchAccountAction, switchEnvironmentAction } from "./account-switch-actions";

export default async function DashboardLayout({ children }: { children: React.ReactNode }) {
  const { user, tenant, role, account, session } = await requireSignedIn();
  const accounts = await listUserAccounts(user.id);
  return (
    <div className="min-h-screen">
      {/*
        Two rows at every width: the brand with the account controls, then the nav. The nav wraps
        (two rows on a phone) instead of scrolling, so every destination stays on screen. The account
        element beside Log out is compact (an initial) on a phone, the email and role from sm up; a
        user of several accounts gets the account switcher beside it, and everyone the switch between
        Live and Test. In Test a stripe above the header says so on every page.
      */}
      {session.environment === "test" && <TestModeBanner />}
      <header className="border-b border-zinc-200 bg-white">
        <div className="mx-auto max-w-5xl space-y-2 px-4 py-3">
          <div className="flex items-center gap-3">
            <Link href="/dashboard" className="flex min-w-0 items-center gap-2 font-semibold">
              <span aria-hidden className="grid size-7 shrink-0 place-items-center rounded-md bg-brand-500 text-sm text-white">W</span>
              <span className="truncate">{tenant.whopCompanyTitle ?? "Whop Connector"}</span>
            </Link>
            <div className="ml-auto flex shrink-0 items-center gap-2 text-sm text-zinc-600">
              <p className="flex items-center gap-2 rounded-md px-1.5 py-1" title={`${user.email} (${ROLE_LABELS[role]})`}>
                <span aria-hidden className="grid size-6 shrink-0 place-items-center rounded-full bg-zinc-100 text-xs font-semibold text-zinc-700 uppercase">
                  {user.email.slice(0, 1)}
                </span>
                <span className="sr-only sm:not-sr-only sm:max-w-48 sm:truncate">{user.email}</span>
                <span className="sr-only sm:not-sr-only rounded bg-zinc-100 px-1.5 py-0.5 text-xs font-medium text-zinc-700">{ROLE_LABELS[role]}</span>
              </p>
              {accounts.length > 1 && (
                <form action={switchAccountAction} className="flex items-center gap-1">
                  <label htmlFor="account-switcher" className="sr-only">
                    Account
                  </label>
                  <select id="account-switcher" name="accountId" defaultValue={account.id} className="max-w-32 rounded-md border border-zinc-300 bg-white px-1.5 py-1 text-xs sm:max-w-48">
                    {accounts.map((option) => (
                      <option key={option.accountId} value={option.accountId}>
                        {option.name ?? "Not connected yet"} ({ROLE_LABELS[option.role]})
                      </option>
                    ))}
                  </select>
                  <button className="rounded-md px-2 py-1 text-xs font-medium text-zinc-700 ring-1 ring-inset ring-zinc-300 hover:bg-zinc-100">Switch</button>
                </form>
              )}
              <EnvironmentSwitch environment={session.environment} action={switchEnvironmentAction} next="/dashboard" />
              <form action="/logout" method="post">
                <button className="rounded-md px-2 py-1 font-medium text-zinc-700 hover:bg-zinc-100 focus-visible:outline-2 focus-visible:outline-brand-500">
                  Log out
                </button>
              </form>
            </div>
          </div>
          <nav aria-label="Dashboard" className="-mx-1 flex flex-wrap gap-1 text-sm sm:-mx-3">
            <NavLink href="/dashboard">Overview</NavLink>
            <NavLink href="/dashboard/items">Items</NavLink>
            <NavLink href="/dashboard/orders">Orders</NavLink>
            <NavLink href="/dashboard/subscriptions">Subscriptions</NavLink>
            <NavLink href="/dashboard/events">Events</NavLink>
            <NavLink href="/dashboard/integrations/whop">Whop integration</NavLink>
            <NavLink href="/dashboard/api">API</NavLink>
            <NavLink href="/dashboard/webhooks">Webhooks</NavLink>
            <NavLink href="/dashboard/settings">Settings</NavLink>
          </nav>
        </div>
      </header>
      {!user.emailVerifiedAt && <VerifyEmailBanner email={user.email} action={resendVerificationAction} />}
      <main className="mx-auto max-w-5xl space-y-6 px-4 py-8">{children}</main>
    </div>
  );
}
