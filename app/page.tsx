import Link from "next/link";
import { redirect } from "next/navigation";
import { buttonClass } from "@/components/ui/button-class";
import { currentAccount } from "@/lib/auth/session";

export default async function HomePage() {
  if (await currentAccount()) redirect("/dashboard");
  return (
    <main className="mx-auto flex min-h-screen max-w-2xl flex-col justify-center px-6 py-16">
      <span aria-hidden className="grid size-10 place-items-center rounded-xl bg-brand-500 text-lg font-semibold text-white">W</span>
      <h1 className="mt-6 text-3xl font-semibold tracking-tight sm:text-4xl">Sell through your own Whop company with a link.</h1>
      <p className="mt-4 text-lg text-zinc-600">
        Connect your Whop company with one API key, create items and share checkout links. Buyers pay on Whop, you stay the merchant of record,
        and every payment is confirmed by Whop&apos;s signed webhooks.
      </p>
      <div className="mt-8 flex gap-3">
        <Link href="/signup" className={buttonClass()}>
          Create account
        </Link>
        <Link href="/login" className={buttonClass("secondary")}>
          Log in
        </Link>
      </div>
    </main>
  );
}
