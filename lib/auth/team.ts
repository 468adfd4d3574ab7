import { and, asc, eq, gt, isNotNull, isNull, sql } from "drizzle-orm";
import { db, type Executor, type Transaction } from "@/db/client";
import { accounts, tenants, users, type User } from "@/db/schema";
import { accountNameOf } from "@/lib/tenants/queries";
import { accountMembers, invitations, invitationTokens, sessions, userTwoFactor, type Invitation, type Role } from "@/db/schema-auth";
import { recordAudit } from "@/lib/audit/log";
import { env } from "@/lib/env";
import { newId, randomBase62 } from "@/lib/ids";
import { queueMail } from "@/lib/mail/queue";
import { composeMail } from "@/lib/mail/templates";
import type { Actor } from "./actor";
import { insertUser } from "./accounts";
import { hashPassword } from "./password";
import { requireRecentAuthentication, type ReauthMethod } from "./step-up";
import { authorize, ROLE_LABELS } from "./roles";
import { isTwoFactorEnabled } from "./second-factor";
import { twoFactorOnColumn } from "./sessions";
import { digestToken } from "./tokens";

/*
 * The team of an account: its members with their roles, and the invitations an owner sends.
 * An invitation is mailed as a link naming a random token (only its SHA-256 is stored, in the
 * invitation_tokens lookup); it works once, for 7 days, until revoked; sending another to the
 * same email revokes the earlier one. Accepting makes the person a member with the invited role,
 * as a new user (who sets a password) or as the user already signed in. An account always keeps
 * an owner: the last one can neither leave nor be demoted or removed. Every change is audited on
 * the account's tenant, naming the acting user, in the same transaction.
 */

export const INVITATION_TTL_MS = 7 * 24 * 60 * 60 * 1000;

/** A refusal for a stale session says what **Confirm it's you** asks for (step-up, lib/auth/step-up.ts). */
export type TeamResult = { ok: true; message: string } | { ok: false; message: string; reauthenticate?: ReauthMethod };
/** A sent invitation also answers its link, shown once to the owner who sent it (to pass on another way). */
export type InviteResult = { ok: true; message: string; link: string } | { ok: false; message: string; reauthenticate?: ReauthMethod };

/** Team changes are sensitive: the owner re-authenticated within 10 minutes, or nothing happens. */
async function stepUp(actor: Actor): Promise<{ ok: false; message: string; reauthenticate: ReauthMethod } | undefined> {
  const recent = await requireRecentAuthentication(actor.sessionId, actor);
  return recent.ok ? undefined : { ok: false, message: recent.message, reauthenticate: recent.method };
}

export interface TeamMember {
  userId: string;
  email: string;
  role: Role;
  joinedAt: Date;
  twoFactorOn: boolean;
}

export function invitationLink(raw: string): string {
  return `${env().appUrl}/invite/${encodeURIComponent(raw)}`;
}

async function tenantIdOf(tx: Transaction, accountId: string): Promise<string> {
  const [tenant] = await tx.select({ id: tenants.id }).from(tenants).where(eq(tenants.accountId, accountId)).orderBy(asc(tenants.environment)).limit(1);
  if (!tenant) throw new Error(`account ${accountId} has no tenant`);
  return tenant.id;
}

export async function listMembers(actor: Actor): Promise<TeamMember[]> {
  return db()
    .select({ userId: users.id, email: users.email, role: accountMembers.role, joinedAt: accountMembers.createdAt, twoFactorOn: twoFactorOnColumn })
    .from(accountMembers)
    .innerJoin(users, eq(users.id, accountMembers.userId))
    .leftJoin(userTwoFactor, eq(userTwoFactor.userId, accountMembers.userId))
    .where(eq(accountMembers.accountId, actor.accountId))
    .orderBy(asc(accountMembers.createdAt), asc(users.email));
}

/** Invitations neither accepted, revoked nor expired. */
export async function listOpenInvitations(actor: Actor, now = new Date()): Promise<Invitation[]> {
  return db()
    .select()
    .from(invitations)
    .where(and(eq(invitations.accountId, actor.accountId), isNull(invitations.acceptedAt), isNull(invitations.revokedAt), gt(invitations.expiresAt, now)))
    .orderBy(asc(invitations.createdAt));
}

