import Link from "next/link";
import { redirect } from "next/navigation";
import { currentAccount, pendingSecondFactor } from "@/lib/auth/session";
import { verifySecondFactorAction } from "../../actions";
import { TwoFactorLoginForm } from "./two-factor-login-form";

export const metadata = { title: "Two-factor authentication" };

/** Log-in's second step, for 5 minutes after a correct password of a user with two-factor on. */
export default async function TwoFactorLoginPage() {
  if (await currentAccount()) redirect("/dashboard");
  if (!(await pendingSecondFactor())) redirect("/login");
  return (
    <>
      <h1 className="mb-2 text-xl font-semibold">Two-factor authentication</h1>
      <p className="mb-6 text-sm text-zinc-600">Open your authenticator app and type the code it shows for Whop Connector.</p>
      <TwoFactorLoginForm action={verifySecondFactorAction} />
      <p className="mt-6 text-center text-sm">
        <Link href="/login" className="font-medium text-brand-600 hover:underline">
          Log in as someone else
        </Link>
      </p>
    </>
  );
}
