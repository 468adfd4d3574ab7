import Link from "next/link";
import { AcceptInvitationForm } from "@/components/account-forms";
import { Notice } from "@/components/ui/card";
import { PASSWORD_RULES } from "@/lib/auth/password";
import { ROLE_LABELS } from "@/lib/auth/roles";
import { currentAccount } from "@/lib/auth/session";
import { findInvitation, INVITATION_PROBLEMS } from "@/lib/auth/team";
import { acceptAsNewUserAction, acceptAsSignedInAction } from "../actions";

export const metadata = { title: "Accept invitation" };

export default async function InvitationPage({ params }: { params: Promise<{ token: string }> }) {
  const token = decodeURIComponent((await params).token).slice(0, 200);
  const check = await findInvitation(token);
  if (!check.ok) {
    return (
      <>
        <h1 className="mb-6 text-xl font-semibold">Invitation</h1>
        <Notice tone="error">{INVITATION_PROBLEMS[check.reason]}</Notice>
      </>
    );
  }
  const { invitation } = check;
  const company = check.company ?? "a Whop Connector account";
  const live = await currentAccount();
  return (
    <>
      <h1 className="mb-2 text-xl font-semibold">Join {company}</h1>
      <p className="mb-6 text-sm text-zinc-600">
        <strong className="font-medium break-all text-zinc-800">{invitation.email}</strong> is invited as {ROLE_LABELS[invitation.role]}.
      </p>
      {live ? (
        live.user.email === invitation.email ? (
          <AcceptInvitationForm action={acceptAsSignedInAction} token={token} />
        ) : (
          <Notice tone="warning">
            You are logged in as {live.user.email}. This invitation is for another email: log out, then open the link again.
          </Notice>
        )
      ) : check.userExists ? (
        <div className="space-y-4">
          <Notice tone="info">That email already has a login. Log in with it, then open this link again.</Notice>
          <Link href="/login" className="block text-center text-sm font-medium text-brand-600 hover:underline">
            Log in
          </Link>
        </div>
      ) : (
        <AcceptInvitationForm action={acceptAsNewUserAction} token={token} passwordRules={PASSWORD_RULES} />
      )}
    </>
  );
}
