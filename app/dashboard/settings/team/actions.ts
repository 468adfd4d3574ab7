"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { z } from "zod";
import { db } from "@/db/client";
import { actorAction } from "@/lib/auth/action";
import { emailSchema } from "@/lib/auth/password";
import { ROLES } from "@/lib/auth/roles";
import { endSession, getSession } from "@/lib/auth/session";
import { defaultAccountId, switchSessionAccount } from "@/lib/auth/sessions";
import { changeMemberRole, inviteMember, leaveAccount, removeMember, revokeInvitation, setTwoFactorRequirement } from "@/lib/auth/team";

// Every action acts on the session's account; ids in the form are looked up within it.

const roleSchema = z.enum(ROLES, { message: "Choose Owner, Admin or Viewer." });
const idSchema = z.string().trim().min(1).max(64);
const refresh = () => revalidatePath("/dashboard/settings/team");

export const inviteMemberAction = actorAction(z.object({ email: emailSchema, role: roleSchema }), async (actor, input) => {
  const result = await inviteMember(actor, input);
  if (!result.ok) return { error: result.message, reauthenticate: result.reauthenticate };
  refresh();
  return { success: `${result.message} The link works for 7 days; you can also pass it on yourself:`, reveal: result.link };
});

export const revokeInvitationAction = actorAction(z.object({ invitationId: idSchema }), async (actor, { invitationId }) => {
  const result = await revokeInvitation(actor, invitationId);
  if (!result.ok) return { error: result.message, reauthenticate: result.reauthenticate };
  refresh();
  return { success: result.message };
});

export const changeRoleAction = actorAction(z.object({ userId: idSchema, role: roleSchema }), async (actor, { userId, role }) => {
  const result = await changeMemberRole(actor, userId, role);
  if (!result.ok) return { error: result.message, reauthenticate: result.reauthenticate };
  refresh();
  return { success: result.message };
});

export const removeMemberAction = actorAction(z.object({ userId: idSchema }), async (actor, { userId }) => {
  const result = await removeMember(actor, userId);
  if (!result.ok) return { error: result.message, reauthenticate: result.reauthenticate };
  refresh();
  return { success: result.message };
});

export const setTwoFactorRequirementAction = actorAction(z.object({ required: z.enum(["true", "false"], { message: "Choose to require two-factor or not." }) }), async (actor, { required }) => {
  const result = await setTwoFactorRequirement(actor, required === "true");
  if (!result.ok) return { error: result.message, reauthenticate: result.reauthenticate };
  refresh();
  return { success: result.message };
});

/** Leaving: the session moves to another account of the user's, or ends when there is none. */
export const leaveAccountAction = actorAction(z.object({}), async (actor) => {
  const result = await leaveAccount(actor);
  if (!result.ok) return { error: result.message };
  const next = await defaultAccountId(actor.userId, db());
  const session = await getSession();
  if (next && session.sessionId && session.userId && (await switchSessionAccount({ sessionId: session.sessionId, userId: session.userId }, next))) redirect("/dashboard");
  await endSession();
  redirect("/login");
});
