import { afterAll, beforeAll } from "vitest";
import { resetEnvCache } from "@/lib/env";
import { startWhopSandbox, type SandboxOptions, type WhopSandbox } from "@/sandbox/server";

/**
 * Integration tests against the local Whop sandbox: starts one for the file and points the app's
 * WHOP_API_ORIGIN at it, restoring the msw origin afterwards. Read `.current` inside tests.
 */
export function withLocalSandbox(options: SandboxOptions = {}): { current: WhopSandbox } {
  const handle = {} as { current: WhopSandbox };
  const previousOrigin = process.env.WHOP_API_ORIGIN;
  beforeAll(async () => {
    handle.current = await startWhopSandbox({ port: 0, ...options });
    process.env.WHOP_API_ORIGIN = handle.current.url;
    resetEnvCache();
  });
  afterAll(async () => {
    process.env.WHOP_API_ORIGIN = previousOrigin;
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
