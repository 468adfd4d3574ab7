import Link from "next/link";
import { ResetPasswordForm } from "@/components/account-forms";
import { Notice } from "@/components/ui/card";
import { PASSWORD_RULES } from "@/lib/auth/password";
import { checkToken } from "@/lib/auth/tokens";
import { resetPasswordAction } from "../account-actions";

export const metadata = { title: "Set a new password" };

const PROBLEMS = {
  invalid: "This reset link is not valid: it may have been copied incompletely.",
  used: "This reset link was already used.",
  expired: "This reset link has expired (links work for one hour).",
} as const;

export default async function ResetPasswordPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const raw = (await searchParams).token;
  const token = typeof raw === "string" ? raw : "";
  const check = await checkToken("password_reset", token);
  return (
    <>
      <h1 className="mb-6 text-xl font-semibold">Set a new password</h1>
      {check.ok ? (
        <>
          <p className="mb-6 text-sm text-zinc-600">
            For <strong className="font-medium text-zinc-800">{check.token.email}</strong>. Setting it logs you out everywhere.
          </p>
          <ResetPasswordForm action={resetPasswordAction} token={token} passwordRules={PASSWORD_RULES} />
        </>
      ) : (
        <div className="space-y-4">
          <Notice tone="error">{PROBLEMS[check.reason]}</Notice>
          <Link href="/forgot-password" className="block text-center text-sm font-medium text-brand-600 hover:underline">
            Ask for a new link
          </Link>
        </div>
      )}
    </>
  );
}
