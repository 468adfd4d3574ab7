import Link from "next/link";
import { redirect } from "next/navigation";
import { AuthForm } from "@/components/auth-form";
import { PASSWORD_RULES } from "@/lib/auth/password";
import { currentAccount } from "@/lib/auth/session";
import { signUpAction } from "../actions";

export const metadata = { title: "Create account" };

export default async function SignUpPage() {
  if (await currentAccount()) redirect("/dashboard");
  return (
    <>
      <h1 className="text-xl font-semibold">Create your account</h1>
      <p className="mt-1 mb-6 text-sm text-zinc-600">Then connect your Whop company with one API key.</p>
      <AuthForm action={signUpAction} submitLabel="Create account" pendingLabel="Creating account…" passwordHint={PASSWORD_RULES} passwordAutoComplete="new-password" />
      <p className="mt-6 text-center text-sm text-zinc-600">
        Already have an account?{" "}
        <Link href="/login" className="font-medium text-brand-600 hover:underline">
          Log in
        </Link>
      </p>
    </>
  );
}
