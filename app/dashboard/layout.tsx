import Link from "next/link";
import { requireAccount } from "@/lib/auth/session";
import { NavLink } from "@/components/nav-link";

export default async function DashboardLayout({ children }: { children: React.ReactNode }) {
  const { user, tenant } = await requireAccount();
  return (
    <div className="min-h-screen">
      <header className="border-b border-zinc-200 bg-white">
        <div className="mx-auto flex max-w-5xl flex-wrap items-center gap-x-6 gap-y-2 px-4 py-3">
          <Link href="/dashboard" className="flex items-center gap-2 font-semibold">
            <span aria-hidden className="grid size-7 place-items-center rounded-md bg-brand-500 text-sm text-white">W</span>
            <span>{tenant.whopCompanyTitle ?? "Whop Connector"}</span>
          </Link>
          <nav aria-label="Dashboard" className="order-last -mx-1 flex w-full gap-1 overflow-x-auto text-sm whitespace-nowrap md:order-none md:mx-0 md:w-auto">
            <NavLink href="/dashboard">Overview</NavLink>
            <NavLink href="/dashboard/items">Items</NavLink>
            <NavLink href="/dashboard/orders">Orders</NavLink>
            <NavLink href="/dashboard/events">Events</NavLink>
            <NavLink href="/dashboard/integrations/whop">Whop integration</NavLink>
            <NavLink href="/dashboard/api">API</NavLink>
            <NavLink href="/dashboard/settings">Settings</NavLink>
          </nav>
          <div className="ml-auto flex items-center gap-3 text-sm text-zinc-600">
            <span className="hidden max-w-56 truncate 2xl:inline">{user.email}</span>
            <form action="/logout" method="post">
              <button className="rounded-md px-2 py-1 font-medium text-zinc-700 hover:bg-zinc-100 focus-visible:outline-2 focus-visible:outline-brand-500">
                Log out
              </button>
            </form>
          </div>
        </div>
      </header>
      <main className="mx-auto max-w-5xl space-y-6 px-4 py-8">{children}</main>
    </div>
  );
}
