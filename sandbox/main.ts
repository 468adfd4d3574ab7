// `npm run sandbox`: runs the local Whop sandbox until Ctrl-C.
import { startWhopSandbox } from "./server";

function numberFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) {
    console.error(`${name} must be a non-negative number (got "${raw}")`);
    process.exit(1);
  }
  return value;
}

async function main(): Promise<void> {
  const port = numberFromEnv("WHOP_SANDBOX_PORT", 4010);
  const timeScale = numberFromEnv("WHOP_SANDBOX_TIME_SCALE", 1);
  const sandbox = await startWhopSandbox({
    port,
    host: process.env.WHOP_SANDBOX_HOST || undefined,
    publicUrl: process.env.WHOP_SANDBOX_PUBLIC_URL || undefined,
    timeScale,
    log: (line) => console.log(`[sandbox] ${line}`),
  });
  const { seed } = sandbox;
  console.log(
    [
      `Local Whop sandbox listening on ${sandbox.url}`,
      `  API origin (WHOP_API_ORIGIN and WHOP_SANDBOX_API_ORIGIN): ${sandbox.url}`,
      `  Company:         ${seed.companyTitle} (${seed.companyId})`,
      `  Company API key: ${seed.companyKey}`,
      `  Test mode's:     ${seed.testCompanyTitle} (${seed.testCompanyId}), key ${seed.testCompanyKey}`,
      `  User key:        ${seed.userKey}   (rejected: not a company key)`,
      `  Restricted key:  ${seed.restrictedKey}   (valid, lacks permissions)`,
      `  No-webhook key:  ${seed.noWebhookKey}   (lacks developer:manage_webhook)`,
      `  Controls:        ${sandbox.url}/_sandbox/state`,
      timeScale !== 1 ? `  Time scale:      ${timeScale}` : "",
    ]
      .filter(Boolean)
      .join("\n"),
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\nReceived ${signal}, stopping the sandbox…`);
    sandbox.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
