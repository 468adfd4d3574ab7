"use server";

import { redirect } from "next/navigation";
import { z } from "zod";
import { validatedAction } from "@/lib/actions";
import { logIn, signUp } from "@/lib/auth/accounts";
import { emailSchema, passwordSchema } from "@/lib/auth/password";
import { clientIp, startSession } from "@/lib/auth/session";

const INVALID_LOGIN = "Invalid email or password.";

export const signUpAction = validatedAction(z.object({ email: emailSchema, password: passwordSchema }), async ({ email, password }) => {
  const result = await signUp({ email, password, ip: (await clientIp()) ?? "unknown" });
  if (!result.ok) {
    if (result.reason === "throttled") return { error: "Too many accounts were created from here recently. Try again in an hour." };
    return { fieldErrors: { email: "An account with this email already exists. Log in instead." } };
  }
  await startSession(result.user);
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
    return {
      error: result.reason === "throttled" ? "Too many failed attempts. Wait 15 minutes and try again." : INVALID_LOGIN,
    };
  }
  await startSession(result.user);
  redirect("/dashboard");
});
