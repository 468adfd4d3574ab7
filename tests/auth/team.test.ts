import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { db } from "@/db/client";
import { auditLog } from "@/db/schema";
import { accountMembers, invitations, invitationTokens } from "@/db/schema-auth";
import { ownerActor, type Actor } from "@/lib/auth/actor";
import { findMembership, logIn, signUp } from "@/lib/auth/accounts";
import { ForbiddenError } from "@/lib/auth/roles";
import { createSession, findLiveSession, listUserAccounts, switchSessionAccount } from "@/lib/auth/sessions";
import {
  acceptInvitationAs,
  acceptInvitationAsNewUser,
  changeMemberRole,
  findInvitation,
  inviteMember,
  leaveAccount,
  listMembers,
  removeMember,
  revokeInvitation,
} from "@/lib/auth/team";
import { uniqueEmail, withTestDatabase } from "../db";

withTestDatabase();

const password = "long enough password";

async function owner() {
  const created = await signUp({ email: uniqueEmail("owner"), password, ip: null });
  if (!created.ok) throw new Error("sign-up failed");
  return { ...created, actor: ownerActor(created.tenant, created.user) };
}

const tokenOf = (link: string) => decodeURIComponent(link.split("/invite/")[1]!);

async function invite(actor: Actor, email: string, role: "owner" | "admin" | "viewer") {
  const sent = await inviteMember(actor, { email, role });
  if (!sent.ok) throw new Error(sent.message);
  return tokenOf(sent.link);
}

/** The actor a member acts as in `of`'s account. */
async function actorFor(of: Awaited<ReturnType<typeof owner>>, userId: string): Promise<Actor> {
  const membership = (await findMembership(userId, of.account.id))!;
  return { tenant: membership.tenant, accountId: membership.account.id, userId, email: membership.user.email, role: membership.role, ip: null, sessionId: null };
}

describe("invitations", () => {
  it("a new user accepts with a password: a Viewer of the account, audited; the link works once", async () => {
    const o = await owner();
    const email = uniqueEmail("viewer");
    const token = await invite(o.actor, email, "viewer");
    // Only the digest is stored.
    expect(JSON.stringify(await db().select().from(invitationTokens))).not.toContain(token);
    expect(await findInvitation(token)).toMatchObject({ ok: true, userExists: false, invitation: { email, role: "viewer" } });

    const accepted = await acceptInvitationAsNewUser(token, "a viewer's passphrase", null);
    expect(accepted).toMatchObject({ ok: true, accountId: o.account.id });
    expect((await logIn({ email, password: "a viewer's passphrase", ip: null })).ok).toBe(true);
    expect((await listMembers(o.actor)).map((m) => [m.email, m.role])).toEqual([
      [o.user.email, "owner"],
      [email, "viewer"],
    ]);
    expect(await acceptInvitationAsNewUser(token, "another passphrase!", null)).toEqual({ ok: false, reason: "used" });
    const audit = await db().select().from(auditLog).where(eq(auditLog.tenantId, o.tenant.id));
    expect(audit.map((entry) => entry.action)).toEqual(expect.arrayContaining(["invitation.sent", "invitation.accepted"]));
  });

  it("an existing user accepts while signed in, only with the invited email; they then belong to two accounts", async () => {
    const a = await owner();
    const b = await owner();
    const token = await invite(a.actor, b.user.email, "admin");
    const stranger = await owner();
    expect(await acceptInvitationAs(stranger.user, token, null)).toEqual({ ok: false, reason: "wrong_user" });
    expect(await acceptInvitationAs(b.user, token, null)).toMatchObject({ ok: true, accountId: a.account.id });
    expect((await findMembership(b.user.id, a.account.id))?.role).toBe("admin");
    expect((await findMembership(b.user.id, b.account.id))?.role).toBe("owner");
  });

  it("is the owner's to send; revoked, re-sent or expired links stop working", async () => {
    const o = await owner();
    const email = uniqueEmail("invitee");
    const admin = await invite(o.actor, uniqueEmail("admin"), "admin");
    await acceptInvitationAsNewUser(admin, "an admin passphrase", null);
    const adminId = (await listMembers(o.actor)).find((m) => m.role === "admin")!.userId;
    await expect(inviteMember(await actorFor(o, adminId), { email, role: "viewer" })).rejects.toThrow(ForbiddenError);

    const first = await invite(o.actor, email, "viewer");
    const second = await invite(o.actor, email, "admin");
    expect(await findInvitation(first)).toEqual({ ok: false, reason: "revoked" });
    const [open] = await db().select().from(invitations).where(and(eq(invitations.accountId, o.account.id), eq(invitations.email, email), eq(invitations.role, "admin")));
    expect(await revokeInvitation(o.actor, open!.id)).toMatchObject({ ok: true });
    expect(await acceptInvitationAsNewUser(second, "a new passphrase", null)).toEqual({ ok: false, reason: "revoked" });

    const third = await invite(o.actor, email, "viewer");
    await db().update(invitations).set({ expiresAt: new Date(Date.now() - 1000) }).where(and(eq(invitations.accountId, o.account.id), eq(invitations.email, email)));
    expect(await acceptInvitationAsNewUser(third, "a new passphrase", null)).toEqual({ ok: false, reason: "expired" });
    expect(await inviteMember(o.actor, { email: o.user.email, role: "viewer" })).toMatchObject({ ok: false, message: expect.stringContaining("already a member") });
  });
});

