import http from "node:http";
import type { AddressInfo } from "node:net";

/** A real local HTTP receiver for outbound webhooks: records every request, answers as told. */
export interface Received {
  headers: Record<string, string>;
  body: string;
  path: string;
}

export type Reply = { status: number; body?: string; delayMs?: number } | "hang";

export async function startReceiver() {
  const received: Received[] = [];
  const replies: Reply[] = [];
  let fallback: Reply = { status: 200, body: "ok" };
  const sockets = new Set<import("node:net").Socket>();
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers)) if (typeof value === "string") headers[name] = value;
      received.push({ headers, body: Buffer.concat(chunks).toString("utf8"), path: request.url ?? "" });
      const reply = replies.shift() ?? fallback;
      if (reply === "hang") return; // never answers
      setTimeout(() => {
        response.writeHead(reply.status, { "content-type": "text/plain" });
        response.end(reply.body ?? "");
      }, reply.delayMs ?? 0);
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: (path = "/hooks/whop") => `http://127.0.0.1:${port}${path}`,
    received,
    /** Answers for the next requests, in order; then `always`. */
    reply: (...next: Reply[]) => replies.push(...next),
    always: (reply: Reply) => {
      fallback = reply;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
