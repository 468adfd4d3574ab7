/**
 * The e2e run's mail server: a real SMTP server (smtp-server) that keeps what arrives, parsed by
 * mailparser, and answers it over HTTP (`GET /messages?to=…`, newest last) so specs can follow the
 * links the product mailed. Started by playwright.config.ts; never part of the product.
 */
import http from "node:http";
import { simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";

const SMTP_PORT = Number(process.env.MAIL_SINK_SMTP_PORT ?? 2525);
const HTTP_PORT = Number(process.env.MAIL_SINK_HTTP_PORT ?? 2526);

interface Received {
  to: string;
  subject: string;
  text: string;
  receivedAt: string;
}
const received: Received[] = [];

const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ["STARTTLS"],
  logger: false,
  onData(stream, _session, callback) {
    simpleParser(stream)
      .then((mail) => {
        const to = mail.to && !Array.isArray(mail.to) ? mail.to.text : "";
        received.push({ to, subject: mail.subject ?? "", text: mail.text ?? "", receivedAt: new Date().toISOString() });
        callback();
      })
      .catch((error: Error) => callback(error));
  },
});
smtp.listen(SMTP_PORT, "127.0.0.1");

http
  .createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://localhost");
    if (url.pathname === "/health") return void response.end("ok");
    if (url.pathname !== "/messages") return void response.writeHead(404).end();
    const to = url.searchParams.get("to");
    response.setHeader("content-type", "application/json");
    response.end(JSON.stringify(received.filter((mail) => !to || mail.to === to)));
  })
  .listen(HTTP_PORT, "127.0.0.1");

const stop = () => smtp.close(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
