import { sql } from "drizzle-orm";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { db, selectRows } from "@/db/client";
import { users } from "@/db/schema";
import { authTokens } from "@/db/schema-auth";
import { logIn, signUp } from "@/lib/auth/accounts";
import { resendVerification, verifyEmail, VERIFICATION_RESENDS_PER_HOUR } from "@/lib/auth/email-verification";
import { requestPasswordReset, resetPassword, RESET_REQUESTED_MESSAGE, RESET_REQUESTS_PER_EMAIL_PER_HOUR } from "@/lib/auth/password-reset";
import { createSession, listLiveSessions } from "@/lib/auth/sessions";
import { digestToken } from "@/lib/auth/tokens";
import { sendMailJob } from "@/lib/mail/queue";
import { uniqueEmail, withTestDatabase } from "../db";
import { withSmtpServer } from "../mail/smtp";

withTestDatabase();
const smtp = withSmtpServer();

/*
 * Password reset and email verification end to end: the use case queues the mail in its
 * transaction, the mail.send job delivers it to a real SMTP server, and the link in the mail that
 * arrived is what the next step uses.
 */

const password = "correct horse battery";
const ip = () => `198.19.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250) + 1}`;

/** Runs the queued mail.send jobs for `to` (as the worker would) and answers the last mail that arrived for them. */
async function mailTo(to: string) {
  const jobs = await selectRows<{ data: Record<string, unknown> }>(sql`select data from pgboss.job where name = 'mail.send' and data->>'to' = ${to} order by created_on`);
  for (const job of jobs) await sendMailJob(job.data);
  await selectRows(sql`delete from pgboss.job where name = 'mail.send' and data->>'to' = ${to}`);
  const mails = smtp.received.filter((mail) => mail.to && !Array.isArray(mail.to) && mail.to.text === to);
  return { count: jobs.length, last: mails.at(-1) };
}

const linkIn = (text: string | undefined, path: string) => {
  const match = text?.match(new RegExp(`http://localhost:3000${path}\\?token=([A-Za-z0-9_%-]+)`));
  if (!match) throw new Error(`no ${path} link in: ${text}`);
  return decodeURIComponent(match[1]!);
};

async function account() {
  const email = uniqueEmail("mailflow");
  const created = await signUp({ email, password, ip: null });
  if (!created.ok) throw new Error("sign-up failed");
  return { email, ...created };
}

describe("password reset through SMTP", () => {
  it("mails a one-hour, single-use link; the new password works, the old does not, every session ends", async () => {
    const { email, user, account: owned } = await account();
    await mailTo(email); // the verification mail of the sign-up
    const session = await createSession(db(), user, owned.id, { ip: null, userAgent: null });

    expect(await requestPasswordReset({ email, ip: ip() })).toEqual({ ok: true, message: RESET_REQUESTED_MESSAGE });
    const { last } = await mailTo(email);
    expect(last?.subject).toBe("Reset your Whop Connector password");
    const token = linkIn(last?.text, "/reset-password");
    // Only the digest is stored.
    const [stored] = await db().select().from(authTokens).where(eq(authTokens.tokenHash, digestToken(token)));
    expect(stored).toMatchObject({ purpose: "password_reset", userId: user.id });
    expect(JSON.stringify(await db().select().from(authTokens))).not.toContain(token);

    expect(await resetPassword({ token, newPassword: "a new long passphrase", ip: ip() })).toEqual({ ok: true, email });
    expect(await logIn({ email, password, ip: null })).toEqual({ ok: false, reason: "invalid" });
    expect((await logIn({ email, password: "a new long passphrase", ip: null })).ok).toBe(true);
    expect((await listLiveSessions(user.id)).map((s) => s.id)).not.toContain(session.id);

    // Single use, even from two tabs at once; a tampered token is invalid.
    expect(await resetPassword({ token, newPassword: "yet another passphrase", ip: ip() })).toEqual({ ok: false, reason: "used" });
    expect(await resetPassword({ token: `${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`, newPassword: "yet another passphrase", ip: ip() })).toEqual({ ok: false, reason: "invalid" });
  });

  it("two parallel uses of one link: exactly one sets its password", async () => {
    const { email } = await account();
    await requestPasswordReset({ email, ip: ip() });
    const token = linkIn((await mailTo(email)).last?.text, "/reset-password");
    const results = await Promise.all([resetPassword({ token, newPassword: "first passphrase!!", ip: ip() }), resetPassword({ token, newPassword: "second passphrase!", ip: ip() })]);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok && r.reason === "used")).toHaveLength(1);
  });

  it("an expired link is refused", async () => {
    const { email } = await account();
    await requestPasswordReset({ email, ip: ip() });
    const token = linkIn((await mailTo(email)).last?.text, "/reset-password");
    await db().update(authTokens).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(authTokens.tokenHash, digestToken(token)));
    expect(await resetPassword({ token, newPassword: "a new long passphrase", ip: ip() })).toEqual({ ok: false, reason: "expired" });
  });

  it("answers the same for an unknown email and mails nothing; requests per email are limited without saying so", async () => {
    const unknown = uniqueEmail("nobody");
    expect(await requestPasswordReset({ email: unknown, ip: ip() })).toEqual({ ok: true, message: RESET_REQUESTED_MESSAGE });
    expect((await mailTo(unknown)).count).toBe(0);

    const { email } = await account();
    await mailTo(email);
    const answers = await Promise.all(Array.from({ length: 10 }, () => requestPasswordReset({ email, ip: ip() })));
    expect(new Set(answers.map((a) => JSON.stringify(a)))).toEqual(new Set([JSON.stringify({ ok: true, message: RESET_REQUESTED_MESSAGE })]));
    expect((await mailTo(email)).count).toBe(RESET_REQUESTS_PER_EMAIL_PER_HOUR);
  });
});

describe("email verification through SMTP", () => {
  it("sign-up mails a link; using it confirms the email once", async () => {
    const { email, user } = await account();
    const { last } = await mailTo(email);
    expect(last?.subject).toBe("Confirm your email for Whop Connector");
    const token = linkIn(last?.text, "/verify-email");
    expect(await verifyEmail(token, null)).toEqual({ ok: true, email });
    const [row] = await db().select().from(users).where(eq(users.id, user.id));
    expect(row!.emailVerifiedAt).toBeInstanceOf(Date);
    expect(await verifyEmail(token, null)).toEqual({ ok: false, reason: "used" });
    expect(await resendVerification(row!)).toEqual({ ok: false, message: "Your email is already confirmed." });
  });

  it("resend retires the older link and is limited per hour", async () => {
    const { email, user } = await account();
    const first = linkIn((await mailTo(email)).last?.text, "/verify-email");
    expect((await resendVerification(user)).ok).toBe(true);
    const second = linkIn((await mailTo(email)).last?.text, "/verify-email");
    expect(await verifyEmail(first, null)).toEqual({ ok: false, reason: "used" });
    for (let i = 1; i < VERIFICATION_RESENDS_PER_HOUR; i++) expect((await resendVerification(user)).ok).toBe(true);
    expect((await resendVerification(user)).ok).toBe(false);
    expect((await verifyEmail(second, null)).ok).toBe(false); // retired by the later resends
  });
});
