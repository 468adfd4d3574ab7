import Link from "next/link";
import { redirect } from "next/navigation";
import { AuthForm } from "@/components/auth-form";
import { Notice } from "@/components/ui/card";
import { currentAccount } from "@/lib/auth/session";
import { logInAction } from "../actions";

export const metadata = { title: "Log in" };

export default async function LogInPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  if (await currentAccount()) redirect("/dashboard");
  const reset = (await searchParams).reset === "1";
  return (
    <>
      <h1 className="mb-6 text-xl font-semibold">Log in</h1>
      {reset && (
        <div className="mb-5">
          <Notice tone="success">Password set. Log in with the new one.</Notice>
        </div>
      )}
      <AuthForm action={logInAction} submitLabel="Log in" pendingLabel="Logging in…" passwordAutoComplete="current-password" />
      <p className="mt-4 text-center text-sm">
        <Link href="/forgot-password" className="font-medium text-brand-600 hover:underline">
          Forgot password?
        </Link>
      </p>
      <p className="mt-6 text-center text-sm text-zinc-600">
        New here?{" "}
        <Link href="/signup" className="font-medium text-brand-600 hover:underline">
          Create an account
        </Link>
      </p>
    </>
  );
}
