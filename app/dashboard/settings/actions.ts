"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { z } from "zod";
import { validatedAction, type ActionState } from "@/lib/actions";
import { changePassword, deleteAccount, revokeAllSessions } from "@/lib/auth/account-settings";
import { passwordSchema } from "@/lib/auth/password";
import { clientIp, endSession, requireAccount } from "@/lib/auth/session";
import { endOneSession } from "@/lib/auth/sessions";
import { beginTwoFactorSetup, cancelTwoFactorSetup, confirmTwoFactorSetup, disableTwoFactor, regenerateRecoveryCodes } from "@/lib/auth/two-factor";

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
  password: z.string().min(1, "Enter your password.").max(256, "That password is not right. Nothing was deleted."),
  code: z.string().max(64, "That code is not right. Nothing was deleted.").optional(),
});

export const deleteAccountAction = validatedAction(deleteAccountSchema, async ({ confirmation, password, code }): Promise<ActionState> => {
  const { user, tenant } = await requireAccount();
  const result = await deleteAccount({ tenantId: tenant.id, userId: user.id, confirmation, password, code, ip: await clientIp() });
  if (!result.ok) {
    switch (result.reason) {
      case "not_found":
        redirect("/login");
      case "mismatch":
        return { fieldErrors: { confirmation: `That does not match “${result.expected}” exactly (capitals count). Nothing was deleted.` } };
      case "incorrect_password":
        return { fieldErrors: { password: "That password is not right. Nothing was deleted." } };
      case "code_required":
        return { fieldErrors: { code: "Enter the code from your authenticator app (or a recovery code)." } };
      case "incorrect_code":
        return { fieldErrors: { code: "That code is not right (or was already used). Nothing was deleted." } };
      case "throttled":
        return { error: "Too many failed attempts. Wait 15 minutes and try again. Nothing was deleted." };
    }
  }
  await endSession();
  redirect("/signup");
});

// Two-factor authentication (the card of that name).

export const beginTwoFactorSetupAction = validatedAction(z.object({}), async () => {
  const { user, tenant, sessionId } = await requireAccount();
  const result = await beginTwoFactorSetup({ tenantId: tenant.id, userId: user.id, sessionId, ip: await clientIp() });
  revalidatePath("/dashboard/settings");
  return result.ok ? {} : { error: result.message };
});

export const cancelTwoFactorSetupAction = validatedAction(z.object({}), async () => {
  const { user, tenant, sessionId } = await requireAccount();
  await cancelTwoFactorSetup({ tenantId: tenant.id, userId: user.id, sessionId, ip: await clientIp() });
  revalidatePath("/dashboard/settings");
  return {};
});

const codeSchema = z.object({ code: z.string().trim().min(1, "Enter the 6-digit code from your app.").max(64, "That code is not right.") });

// No revalidation on success: the page would re-render without the codes, shown once; the form's
// **I have saved them** refreshes it.
export const confirmTwoFactorSetupAction = validatedAction(codeSchema, async ({ code }) => {
  const { user, tenant, sessionId } = await requireAccount();
  const result = await confirmTwoFactorSetup({ tenantId: tenant.id, userId: user.id, sessionId, ip: await clientIp() }, code);
  if (!result.ok) {
    if (result.reason === "throttled") return { error: "Too many wrong codes. Wait 15 minutes and try again." };
    if (result.reason === "no_setup") return { error: "This setup is no longer current: press Set up two-factor again." };
    return { fieldErrors: { code: "That code is not right. Check the time on your phone and type the code the app shows now." } };
  }
  return { success: "Two-factor authentication is on. From now on, logging in asks for a code from your app.", reveal: result.recoveryCodes.join("\n") };
});

export const disableTwoFactorAction = validatedAction(z.object({}), async () => {
  const { user, tenant, sessionId } = await requireAccount();
  const result = await disableTwoFactor({ tenantId: tenant.id, userId: user.id, sessionId, ip: await clientIp() });
  if (!result.ok) return result.reason === "reauthenticate" ? { error: result.message, reauthenticate: result.method } : { error: result.message };
  revalidatePath("/dashboard/settings");
  return { success: "Two-factor authentication is off." };
});

export const regenerateRecoveryCodesAction = validatedAction(z.object({}), async () => {
  const { user, tenant, sessionId } = await requireAccount();
  const result = await regenerateRecoveryCodes({ tenantId: tenant.id, userId: user.id, sessionId, ip: await clientIp() });
  if (!result.ok) return result.reason === "reauthenticate" ? { error: result.message, reauthenticate: result.method } : { error: result.message };
  return { success: "New recovery codes made: the old ones no longer work.", reveal: result.recoveryCodes.join("\n") };
});
