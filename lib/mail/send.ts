import fs from "node:fs";
import path from "node:path";
import nodemailer, { type Transporter } from "nodemailer";
import { env } from "@/lib/env";
import { logger } from "@/lib/logger";

/**
 * The product's mail: nodemailer over SMTP (SMTP_URL) in production; without SMTP_URL (development,
 * the demo, tests that do not start an SMTP server) the dev outbox — one JSON line per message under
 * ./.data/mail/outbox.jsonl, listed at /dev/mail, and a line in the terminal. Bodies are plain text
 * with a simple HTML twin; every link is on APP_URL.
 */

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface OutboxEntry extends MailMessage {
  id: string;
  from: string;
  sentAt: string;
}

/** SMTP stalls fail fast: the request path never waits on SMTP (mail goes through the queue), the worker retries. */
const SMTP_TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000 } as const;

const cache = globalThis as unknown as { __whopConnectorMailer?: { url: string; transport: Transporter } };

function transportFor(url: string): Transporter {
  if (cache.__whopConnectorMailer?.url !== url) cache.__whopConnectorMailer = { url, transport: nodemailer.createTransport({ url, ...SMTP_TIMEOUTS }) };
  return cache.__whopConnectorMailer.transport;
}

export function outboxFile(): string {
  return path.join(env().dataDir, "mail", "outbox.jsonl");
}

/** Sends one message; throws when the SMTP server refuses or cannot be reached (the job is retried). */
export async function deliverMail(message: MailMessage): Promise<{ messageId: string }> {
  const { smtpUrl, emailFrom, nodeEnv } = env();
  if (smtpUrl) {
    const info = await transportFor(smtpUrl).sendMail({ from: emailFrom, ...message });
    return { messageId: String(info.messageId) };
  }
  if (nodeEnv === "production") throw new Error("SMTP_URL is not set: production never uses the dev outbox");
  const entry: OutboxEntry = { id: `mail_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`, from: emailFrom, sentAt: new Date().toISOString(), ...message };
  fs.mkdirSync(path.dirname(outboxFile()), { recursive: true });
  fs.appendFileSync(outboxFile(), `${JSON.stringify(entry)}\n`, { mode: 0o600 });
  logger.info({ to: message.to, subject: message.subject }, `dev outbox: mail to ${message.to} — "${message.subject}" (read it at ${env().appUrl}/dev/mail)`);
  return { messageId: entry.id };
}

/** The dev outbox, newest first (at most `limit`); empty in production or before any mail. */
export function readOutbox(limit = 50): OutboxEntry[] {
  if (env().nodeEnv === "production") return [];
  let text: string;
  try {
    text = fs.readFileSync(outboxFile(), "utf8");
  } catch {
    return [];
  }
  const entries: OutboxEntry[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    try {
      entries.push(JSON.parse(line) as OutboxEntry);
    } catch {
      // a half-written last line while another process appends: skip it
    }
  }
  return entries.reverse().slice(0, limit);
}
