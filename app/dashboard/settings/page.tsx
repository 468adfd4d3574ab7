import Link from "next/link";
import { Pagination } from "@/components/pagination";
import { Card, Notice } from "@/components/ui/card";
import { auditCursorSchema, listAuditEntries, type AuditRow } from "@/lib/audit/queries";
import { deletionConfirmationPhrase } from "@/lib/auth/account-settings";
import { PASSWORD_RULES } from "@/lib/auth/password";
import { requireSignedIn } from "@/lib/auth/session";
import { formatDateTime } from "@/lib/format";
import { deviceName } from "@/lib/auth/devices";
import { listLiveSessions, mustSetUpTwoFactor } from "@/lib/auth/sessions";
import { twoFactorState, type TwoFactorState } from "@/lib/auth/two-factor";
import {
  beginTwoFactorSetupAction,
  cancelTwoFactorSetupAction,
  changePasswordAction,
  confirmTwoFactorSetupAction,
  deleteAccountAction,
  disableTwoFactorAction,
  endSessionAction,
  regenerateRecoveryCodesAction,
  revokeAllSessionsAction,
} from "./actions";
import { ConfirmTwoFactorSetupForm, StartTwoFactorSetupForm, TwoFactorOnForms } from "./two-factor-forms";
import { EndSessionForm } from "./end-session-form";
import { ChangePasswordForm } from "./change-password-form";
import { DeleteAccountForm } from "./delete-account-form";
import { LogOutEverywhereForm } from "./log-out-everywhere-form";

export const metadata = { title: "Settings" };

export default async function SettingsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const account = await requireSignedIn();
  const { user, tenant } = account;
  const cursor = auditCursorSchema.parse((await searchParams).cursor);
  const [{ entries, nextCursor }, liveSessions, twoFactor] = await Promise.all([
    mustSetUpTwoFactor(account) ? Promise.resolve({ entries: [], nextCursor: null }) : listAuditEntries(tenant.id, cursor),
    listLiveSessions(user.id),
    twoFactorState({ userId: user.id, email: user.email }),
  ]);
  const connected = tenant.whopCompanyTitle !== null;
  // A member who must still set up the two-factor the account requires sees their own sign-in only.
  const restricted = mustSetUpTwoFactor(account);

  return (
    <>
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <h1 className="text-2xl font-semibold">Settings</h1>
        {!restricted && (
          <Link href="/dashboard/settings/team" className="text-sm font-medium text-brand-700 hover:underline">
            Team: members, roles and invitations →
          </Link>
        )}
      </div>

      {restricted && (
        <Notice tone="warning">
          The owners of {tenant.whopCompanyTitle ? <strong className="font-semibold">{tenant.whopCompanyTitle}</strong> : "this account"} require two-factor authentication.
          Set it up below to use the dashboard.
        </Notice>
      )}

      <Card title="Change password" description={<>You are logged in as <strong className="font-medium text-zinc-800">{user.email}</strong>. Changing the password logs out every other session.</>}>
        <ChangePasswordForm action={changePasswordAction} passwordRules={PASSWORD_RULES} />
      </Card>

      <TwoFactorCard state={twoFactor} />

      <Card title="Active sessions" description="Every browser signed in to this account. Ending a session logs that browser out at once, even if its cookie was copied.">
        <ul className="divide-y divide-zinc-100">
          {liveSessions.map((session) => (
            <li key={session.id} className="flex flex-col gap-3 py-3 first:pt-0 last:pb-0 sm:flex-row sm:items-center sm:justify-between">
              <div className="min-w-0 text-sm">
                <p className="font-medium text-zinc-900">
                  {deviceName(session.userAgent)}
                  {session.id === account.session.id && <span className="ml-2 rounded bg-emerald-50 px-1.5 py-0.5 text-xs font-medium text-emerald-700">This session</span>}
                </p>
                <p className="text-zinc-600">
                  {session.ip ?? "Unknown IP"} · last seen {formatDateTime(session.lastSeenAt)} · signed in {formatDateTime(session.createdAt)}
                </p>
              </div>
              {session.id !== account.session.id && <EndSessionForm sessionId={session.id} action={endSessionAction} />}
            </li>
          ))}
        </ul>
      </Card>

      <Card title="Log out everywhere" description="Ends every session of this account on every device and browser, this one included. Use it if you logged in on a computer that is not yours or think someone else has your password (then change it).">
        <LogOutEverywhereForm action={revokeAllSessionsAction} />
      </Card>

      {!restricted && (
        <>
          <section id="audit-log" aria-labelledby="audit-log-heading" className="scroll-mt-6 space-y-4">
            <div>
              <h2 id="audit-log-heading" className="text-base font-semibold text-zinc-900">
                Audit log
              </h2>
              <p className="mt-1 text-sm text-zinc-600">Who did what to this account and when, newest first. Times are in UTC.</p>
            </div>
            {entries.length === 0 ? (
              <p className="rounded-xl border border-dashed border-zinc-300 bg-white px-6 py-10 text-center text-sm text-zinc-600">
                {cursor ? "No older entries." : "Nothing recorded yet."}
              </p>
            ) : (
              <AuditList entries={entries} />
            )}
            <Pagination
              basePath="/dashboard/settings#audit-log"
              onLaterPage={Boolean(cursor)}
              nextHref={nextCursor ? `/dashboard/settings?${new URLSearchParams({ cursor: nextCursor })}#audit-log` : null}
            />
          </section>

          <section aria-labelledby="delete-account-heading" className="rounded-xl border border-red-200 bg-white p-6 shadow-sm">
            <h2 id="delete-account-heading" className="text-base font-semibold text-red-800">
              Delete account
            </h2>
            <div className="mt-1 space-y-2 text-sm text-zinc-600">
              <p>
                Permanently deletes your account and everything we hold for it: your login, items and their checkout links, orders, webhook events,
                the audit log, and the stored Whop API key and webhook secret. It cannot be undone.
              </p>
              <p>
                Nothing on Whop is touched: your payments, products and memberships stay there.
                {connected && " Afterwards, revoke the API key and delete the webhook in your Whop dashboard (Developer settings)."}
              </p>
            </div>
            <div className="mt-5">
              <DeleteAccountForm action={deleteAccountAction} phrase={deletionConfirmationPhrase(account)} connected={connected} twoFactor={twoFactor.status === "on"} />
            </div>
          </section>
        </>
      )}
    </>
  );
}

