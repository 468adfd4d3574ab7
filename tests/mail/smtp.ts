import type { AddressInfo } from "node:net";
import { simpleParser, type ParsedMail } from "mailparser";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll } from "vitest";
import { resetEnvCache } from "@/lib/env";

/**
 * A real SMTP server in the test process (smtp-server), with what arrived parsed by mailparser.
 * Points SMTP_URL at it for the file and restores the previous value afterwards.
 */
export function withSmtpServer(): { received: ParsedMail[]; url: string; refuseNext: (count: number) => void } {
  const handle = { received: [] as ParsedMail[], url: "", refuseNext: (count: number) => void (refusals = count) };
  let refusals = 0;
  let server: SMTPServer | undefined;
  const previous = process.env.SMTP_URL;
  beforeAll(async () => {
    server = new SMTPServer({
      authOptional: true,
      disabledCommands: ["STARTTLS"],
      logger: false,
      onData(stream, _session, callback) {
        if (refusals > 0) {
          refusals--;
          stream.resume();
          stream.on("end", () => callback(Object.assign(new Error("mailbox busy, try later"), { responseCode: 451 })));
          return;
        }
        simpleParser(stream)
          .then((mail) => {
            handle.received.push(mail);
            callback();
          })
          .catch((error: Error) => callback(error));
      },
    });
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    handle.url = `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
    process.env.SMTP_URL = handle.url;
    resetEnvCache();
  });
  afterAll(async () => {
    if (previous === undefined) delete process.env.SMTP_URL;
    else process.env.SMTP_URL = previous;
    resetEnvCache();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });
  return handle;
}
