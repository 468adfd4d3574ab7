"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { z } from "zod";
import { validatedAction, type ActionState } from "@/lib/actions";
import { changePassword, deleteAccount, revokeAllSessions } from "@/lib/auth/account-settings";
import { passwordSchema } from "@/lib/auth/password";
import { clientIp, endSession, requireAccount } from "@/lib/auth/session";
import { endOneSession } from "@/lib/auth/sessions";

// Every action acts on the session's account only: no form field names a user or a tenant.

const changePasswordSchema = z.object({
  currentPassword: z.string().min(1, "Enter your current password.").max(256, "Current password is incorrect."),
  newPassword: passwordSchema,
});

export const changePasswordAction = validatedAction(changePasswordSchema, async ({ currentPassword, newPassword }): Promise<ActionState> => {
  const { user, tenant, sessionId } = await requireAccount();
  const result = await changePassword({ userId: user.id, tenantId: tenant.id, currentPassword, newPassword, ip: await clientIp(), keepSessionId: sessionId });
  if (!result.ok) {
    switch (result.reason) {
      case "incorrect":
        return { fieldErrors: { currentPassword: "Current password is incorrect." } };
      case "throttled":
        return { error: "Too many failed attempts. Wait 15 minutes and try again." };
      case "same_password":
        return { fieldErrors: { newPassword: "Choose a password different from the current one." } };
      case "not_found":
        redirect("/login");
    }
  }
  revalidatePath("/dashboard/settings");
  return { success: "Password changed. Every other session has been logged out." };
});

export const revokeAllSessionsAction = validatedAction(z.object({}), async () => {
  const { user, tenant } = await requireAccount();
  await revokeAllSessions(user.id, tenant.id, await clientIp());
  await endSession();
  redirect("/login");
});

export const endSessionAction = validatedAction(z.object({ sessionId: z.string().regex(/^ses_[A-Za-z0-9]{32}$/, "That is not a session.") }), async ({ sessionId }) => {
  const { user, tenant, sessionId: current } = await requireAccount();
  if (sessionId === current) return { error: "That is this session: use Log out instead." };
  const result = await endOneSession({ tenantId: tenant.id, userId: user.id, ip: await clientIp() }, sessionId);
  if (!result.ok) return { error: result.message };
  revalidatePath("/dashboard/settings");
  return { success: "Session ended: that browser is logged out." };
});

const deleteAccountSchema = z.object({
  confirmation: z.string().max(500, "That is not your company name.").refine((value) => value.trim() !== "", "Type your company name to confirm."),
});

export const deleteAccountAction = validatedAction(deleteAccountSchema, async ({ confirmation }) => {
  const { user, tenant } = await requireAccount();
  const result = await deleteAccount({ tenantId: tenant.id, userId: user.id, confirmation });
  if (!result.ok) {
    if (result.reason === "not_found") redirect("/login");
    return { fieldErrors: { confirmation: `That does not match “${result.expected}” exactly (capitals count). Nothing was deleted.` } };
  }
  await endSession();
  redirect("/signup");
});