/** **Send invitation** (Owner): mails a 7-day link; an open invitation to the same email is revoked. */
export async function inviteMember(actor: Actor, input: { email: string; role: Role }): Promise<InviteResult> {
  authorize(actor, "owner");
  const refused = await stepUp(actor);
  if (refused) return refused;
  return db().transaction(async (tx) => {
    const [already] = await tx
      .select({ userId: accountMembers.userId })
      .from(accountMembers)
      .innerJoin(users, eq(users.id, accountMembers.userId))
      .where(and(eq(accountMembers.accountId, actor.accountId), eq(users.email, input.email)))
      .limit(1);
    if (already) return { ok: false, message: `${input.email} is already a member of this account.` } as const;
    await tx
      .update(invitations)
      .set({ revokedAt: sql`now()` })
      .where(and(eq(invitations.accountId, actor.accountId), eq(invitations.email, input.email), isNull(invitations.acceptedAt), isNull(invitations.revokedAt)));
    const id = newId("inv");
    await tx.insert(invitations).values({
      accountId: actor.accountId,
      id,
      email: input.email,
      role: input.role,
      invitedByUserId: actor.userId,
      expiresAt: new Date(Date.now() + INVITATION_TTL_MS),
    });
    const raw = randomBase62(32);
    await tx.insert(invitationTokens).values({ tokenHash: digestToken(raw), accountId: actor.accountId, invitationId: id });
    const company = actor.tenant.whopCompanyTitle ?? "a Whop Connector account";
    await queueMail(
      tx,
      composeMail({
        to: input.email,
        subject: `You're invited to ${company} on Whop Connector`,
        heading: `Join ${company}`,
        paragraphs: [`${actor.email} invited you to ${company} as ${ROLE_LABELS[input.role]}.`, "The link works for 7 days and only once."],
        action: { label: "Accept the invitation", url: invitationLink(raw) },
        footer: "If you did not expect this, ignore this mail: nothing happens unless you accept.",
      }),
    );
    await recordAudit(tx, { tenantId: actor.tenant.id, actorUserId: actor.userId, action: "invitation.sent", ip: actor.ip, detail: { invitationId: id, role: input.role } });
    return { ok: true, message: `Invitation sent to ${input.email}.`, link: invitationLink(raw) } as const;
  });
}

/** **Revoke** an open invitation (Owner): its link stops working. */
export async function revokeInvitation(actor: Actor, invitationId: string): Promise<TeamResult> {
  authorize(actor, "owner");
  const refused = await stepUp(actor);
  if (refused) return refused;
  return db().transaction(async (tx) => {
    const revoked = await tx
      .update(invitations)
      .set({ revokedAt: sql`now()` })
      .where(and(eq(invitations.accountId, actor.accountId), eq(invitations.id, invitationId), isNull(invitations.acceptedAt), isNull(invitations.revokedAt)))
      .returning({ id: invitations.id });
    if (revoked.length === 0) return { ok: false, message: "That invitation is no longer open." } as const;
    await recordAudit(tx, { tenantId: actor.tenant.id, actorUserId: actor.userId, action: "invitation.revoked", ip: actor.ip, detail: { invitationId } });
    return { ok: true, message: "Invitation revoked." } as const;
  });
}

export type InvitationCheck =
  | { ok: true; invitation: Invitation; company: string | null; userExists: boolean }
  | { ok: false; reason: "invalid" | "used" | "revoked" | "expired" };

/** What `/invite/[token]` shows: the open invitation the link names, or why it no longer works. */
export async function findInvitation(raw: string, now = new Date(), executor: Executor = db()): Promise<InvitationCheck> {
  const [row] = await executor
    .select({ invitation: invitations, company: accountNameOf(invitations.accountId) })
    .from(invitationTokens)
    .innerJoin(invitations, and(eq(invitations.accountId, invitationTokens.accountId), eq(invitations.id, invitationTokens.invitationId)))
    .where(eq(invitationTokens.tokenHash, digestToken(raw)))
    .limit(1);
  if (!row) return { ok: false, reason: "invalid" };
  if (row.invitation.acceptedAt) return { ok: false, reason: "used" };
  if (row.invitation.revokedAt) return { ok: false, reason: "revoked" };
  if (row.invitation.expiresAt <= now) return { ok: false, reason: "expired" };
  const [user] = await executor.select({ id: users.id }).from(users).where(eq(users.email, row.invitation.email)).limit(1);
  return { ok: true, invitation: row.invitation, company: row.company, userExists: Boolean(user) };
}

export type AcceptResult = { ok: true; user: User; accountId: string } | { ok: false; reason: "invalid" | "used" | "revoked" | "expired" | "wrong_user" | "email_taken" };

