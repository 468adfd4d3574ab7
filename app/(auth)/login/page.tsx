import Link from "next/link";
import { redirect } from "next/navigation";
import { AuthForm } from "@/components/auth-form";
import { currentAccount } from "@/lib/auth/session";
import { logInAction } from "../actions";

export const metadata = { title: "Log in" };

export default async function LogInPage() {
  if (await currentAccount()) redirect("/dashboard");
  return (
    <>
      <h1 className="mb-6 text-xl font-semibold">Log in</h1>
      <AuthForm action={logInAction} submitLabel="Log in" pendingLabel="Logging in…" passwordAutoComplete="current-password" />
      <p className="mt-6 text-center text-sm text-zinc-600">
        New here?{" "}
        <Link href="/signup" className="font-medium text-brand-600 hover:underline">
          Create an account
        </Link>
      </p>
    </>
  );
}
