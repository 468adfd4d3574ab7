import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll } from "vitest";
import { resetEnvCache } from "@/lib/env";
import { startWhopSandbox, type SandboxOptions, type WhopSandbox } from "@/sandbox/server";

/**
 * Integration tests against the local Whop sandbox: starts one for the file and points the app's
 * WHOP_API_ORIGIN and WHOP_SANDBOX_API_ORIGIN (Live and Test) at it, restoring the msw origins
 * afterwards. Read `.current` inside tests.
 */
export function withLocalSandbox(options: SandboxOptions = {}): { current: WhopSandbox } {
  const handle = {} as { current: WhopSandbox };
  const previous = { live: process.env.WHOP_API_ORIGIN, test: process.env.WHOP_SANDBOX_API_ORIGIN };
  beforeAll(async () => {
    handle.current = await startWhopSandbox({ port: 0, ...options });
    process.env.WHOP_API_ORIGIN = handle.current.url;
    process.env.WHOP_SANDBOX_API_ORIGIN = handle.current.url;
    resetEnvCache();
  });
  afterAll(async () => {
    process.env.WHOP_API_ORIGIN = previous.live;
    process.env.WHOP_SANDBOX_API_ORIGIN = previous.test;
    resetEnvCache();
    await handle.current?.close();
  });
  return handle;
}

/** A fresh sandbox company (isolated from other tests' payments and webhooks). */
export async function sandboxCompany(sandbox: WhopSandbox, title?: string): Promise<{ companyId: string; companyKey: string }> {
  const response = await fetch(`${sandbox.url}/_sandbox/companies`, { method: "POST", body: JSON.stringify(title ? { title } : {}) });
  return (await response.json()) as { companyId: string; companyKey: string };
}

/**
 * A tiny HTTP front for the webhook route handler, as Next would serve it, so the sandbox's real
 * deliveries reach the real route. Read `.url` inside tests.
 */
export function withWebhookReceiver(): { url: string } {
  const handle = { url: "" };
  let receiver: http.Server | undefined;
  beforeAll(async () => {
    const { postToWebhookRoute } = await import("./webhook-route");
    receiver = http.createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const tenantId = req.url!.split("/").pop()!;
      const headers = new Headers(Object.entries(req.headers).map(([k, v]) => [k, String(v)] as [string, string]));
      const response = await postToWebhookRoute(new Request(`http://localhost${req.url}`, { method: "POST", headers, body: Buffer.concat(chunks) }), tenantId);
      res.writeHead(response.status, { "content-type": "application/json" }).end(await response.text());
    });
    await new Promise<void>((resolve) => receiver!.listen(0, "127.0.0.1", resolve));
    handle.url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => receiver?.close(resolve));
  });
  return handle;
}

/** Polls `read` until `done` holds (or the time is up) and returns the last value. */
export async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, ms = 10_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > until) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