describe("the account switcher", () => {
  it("moves a session into another account of the user's only; the session then works there with that role", async () => {
    const a = await owner();
    const b = await owner();
    const stranger = await owner();
    const accepted = await acceptInvitationAs(b.user, await invite(a.actor, b.user.email, "admin"), null);
    expect(accepted.ok).toBe(true);
    expect((await listUserAccounts(b.user.id)).map((row) => [row.accountId, row.role])).toEqual([
      [b.account.id, "owner"],
      [a.account.id, "admin"],
    ]);
    const session = await createSession(db(), b.user, b.account.id, { ip: null, userAgent: null });
    const ref = { sessionId: session.id, userId: b.user.id };
    expect(await switchSessionAccount(ref, a.account.id)).toBe(true);
    expect(await findLiveSession(ref)).toMatchObject({ tenant: { id: a.tenant.id }, role: "admin" });
    expect(await switchSessionAccount(ref, stranger.account.id)).toBe(false);
    expect(await findLiveSession(ref)).toMatchObject({ tenant: { id: a.tenant.id }, role: "admin" });
  });
});

describe("members", () => {
  it("the last owner can neither leave nor be demoted; with a second owner they can", async () => {
    const o = await owner();
    expect(await leaveAccount(o.actor)).toEqual({ ok: false, message: expect.stringContaining("needs an owner") });
    expect(await changeMemberRole(o.actor, o.user.id, "admin")).toEqual({ ok: false, message: expect.stringContaining("needs an owner") });
    expect(await removeMember(o.actor, o.user.id)).toEqual({ ok: false, message: expect.stringContaining("needs an owner") });

    const token = await invite(o.actor, uniqueEmail("second"), "admin");
    const accepted = await acceptInvitationAsNewUser(token, "second owner pass", null);
    if (!accepted.ok) throw new Error(accepted.reason);
    expect(await changeMemberRole(o.actor, accepted.user.id, "owner")).toMatchObject({ ok: true });
    expect(await leaveAccount(o.actor)).toMatchObject({ ok: true });
    expect(await findMembership(o.user.id, o.account.id)).toBeUndefined();
  });

  it("two owners demoting each other at once: one stays owner (10 rounds)", async () => {
    for (let round = 0; round < 10; round++) {
      const o = await owner();
      const token = await invite(o.actor, uniqueEmail("co"), "owner");
      const co = await acceptInvitationAsNewUser(token, "co-owner passphrase", null);
      if (!co.ok) throw new Error(co.reason);
      const coActor = await actorFor(o, co.user.id);
      const results = await Promise.all([changeMemberRole(o.actor, co.user.id, "viewer"), changeMemberRole(coActor, o.user.id, "viewer")]);
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      expect(await db().$count(accountMembers, and(eq(accountMembers.accountId, o.account.id), eq(accountMembers.role, "owner")))).toBe(1);
    }
  });

  it("a removed member's sessions in the account end and they are signed out of it", async () => {
    const o = await owner();
    const token = await invite(o.actor, uniqueEmail("member"), "viewer");
    const member = await acceptInvitationAsNewUser(token, "member passphrase", null);
    if (!member.ok) throw new Error(member.reason);
    const session = await createSession(db(), member.user, o.account.id, { ip: null, userAgent: null });
    expect(await findLiveSession({ sessionId: session.id, userId: member.user.id })).toBeDefined();

    await expect(removeMember(await actorFor(o, member.user.id), o.user.id)).rejects.toThrow(ForbiddenError);
    expect(await removeMember(o.actor, member.user.id)).toMatchObject({ ok: true });
    expect(await findLiveSession({ sessionId: session.id, userId: member.user.id })).toBeUndefined();
    const [removed] = await db().select().from(auditLog).where(and(eq(auditLog.tenantId, o.tenant.id), eq(auditLog.action, "member.removed")));
    expect(removed).toMatchObject({ actorUserId: o.user.id, detail: { userId: member.user.id } });
  });
});