/** What the invitation page and its forms say when a link no longer works. */
export const INVITATION_PROBLEMS = {
  invalid: "This invitation link is not valid: it may have been copied incompletely.",
  used: "This invitation was already accepted.",
  revoked: "This invitation was withdrawn. Ask the account's owner for a new one.",
  expired: "This invitation has expired (links work for 7 days). Ask the account's owner for a new one.",
  wrong_user: "This invitation is for another email. Log out, then open the link again.",
  email_taken: "That email already has a login: log in with it, then open the link again.",
} as const satisfies Record<Extract<AcceptResult, { ok: false }>["reason"], string>;

/** Claims the invitation once (a conditional update) and adds the membership, audited. */
async function claim(tx: Transaction, raw: string, user: User, ip: string | null): Promise<AcceptResult> {
  const check = await findInvitation(raw, new Date(), tx);
  if (!check.ok) return check;
  const claimed = await tx
    .update(invitations)
    .set({ acceptedAt: sql`now()`, acceptedByUserId: user.id })
    .where(and(eq(invitations.accountId, check.invitation.accountId), eq(invitations.id, check.invitation.id), isNull(invitations.acceptedAt), isNull(invitations.revokedAt)))
    .returning({ id: invitations.id });
  if (claimed.length === 0) return { ok: false, reason: "used" };
  await tx
    .insert(accountMembers)
    .values({ accountId: check.invitation.accountId, userId: user.id, role: check.invitation.role })
    .onConflictDoNothing();
  await recordAudit(tx, {
    tenantId: await tenantIdOf(tx, check.invitation.accountId),
    actorUserId: user.id,
    action: "invitation.accepted",
    ip,
    detail: { invitationId: check.invitation.id, role: check.invitation.role },
  });
  return { ok: true, user, accountId: check.invitation.accountId };
}

/** Accepting as the signed-in user: the invitation must be to their email. */
export async function acceptInvitationAs(user: User, raw: string, ip: string | null): Promise<AcceptResult> {
  return db().transaction(async (tx) => {
    const check = await findInvitation(raw, new Date(), tx);
    if (check.ok && check.invitation.email !== user.email) return { ok: false, reason: "wrong_user" } as const;
    return claim(tx, raw, user, ip);
  });
}

/** Accepting as a new user: the account of the invited email is created with `password` (already validated). */
export async function acceptInvitationAsNewUser(raw: string, password: string, ip: string | null): Promise<AcceptResult> {
  const check = await findInvitation(raw);
  if (!check.ok) return check;
  if (check.userExists) return { ok: false, reason: "email_taken" };
  const passwordHash = await hashPassword(password);
  try {
    return await db().transaction(async (tx) => {
      // The mail reached this address: it counts as confirmed.
      const user = await insertUser(tx, { id: newId("usr"), email: check.invitation.email, passwordHash, emailVerifiedAt: new Date() });
      const result = await claim(tx, raw, user, ip);
      if (!result.ok) tx.rollback();
      return result;
    });
  } catch {
    // The email was claimed meanwhile (insertUser rolled back), or the invitation was.
    const again = await findInvitation(raw);
    return again.ok ? { ok: false, reason: "email_taken" } : again;
  }
}

/** Locks the account's owner rows and counts them: the last-owner rule holds under concurrency. */
async function ownerCount(tx: Transaction, accountId: string): Promise<number> {
  const owners = await tx
    .select({ userId: accountMembers.userId })
    .from(accountMembers)
    .where(and(eq(accountMembers.accountId, accountId), eq(accountMembers.role, "owner")))
    .for("update");
  return owners.length;
}

/** The member's row, locked for the rest of the transaction, or undefined. */
async function lockedMember(tx: Transaction, accountId: string, userId: string): Promise<{ role: Role } | undefined> {
  const [row] = await tx
    .select({ role: accountMembers.role })
    .from(accountMembers)
    .where(and(eq(accountMembers.accountId, accountId), eq(accountMembers.userId, userId)))
    .for("update");
  return row;
}

const LAST_OWNER = "An account needs an owner: make someone else an owner first.";

