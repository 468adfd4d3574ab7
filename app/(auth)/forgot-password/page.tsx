import Link from "next/link";
import { ForgotPasswordForm } from "@/components/account-forms";
import { forgotPasswordAction } from "../account-actions";

export const metadata = { title: "Forgot password" };

export default function ForgotPasswordPage() {
  return (
    <>
      <h1 className="mb-2 text-xl font-semibold">Forgot password?</h1>
      <p className="mb-6 text-sm text-zinc-600">Type the email you log in with: we mail you a link to set a new password.</p>
      <ForgotPasswordForm action={forgotPasswordAction} />
      <p className="mt-6 text-center text-sm text-zinc-600">
        <Link href="/login" className="font-medium text-brand-600 hover:underline">
          Back to log in
        </Link>
      </p>
    </>
  );
}
