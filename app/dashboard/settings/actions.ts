"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { z } from "zod";
import type { ActionState } from "@/lib/actions";
import { actorAction, userAction } from "@/lib/auth/action";
import { changePassword, deleteAccount, revokeAllSessions } from "@/lib/auth/account-settings";
import { passwordSchema } from "@/lib/auth/password";
import { endSession } from "@/lib/auth/session";
import { endOneSession } from "@/lib/auth/sessions";
import { beginTwoFactorSetup, cancelTwoFactorSetup, confirmTwoFactorSetup, disableTwoFactor, regenerateRecoveryCodes } from "@/lib/auth/two-factor";

// Every action acts on the session's own user (any role) or account (deletion: owners only): no form field names a user or a tenant.
// The user's own sign-in (userAction) stays open to a member who must still set up the two-factor their account requires.

const changePasswordSchema = z.object({
  currentPassword: z.string().min(1, "Enter your current password.").max(256, "Current password is incorrect."),
  newPassword: passwordSchema,
});

export const changePasswordAction = userAction(changePasswordSchema, async (actor, { currentPassword, newPassword }): Promise<ActionState> => {
  const result = await changePassword({ userId: actor.userId, currentPassword, newPassword, ip: actor.ip, keepSessionId: actor.sessionId ?? undefined });
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

export const revokeAllSessionsAction = userAction(z.object({}), async (actor) => {
  await revokeAllSessions(actor.userId, actor.ip);
  await endSession();
  redirect("/login");
});

export const endSessionAction = userAction(z.object({ sessionId: z.string().regex(/^ses_[A-Za-z0-9]{32}$/, "That is not a session.") }), async (actor, { sessionId }) => {
  if (sessionId === actor.sessionId) return { error: "That is this session: use Log out instead." };
  const result = await endOneSession(actor, sessionId);
  if (!result.ok) return { error: result.message };
  revalidatePath("/dashboard/settings");
  return { success: "Session ended: that browser is logged out." };
});

const deleteAccountSchema = z.object({
  confirmation: z.string().max(500, "That is not your company name.").refine((value) => value.trim() !== "", "Type your company name to confirm."),
  password: z.string().min(1, "Enter your password.").max(256, "That password is not right. Nothing was deleted."),
  code: z.string().max(64, "That code is not right. Nothing was deleted.").optional(),
});

export const deleteAccountAction = actorAction(deleteAccountSchema, async (actor, { confirmation, password, code }): Promise<ActionState> => {
  const result = await deleteAccount(actor, { confirmation, password, code });
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

export const beginTwoFactorSetupAction = userAction(z.object({}), async (actor) => {
  const result = await beginTwoFactorSetup(actor);
  revalidatePath("/dashboard/settings");
  return result.ok ? {} : { error: result.message };
});

export const cancelTwoFactorSetupAction = userAction(z.object({}), async (actor) => {
  await cancelTwoFactorSetup(actor);
  revalidatePath("/dashboard/settings");
  return {};
});

const codeSchema = z.object({ code: z.string().trim().min(1, "Enter the 6-digit code from your app.").max(64, "That code is not right.") });

// No revalidation on success: the page would re-render without the codes, shown once; the form's
// **I have saved them** refreshes it.
export const confirmTwoFactorSetupAction = userAction(codeSchema, async (actor, { code }) => {
  const result = await confirmTwoFactorSetup(actor, code);
  if (!result.ok) {
    if (result.reason === "throttled") return { error: "Too many wrong codes. Wait 15 minutes and try again." };
    if (result.reason === "no_setup") return { error: "This setup is no longer current: press Set up two-factor again." };
    return { fieldErrors: { code: "That code is not right. Check the time on your phone and type the code the app shows now." } };
  }
  return { success: "Two-factor authentication is on. From now on, logging in asks for a code from your app.", reveal: result.recoveryCodes.join("\n") };
});

export const disableTwoFactorAction = userAction(z.object({}), async (actor) => {
  const result = await disableTwoFactor(actor);
  if (!result.ok) return result.reason === "reauthenticate" ? { error: result.message, reauthenticate: result.method } : { error: result.message };
  revalidatePath("/dashboard/settings");
  return { success: "Two-factor authentication is off." };
});

export const regenerateRecoveryCodesAction = userAction(z.object({}), async (actor) => {
  const result = await regenerateRecoveryCodes(actor);
  if (!result.ok) return result.reason === "reauthenticate" ? { error: result.message, reauthenticate: result.method } : { error: result.message };
  return { success: "New recovery codes made: the old ones no longer work.", reveal: result.recoveryCodes.join("\n") };
});
