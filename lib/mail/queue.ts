import type { Executor } from "@/db/client";
import { enqueue, JOBS } from "@/lib/jobs/queue";
import { deliverMail, type MailMessage } from "./send";

/*
 * Mail goes out through the job queue: the message is enqueued in the caller's transaction (sent
 * only if what caused it commits), and a worker sends it with retries, so a request never waits on
 * SMTP. The message's links carry single-use tokens: the job's data lives in the queue's tables
 * for as long as pg-boss keeps finished jobs (a week), like the mail itself in the recipient's box.
 */

export async function queueMail(executor: Executor, message: MailMessage): Promise<void> {
  await enqueue(executor, JOBS.sendMail, { ...message });
}

/** The `mail.send` job: one delivery attempt; a refusal throws, and pg-boss retries with backoff. */
export async function sendMailJob(data: Record<string, unknown>): Promise<void> {
  const { to, subject, text, html } = data as Partial<MailMessage>;
  if (typeof to !== "string" || typeof subject !== "string" || typeof text !== "string" || typeof html !== "string") {
    throw new Error("mail.send: the job's data is not a mail message");
  }
  await deliverMail({ to, subject, text, html });
}
