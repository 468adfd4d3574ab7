import Link from "next/link";
import { ChangeRoleForm, InviteMemberForm, TeamButton } from "@/components/team-forms";
import { Card } from "@/components/ui/card";
import { actorOf, requireAccount } from "@/lib/auth/session";
import { hasRole, ROLE_LABELS } from "@/lib/auth/roles";
import { listMembers, listOpenInvitations } from "@/lib/auth/team";
import { formatDateTime } from "@/lib/format";
import { changeRoleAction, inviteMemberAction, leaveAccountAction, removeMemberAction, revokeInvitationAction, setTwoFactorRequirementAction } from "./actions";

export const metadata = { title: "Team" };

export default async function TeamPage() {
  const live = await requireAccount();
  const actor = actorOf(live, null);
  const owner = hasRole(live.role, "owner");
  const [members, invitations] = await Promise.all([listMembers(actor), owner ? listOpenInvitations(actor) : Promise.resolve([])]);
  const requiredAt = live.account.twoFactorRequiredAt;
  const withoutTwoFactor = members.filter((member) => !member.twoFactorOn).length;
  return (
    <>
      <div>
        <Link href="/dashboard/settings" className="text-sm text-brand-700 hover:underline">
          ← Settings
        </Link>
        <h1 className="mt-2 text-2xl font-semibold">Team</h1>
        <p className="mt-1 text-sm text-zinc-600">
          You are {ROLE_LABELS[live.role]} of this account. Viewers read every page and export CSV; Admins also act; Owners also replace the Whop key, manage the team and
          delete the account.
        </p>
      </div>

      {owner && (
        <Card title="Invite someone" description="They get a mail with a link that works once, for 7 days. Sending again to the same email replaces the earlier link.">
          <InviteMemberForm action={inviteMemberAction} />
        </Card>
      )}

      <Card title="Members">
        <ul className="divide-y divide-zinc-100">
          {members.map((member) => (
            <li key={member.userId} className="flex flex-wrap items-center gap-x-4 gap-y-2 py-3">
              <div className="min-w-0 grow basis-60">
                <p className="truncate text-sm font-medium text-zinc-900">
                  {member.email}
                  {member.userId === live.user.id && <span className="ml-2 text-xs text-zinc-500">(you)</span>}
                </p>
                <p className="text-xs text-zinc-500">
                  {ROLE_LABELS[member.role]} · joined {formatDateTime(member.joinedAt)} ·{" "}
                  {member.twoFactorOn ? "two-factor on" : <span className={requiredAt ? "font-medium text-amber-700" : undefined}>two-factor off</span>}
                </p>
              </div>
              {owner && member.userId !== live.user.id && (
                <div className="flex flex-wrap items-center gap-2">
                  <ChangeRoleForm action={changeRoleAction} userId={member.userId} role={member.role} email={member.email} />
                  <TeamButton action={removeMemberAction} fields={{ userId: member.userId }} label="Remove" danger />
                </div>
              )}
              {member.userId === live.user.id && <TeamButton action={leaveAccountAction} fields={{}} label="Leave this account" danger />}
            </li>
          ))}
        </ul>
      </Card>

      <Card
        title="Two-factor for everyone"
        description={
          requiredAt
            ? `Required since ${formatDateTime(requiredAt)}: a member without two-factor reaches only Settings until they set it up, and nobody can turn it off.`
            : "Optional: each member decides. When required, a member without two-factor reaches only Settings until they set it up."
        }
      >
        {requiredAt && withoutTwoFactor > 0 && (
          <p className="mb-3 text-sm text-amber-800">
            {withoutTwoFactor} {withoutTwoFactor === 1 ? "member has" : "members have"} not set it up yet.
          </p>
        )}
        {owner ? (
          <TeamButton
            action={setTwoFactorRequirementAction}
            fields={{ required: requiredAt ? "false" : "true" }}
            label={requiredAt ? "Stop requiring two-factor" : "Require two-factor"}
            danger={Boolean(requiredAt)}
          />
        ) : (
          <p className="text-sm text-zinc-600">Only an owner changes this.</p>
        )}
      </Card>

      {owner && (
        <Card title="Open invitations">
          {invitations.length === 0 ? (
            <p className="text-sm text-zinc-600">No open invitations.</p>
          ) : (
            <ul className="divide-y divide-zinc-100">
              {invitations.map((invitation) => (
                <li key={invitation.id} className="flex flex-wrap items-center gap-x-4 gap-y-2 py-3">
                  <div className="min-w-0 grow basis-60">
                    <p className="truncate text-sm font-medium text-zinc-900">{invitation.email}</p>
                    <p className="text-xs text-zinc-500">
                      {ROLE_LABELS[invitation.role]} · expires {formatDateTime(invitation.expiresAt)}
                    </p>
                  </div>
                  <TeamButton action={revokeInvitationAction} fields={{ invitationId: invitation.id }} label="Revoke" danger />
                </li>
              ))}
            </ul>
          )}
        </Card>
      )}
    </>
  );
}
