import { eq, inArray } from "drizzle-orm";
import { db } from "@/db/client";
import { loginThrottle, users } from "@/db/schema";
import { recordUserAudit } from "@/lib/audit/log";
import { env } from "@/lib/env";
import { queueMail } from "@/lib/mail/queue";
import { composeMail } from "@/lib/mail/templates";
import { hitRateLimit } from "@/lib/rate-limit";
import { findUserByEmail } from "./accounts";
import { hashPassword } from "./password";
import { endUserSessions } from "./sessions";
import { throttleKeys } from "./throttle";
import { consumeToken, issueToken, retireTokens } from "./tokens";

/*
 * Forgot password → a mailed link (/reset-password?token=…, 1 h, single use) → a new password, and
 * every session of that user ends. The request's answer is the same whether or not the email has an
 * account; requests and resets are counted (per email, per IP) before anything else happens.
 */

export const RESET_REQUESTS_PER_EMAIL_PER_HOUR = 3;
export const RESET_REQUESTS_PER_IP_PER_HOUR = 20;
export const RESET_ATTEMPTS_PER_IP_PER_HOUR = 30;

/** What the page says after any request. */
export const RESET_REQUESTED_MESSAGE = "If an account uses that email, a link to reset its password is on its way. It works for one hour, once.";

export function resetLink(raw: string): string {
  return `${env().appUrl}/reset-password?token=${encodeURIComponent(raw)}`;
}

export async function requestPasswordReset(input: { email: string; ip: string | null }): Promise<{ ok: true; message: string } | { ok: false; message: string }> {
  const perIp = await hitRateLimit(`reset:ip:${input.ip ?? "unknown"}`, RESET_REQUESTS_PER_IP_PER_HOUR, 3600);
  if (!perIp.allowed) return { ok: false, message: "Too many reset requests from here. Try again in an hour." };
  // Over the per-email limit the answer stays the same: it must not tell whether the email exists.
  const perEmail = await hitRateLimit(`reset:email:${input.email}`, RESET_REQUESTS_PER_EMAIL_PER_HOUR, 3600);
  if (!perEmail.allowed) return { ok: true, message: RESET_REQUESTED_MESSAGE };

  const user = await findUserByEmail(input.email);
  if (!user) return { ok: true, message: RESET_REQUESTED_MESSAGE };
  await db().transaction(async (tx) => {
    await retireTokens(tx, "password_reset", user.id);
    const raw = await issueToken(tx, "password_reset", user);
    await queueMail(
      tx,
      composeMail({
        to: user.email,
        subject: "Reset your Whop Connector password",
        heading: "Reset your password",
        paragraphs: [`Someone (hopefully you) asked to reset the password of ${user.email}.`, "The link works for one hour and only once. Resetting logs you out everywhere."],
        action: { label: "Set a new password", url: resetLink(raw) },
        footer: "If you did not ask for this, ignore this mail: your password stays as it is.",
      }),
    );
    await recordUserAudit(tx, user.id, { action: "password.reset_requested", ip: input.ip });
  });
  return { ok: true, message: RESET_REQUESTED_MESSAGE };
}

export type ResetPasswordResult = { ok: true; email: string } | { ok: false; reason: "invalid" | "used" | "expired" | "throttled" };

/** Sets the new password (already validated) if the token is live; ends every session of the user. */
export async function resetPassword(input: { token: string; newPassword: string; ip: string | null }): Promise<ResetPasswordResult> {
  const attempts = await hitRateLimit(`reset-use:ip:${input.ip ?? "unknown"}`, RESET_ATTEMPTS_PER_IP_PER_HOUR, 3600);
  if (!attempts.allowed) return { ok: false, reason: "throttled" };
  const passwordHash = await hashPassword(input.newPassword);
  return db().transaction(async (tx): Promise<ResetPasswordResult> => {
    const used = await consumeToken(tx, "password_reset", input.token);
    if (!used.ok) return used;
    const { userId } = used.token;
    const [user] = await tx
      .update(users)
      .set({ passwordHash, updatedAt: new Date() })
      .where(eq(users.id, userId))
      .returning();
    if (!user) return { ok: false, reason: "invalid" };
    await retireTokens(tx, "password_reset", userId);
    await endUserSessions(tx, userId);
    // The owner proved the mailbox: failed log-ins counted against the email no longer lock them out.
    await tx.delete(loginThrottle).where(inArray(loginThrottle.key, [throttleKeys(user.email, null).email]));
    await recordUserAudit(tx, userId, { action: "password.reset", ip: input.ip });
    return { ok: true, email: user.email };
  });
}
