import { and, eq, isNull } from "drizzle-orm";
import { db, type Executor } from "@/db/client";
import { users, type User } from "@/db/schema";
import { recordUserAudit } from "@/lib/audit/log";
import { env } from "@/lib/env";
import { queueMail } from "@/lib/mail/queue";
import { composeMail } from "@/lib/mail/templates";
import { hitRateLimit } from "@/lib/rate-limit";
import { consumeToken, issueToken, retireTokens } from "./tokens";

/*
 * Email verification: sign-up mails a link (/verify-email?token=…, 24 h, single use); the
 * dashboard shows a banner until it is used, with a throttled **Resend**. Opening the link shows a
 * button: verifying is a POST, so a mail scanner that fetches links verifies nothing.
 */

export const VERIFICATION_RESENDS_PER_HOUR = 3;

export function verificationLink(raw: string): string {
  return `${env().appUrl}/verify-email?token=${encodeURIComponent(raw)}`;
}

/** Issues a token and queues its mail, in the caller's transaction (sign-up's, or a resend's). */
export async function sendVerificationMail(tx: Executor, user: Pick<User, "id" | "email">): Promise<void> {
  await retireTokens(tx, "email_verification", user.id);
  const raw = await issueToken(tx, "email_verification", user);
  await queueMail(
    tx,
    composeMail({
      to: user.email,
      subject: "Confirm your email for Whop Connector",
      heading: "Confirm your email",
      paragraphs: [`Confirm that ${user.email} is yours, so that password resets and your team's invitations reach you.`, "The link works for 24 hours."],
      action: { label: "Confirm my email", url: verificationLink(raw) },
      footer: "If you did not create an account, ignore this mail.",
    }),
  );
}

export async function resendVerification(user: User): Promise<{ ok: true; message: string } | { ok: false; message: string }> {
  if (user.emailVerifiedAt) return { ok: false, message: "Your email is already confirmed." };
  const allowed = await hitRateLimit(`verify-resend:user:${user.id}`, VERIFICATION_RESENDS_PER_HOUR, 3600);
  if (!allowed.allowed) return { ok: false, message: "A confirmation link was sent several times already: check your inbox (and spam), or try again in an hour." };
  await db().transaction((tx) => sendVerificationMail(tx, user));
  return { ok: true, message: `A new confirmation link is on its way to ${user.email}.` };
}

export type VerifyEmailResult = { ok: true; email: string } | { ok: false; reason: "invalid" | "used" | "expired" };

/** Uses the token: the user's email is confirmed if it is still the one the link was sent to. */
export async function verifyEmail(raw: string, ip: string | null): Promise<VerifyEmailResult> {
  return db().transaction(async (tx): Promise<VerifyEmailResult> => {
    const used = await consumeToken(tx, "email_verification", raw);
    if (!used.ok) return used;
    const { userId, email } = used.token;
    const [user] = await tx
      .update(users)
      .set({ emailVerifiedAt: new Date(), updatedAt: new Date() })
      .where(and(eq(users.id, userId), eq(users.email, email), isNull(users.emailVerifiedAt)))
      .returning();
    if (!user) return { ok: false, reason: "used" };
    await recordUserAudit(tx, userId, { action: "email.verified", ip });
    return { ok: true, email };
  });
}
