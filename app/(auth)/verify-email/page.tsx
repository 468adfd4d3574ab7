import Link from "next/link";
import { VerifyEmailForm } from "@/components/account-forms";
import { verifyEmailAction } from "../account-actions";

export const metadata = { title: "Confirm your email" };

export default async function VerifyEmailPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const raw = (await searchParams).token;
  return (
    <>
      <h1 className="mb-2 text-xl font-semibold">Confirm your email</h1>
      <p className="mb-6 text-sm text-zinc-600">One click confirms the address this link was sent to.</p>
      <VerifyEmailForm action={verifyEmailAction} token={typeof raw === "string" ? raw : ""} />
      <p className="mt-6 text-center text-sm text-zinc-600">
        <Link href="/dashboard" className="font-medium text-brand-600 hover:underline">
          Go to the dashboard
        </Link>
      </p>
    </>
  );
}
