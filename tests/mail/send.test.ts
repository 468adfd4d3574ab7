import { describe, expect, it } from "vitest";
import { deliverMail } from "@/lib/mail/send";
import { composeMail } from "@/lib/mail/templates";
import { withSmtpServer } from "./smtp";

const smtp = withSmtpServer();

describe("mail over SMTP", () => {
  it("sends plain text with an HTML twin from EMAIL_FROM, every user-supplied value escaped in the HTML", async () => {
    const message = composeMail({
      to: "buyer@example.com",
      subject: "Reset your password",
      heading: "Reset your password for <Acme & Co>",
      paragraphs: ["Someone asked to reset the password of buyer@example.com."],
      action: { label: "Set a new password", url: "http://localhost:3000/reset-password?token=abc&x=1" },
      footer: "If it was not you, ignore this mail.",
    });
    await deliverMail(message);
    const mail = smtp.received.at(-1)!;
    expect(mail.subject).toBe("Reset your password");
    expect(mail.from?.value[0]).toMatchObject({ name: "Whop Connector", address: "no-reply@localhost" });
    expect(mail.to && !Array.isArray(mail.to) ? mail.to.text : "").toBe("buyer@example.com");
    expect(mail.text).toContain("Set a new password: http://localhost:3000/reset-password?token=abc&x=1");
    expect(mail.html).toContain("Reset your password for &lt;Acme &amp; Co&gt;");
    expect(mail.html).toContain('href="http://localhost:3000/reset-password?token=abc&amp;x=1"');
    expect(mail.html).not.toContain("<Acme");
  });

  it("a refusing server is an error for the caller to retry, not a silent loss", async () => {
    smtp.refuseNext(1);
    await expect(deliverMail(composeMail({ to: "a@example.com", subject: "x", heading: "x", paragraphs: [], footer: "x" }))).rejects.toThrow(/451|busy/);
    await deliverMail(composeMail({ to: "a@example.com", subject: "second try", heading: "x", paragraphs: [], footer: "x" }));
    expect(smtp.received.at(-1)!.subject).toBe("second try");
  });
});
