"use server";

import { redirect } from "next/navigation";
import { z } from "zod";
import { validatedAction } from "@/lib/actions";
import { logIn, signUp } from "@/lib/auth/accounts";
import { emailSchema, passwordSchema } from "@/lib/auth/password";
import { clearPendingSecondFactor, clientIp, pendingSecondFactor, startPendingSecondFactor, startSession } from "@/lib/auth/session";
import { defaultAccountId } from "@/lib/auth/sessions";
import { logInSecondFactor } from "@/lib/auth/two-factor";

const INVALID_LOGIN = "Invalid email or password.";

export const signUpAction = validatedAction(z.object({ email: emailSchema, password: passwordSchema }), async ({ email, password }) => {
  const result = await signUp({ email, password, ip: (await clientIp()) ?? "unknown" });
  if (!result.ok) {
    if (result.reason === "throttled") return { error: "Too many accounts were created from here recently. Try again in an hour." };
    return { fieldErrors: { email: "An account with this email already exists. Log in instead." } };
  }
  await startSession(result.user, result.account.id);
  redirect("/onboarding");
});

// Login only checks that something was typed: rules for new passwords must not lock out old ones.
const loginSchema = z.object({
  email: emailSchema,
  password: z.string().min(1, "Enter your password.").max(256, INVALID_LOGIN),
});

export const logInAction = validatedAction(loginSchema, async ({ email, password }) => {
  const result = await logIn({ email, password, ip: await clientIp() });
  if (!result.ok) {
    if (result.reason === "no_account") return { error: "You are no longer a member of any account. Ask an owner of your team for a new invitation." };
    return {
      error: result.reason === "throttled" ? "Too many failed attempts. Wait 15 minutes and try again." : INVALID_LOGIN,
    };
  }
  if (result.secondFactor) {
    await startPendingSecondFactor(result.user);
    redirect("/login/two-factor");
  }
  await startSession(result.user, result.accountId);
  redirect("/dashboard");
});

/** Log-in's second step: the user the pending cookie names (5 minutes after their password), a TOTP or recovery code. */
export const verifySecondFactorAction = validatedAction(
  z.object({ code: z.string().trim().min(1, "Enter the code from your authenticator app.").max(64, "That code is not right.") }),
  async ({ code }) => {
    const pending = await pendingSecondFactor();
    if (!pending) redirect("/login");
    const result = await logInSecondFactor(pending, code, await clientIp());
    if (!result.ok) {
      if (result.reason === "not_found") {
        await clearPendingSecondFactor();
        redirect("/login");
      }
      if (result.reason === "throttled") return { error: "Too many wrong codes. Wait 15 minutes and try again." };
      return { fieldErrors: { code: "That code is not right (or was already used). Type the code your app shows now." } };
    }
    await clearPendingSecondFactor();
    const accountId = await defaultAccountId(result.user.id);
    if (!accountId) return { error: "You are no longer a member of any account. Ask an owner of your team for a new invitation." };
    await startSession(result.user, accountId);
    redirect("/dashboard");
  },
);
