"use server";

import { redirect } from "next/navigation";
import { z } from "zod";
import { validatedAction } from "@/lib/actions";
import { resendVerification, verifyEmail } from "@/lib/auth/email-verification";
import { emailSchema, passwordSchema } from "@/lib/auth/password";
import { requestPasswordReset, resetPassword } from "@/lib/auth/password-reset";
import { clientIp, requireSignedIn } from "@/lib/auth/session";

const tokenSchema = z.string().min(1, "This link is incomplete: open it again from the mail.").max(200, "This link is not one of ours.");

const TOKEN_PROBLEMS = {
  invalid: "This link is not valid: it may have been copied incompletely. Ask for a new one.",
  used: "This link was already used. Ask for a new one if you still need it.",
  expired: "This link has expired. Ask for a new one.",
} as const;

export const forgotPasswordAction = validatedAction(z.object({ email: emailSchema }), async ({ email }) => {
  const result = await requestPasswordReset({ email, ip: (await clientIp()) ?? "unknown" });
  return result.ok ? { success: result.message } : { error: result.message };
});

export const resetPasswordAction = validatedAction(z.object({ token: tokenSchema, newPassword: passwordSchema }), async ({ token, newPassword }) => {
  const result = await resetPassword({ token, newPassword, ip: (await clientIp()) ?? "unknown" });
  if (!result.ok) {
    if (result.reason === "throttled") return { error: "Too many attempts from here. Try again in an hour." };
    return { error: TOKEN_PROBLEMS[result.reason] };
  }
  redirect("/login?reset=1");
});

export const verifyEmailAction = validatedAction(z.object({ token: tokenSchema }), async ({ token }) => {
  const result = await verifyEmail(token, await clientIp());
  if (!result.ok) return { error: TOKEN_PROBLEMS[result.reason] };
  return { success: `Thanks: ${result.email} is confirmed.` };
});

/** The banner's **Resend**: for the signed-in user only. */
export const resendVerificationAction = validatedAction(z.object({}), async () => {
  const { user } = await requireSignedIn();
  const result = await resendVerification(user);
  return result.ok ? { success: result.message } : { error: result.message };
});
