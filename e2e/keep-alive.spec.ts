import net from "node:net";
import { expect, test } from "@playwright/test";

/*
 * The app keeps an idle keep-alive connection open longer than a load balancer's usual 60 s idle
 * timeout, so the balancer, never the app, closes it. With Node's default of 5 s, a request sent
 * on a connection just as the app closed it was lost (a load balancer's 502, a client's ECONNRESET).
 */
test("an idle keep-alive connection is still open after Node's default 5 s", async ({ baseURL }) => {
  const { hostname, port } = new URL(baseURL!);
  const socket = net.connect(Number(port), hostname);
  await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  let received = "";
  let closed = false;
  socket.on("data", (chunk: Buffer) => (received += chunk.toString("latin1")));
  socket.on("close", () => (closed = true));
  const ping = `GET /api/ping HTTP/1.1\r\nHost: ${hostname}:${port}\r\nConnection: keep-alive\r\n\r\n`;
  const answers = () => received.match(/^HTTP\/1\.1 204/gm)?.length ?? 0;

  socket.write(ping);
  await expect.poll(answers).toBe(1);
  await new Promise((resolve) => setTimeout(resolve, 6_000));
  expect(closed).toBe(false);
  socket.write(ping);
  await expect.poll(answers).toBe(2);
  socket.destroy();
});