function TwoFactorCard({ state }: { state: TwoFactorState }) {
  if (state.status === "on") {
    return (
      <Card
        title="Two-factor authentication"
        description={
          <>
            <strong className="font-medium text-emerald-700">On</strong> since {formatDateTime(state.enabledAt)}: logging in asks for a code from your
            authenticator app. {state.recoveryCodesLeft} of 10 recovery codes left{state.recoveryCodesLeft <= 3 ? ": make new ones soon." : "."}
          </>
        }
      >
        <TwoFactorOnForms regenerateAction={regenerateRecoveryCodesAction} disableAction={disableTwoFactorAction} />
      </Card>
    );
  }
  if (state.status === "pending") {
    return (
      <Card title="Two-factor authentication" description="Scan the QR code with an authenticator app (1Password, Google Authenticator, Authy…), then type the code it shows.">
        <ConfirmTwoFactorSetupForm action={confirmTwoFactorSetupAction} cancelAction={cancelTwoFactorSetupAction} qrSvg={state.qrSvg} secret={state.secret} />
      </Card>
    );
  }
  return (
    <Card
      title="Two-factor authentication"
      description="Off. With it on, logging in also asks for a 6-digit code from an authenticator app on your phone, so a stolen password alone does not get in."
    >
      <StartTwoFactorSetupForm action={beginTwoFactorSetupAction} />
    </Card>
  );
}

function AuditList({ entries }: { entries: AuditRow[] }) {
  return (
    <ul className="divide-y divide-zinc-100 overflow-hidden rounded-xl border border-zinc-200 bg-white shadow-sm">
      {entries.map((entry) => (
        <li key={entry.id} className="grid gap-1.5 px-4 py-3 text-sm sm:grid-cols-[minmax(0,1fr)_auto] sm:gap-x-6">
          <div className="min-w-0 space-y-1">
            <p className={`font-medium text-zinc-900 ${entry.label === entry.action ? "font-mono text-xs" : ""}`}>{entry.label}</p>
            {entry.details.length > 0 && (
              <dl className="flex flex-wrap gap-x-4 gap-y-0.5 text-xs text-zinc-600">
                {entry.details.map((detail) => (
                  <div key={detail.label} className="flex min-w-0 gap-1">
                    <dt className="shrink-0 text-zinc-500">{detail.label}</dt>
                    <dd className="font-mono text-zinc-800 wrap-anywhere">{detail.value}</dd>
                  </div>
                ))}
              </dl>
            )}
          </div>
          <dl className="space-y-0.5 text-xs text-zinc-500 sm:text-right">
            <div>
              <dt className="sr-only">When</dt>
              <dd>
                <time dateTime={entry.createdAt.toISOString()}>{formatDateTime(entry.createdAt)}</time>
              </dd>
            </div>
            <div className="flex flex-wrap gap-x-1.5 sm:justify-end">
              <dt className="sr-only">Who</dt>
              <dd className="max-w-64 truncate text-zinc-700">{entry.actorEmail ?? "—"}</dd>
              {entry.ip && (
                <>
                  <dt>IP</dt>
                  <dd className="font-mono wrap-anywhere">{entry.ip}</dd>
                </>
              )}
            </div>
          </dl>
        </li>
      ))}
    </ul>
  );
}
