import { spawn } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { DEMO_SEED } from "@/sandbox/server";

const root = path.resolve(import.meta.dirname, "../..");

describe("npm run sandbox (sandbox/main.ts)", () => {
  it("prints the URL and the seeded keys, serves them, and stops cleanly on SIGTERM", async () => {
    const child = spawn(path.join(root, "node_modules/.bin/tsx"), ["sandbox/main.ts"], {
      cwd: root,
      env: { ...process.env, WHOP_SANDBOX_PORT: "0", WHOP_SANDBOX_TIME_SCALE: "0.01" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    try {
      const deadline = Date.now() + 15_000;
      while (!/listening on (http:\/\/\S+)/.test(output) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const url = /listening on (http:\/\/\S+)/.exec(output)?.[1];
      expect(url).toBeDefined();
      expect(output).toContain(DEMO_SEED.companyKey);
      expect(output).toContain(DEMO_SEED.companyId);
      const me = await fetch(`${url!}/api/v1/accounts/me`, { headers: { authorization: `Bearer ${DEMO_SEED.companyKey}` } });
      expect(await me.json()).toMatchObject({ id: DEMO_SEED.companyId });
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
  });
});