/** **Change role** (Owner). */
export async function changeMemberRole(actor: Actor, userId: string, role: Role): Promise<TeamResult> {
  authorize(actor, "owner");
  const refused = await stepUp(actor);
  if (refused) return refused;
  return db().transaction(async (tx) => {
    const owners = await ownerCount(tx, actor.accountId);
    const current = await lockedMember(tx, actor.accountId, userId);
    if (!current) return { ok: false, message: "That person is not a member of this account." } as const;
    if (current.role === role) return { ok: true, message: `Already ${ROLE_LABELS[role]}.` } as const;
    if (current.role === "owner" && owners <= 1) return { ok: false, message: LAST_OWNER } as const;
    await tx
      .update(accountMembers)
      .set({ role })
      .where(and(eq(accountMembers.accountId, actor.accountId), eq(accountMembers.userId, userId)));
    await recordAudit(tx, { tenantId: actor.tenant.id, actorUserId: actor.userId, action: "member.role_changed", ip: actor.ip, detail: { userId, from: current.role, to: role } });
    return { ok: true, message: `Role changed to ${ROLE_LABELS[role]}.` } as const;
  });
}

async function dropMember(tx: Transaction, actor: Actor, userId: string, action: "member.removed" | "member.left"): Promise<TeamResult> {
  const owners = await ownerCount(tx, actor.accountId);
  const current = await lockedMember(tx, actor.accountId, userId);
  if (!current) return { ok: false, message: "That person is not a member of this account." };
  if (current.role === "owner" && owners <= 1) return { ok: false, message: LAST_OWNER };
  await tx.delete(accountMembers).where(and(eq(accountMembers.accountId, actor.accountId), eq(accountMembers.userId, userId)));
  // Their sessions in this account end now (the per-request lookup would refuse them anyway).
  await tx
    .update(sessions)
    .set({ endedAt: sql`now()` })
    .where(and(eq(sessions.userId, userId), eq(sessions.accountId, actor.accountId), isNull(sessions.endedAt)));
  await recordAudit(tx, { tenantId: actor.tenant.id, actorUserId: actor.userId, action, ip: actor.ip, detail: { userId } });
  return { ok: true, message: action === "member.left" ? "You left the account." : "Member removed." };
}

/** **Remove** a member (Owner); removing oneself is leaving. */
export async function removeMember(actor: Actor, userId: string): Promise<TeamResult> {
  authorize(actor, "owner");
  const refused = await stepUp(actor);
  if (refused) return refused;
  return db().transaction((tx) => dropMember(tx, actor, userId, userId === actor.userId ? "member.left" : "member.removed"));
}

/** **Leave this account** (any role), unless the user is its last owner. */
export async function leaveAccount(actor: Actor): Promise<TeamResult> {
  return db().transaction((tx) => dropMember(tx, actor, actor.userId, "member.left"));
}

/**
 * **Require two-factor** / **Stop requiring two-factor** (Owner, behind step-up). Requiring it
 * needs the owner's own two-factor on, so an owner never locks themselves out; members without it
 * then reach only Settings until they set it up (lib/auth/sessions.ts `mustSetUpTwoFactor`).
 */
export async function setTwoFactorRequirement(actor: Actor, required: boolean): Promise<TeamResult> {
  authorize(actor, "owner");
  const refused = await stepUp(actor);
  if (refused) return refused;
  if (required && !(await isTwoFactorEnabled(actor))) {
    return { ok: false, message: "Turn on two-factor for yourself first (Settings → Two-factor authentication), so that requiring it cannot lock you out." };
  }
  return db().transaction(async (tx) => {
    const changed = await tx
      .update(accounts)
      .set({ twoFactorRequiredAt: required ? sql`now()` : null })
      .where(and(eq(accounts.id, actor.accountId), required ? isNull(accounts.twoFactorRequiredAt) : isNotNull(accounts.twoFactorRequiredAt)))
      .returning({ id: accounts.id });
    if (changed.length === 0) return { ok: true, message: required ? "Two-factor is already required." : "Two-factor is already optional." } as const;
    await recordAudit(tx, { tenantId: actor.tenant.id, actorUserId: actor.userId, action: "two_factor.requirement_changed", ip: actor.ip, detail: { requirement: required ? "required" : "optional" } });
    if (!required) return { ok: true, message: "Two-factor is optional again." } as const;
    const [{ without } = { without: 0 }] = await tx
      .select({ without: sql<number>`count(*)::int` })
      .from(accountMembers)
      .leftJoin(userTwoFactor, eq(userTwoFactor.userId, accountMembers.userId))
      .where(and(eq(accountMembers.accountId, actor.accountId), isNull(userTwoFactor.enabledAt)));
    const waiting = without === 0 ? "Every member has it on." : `${without} ${without === 1 ? "member has" : "members have"} to set it up before using the dashboard.`;
    return { ok: true, message: `Two-factor is now required. ${waiting}` } as const;
  });
}
