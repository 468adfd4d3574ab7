import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import DevMailPage from "@/app/dev/mail/page";
import { resetEnvCache } from "@/lib/env";
import { deliverMail, outboxFile, readOutbox } from "@/lib/mail/send";
import { composeMail } from "@/lib/mail/templates";
import { expectNotFound, html } from "../isolation/next-errors";

/* Without SMTP_URL, outside production, mail lands in the dev outbox: a file under the data folder, listed at /dev/mail. */

const saved = { ...process.env };
beforeEach(() => {
  delete process.env.SMTP_URL;
  process.chdir(fs.mkdtempSync(path.join(os.tmpdir(), "whop-mail-")));
  resetEnvCache();
});
afterEach(() => {
  process.env = { ...saved };
  resetEnvCache();
});

const reset = (to: string) =>
  composeMail({ to, subject: "Reset your password", heading: "Reset <it>", paragraphs: ["Hello"], action: { label: "Set a new password", url: "http://localhost:3000/reset-password?token=t1" }, footer: "f" });

describe("the dev outbox", () => {
  it("keeps each mail, newest first, and /dev/mail shows them with their links", async () => {
    await deliverMail(reset("first@example.com"));
    await deliverMail(reset("second@example.com"));
    expect(fs.existsSync(outboxFile())).toBe(true);
    expect(readOutbox().map((mail) => mail.to)).toEqual(["second@example.com", "first@example.com"]);

    const page = html(DevMailPage());
    expect(page).toContain("To second@example.com");
    expect(page).toContain('href="http://localhost:3000/reset-password?token=t1"');
    expect(page).toContain("Reset &lt;it&gt;");
  });

  it("is never used or shown in production", async () => {
    await deliverMail(reset("dev@example.com"));
    Object.assign(process.env, { NODE_ENV: "production", SESSION_SECRET: "x".repeat(32), ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 1).toString("base64")}`, APP_URL: "https://pay.example.com", SMTP_URL: "smtp://127.0.0.1:1", EMAIL_FROM: "a <a@example.com>" });
    resetEnvCache();
    expect(readOutbox()).toEqual([]);
    await expectNotFound(async () => DevMailPage());
  });
});
