/**
 * `npm run demo`: the whole product offline in one process tree: the local Whop sandbox, the app
 * (Next.js dev server) pointed at it, and the embedded Postgres under ./.data/ (or DATABASE_URL
 * when set), with the job worker inside the app's process (RUN_WORKER_IN_PROCESS=1). Ctrl-C stops
 * everything.
 */
import { spawn } from "node:child_process";
import { startWhopSandbox } from "../sandbox/server";

const APP_PORT = Number(process.env.PORT ?? 3000);
const SANDBOX_PORT = Number(process.env.WHOP_SANDBOX_PORT ?? 4010);
const APP_URL = process.env.APP_URL ?? `http://localhost:${APP_PORT}`;

const sandbox = await startWhopSandbox({
  port: SANDBOX_PORT,
  timeScale: Number(process.env.WHOP_SANDBOX_TIME_SCALE ?? 1),
  log: (line) => console.log(`[whop-sandbox] ${line}`),
});

const app = spawn("npx", ["next", "dev", "-p", String(APP_PORT)], {
  stdio: "inherit",
  detached: true,
  env: {
    ...process.env,
    APP_URL,
    // Live and Test both talk to the local sandbox: each environment connects its own demo company key.
    WHOP_API_ORIGIN: sandbox.url,
    WHOP_SANDBOX_API_ORIGIN: sandbox.url,
    NEXT_TELEMETRY_DISABLED: "1",
    // The embedded database lives in the app's process, so the job worker runs there too (lib/jobs/in-process.ts).
    RUN_WORKER_IN_PROCESS: process.env.RUN_WORKER_IN_PROCESS ?? "1",
  },
});

let stopping = false;
async function stop(code: number) {
  if (stopping) return;
  stopping = true;
  // The dev server runs in its own process group: signal the whole group so no worker is left behind.
  if (app.pid && app.exitCode === null) {
    try {
      process.kill(-app.pid, "SIGTERM");
    } catch {
      // already gone
    }
  }
  await sandbox.close();
  process.exit(code);
}
process.on("SIGINT", () => void stop(0));
process.on("SIGTERM", () => void stop(0));
app.on("exit", (code) => void stop(code ?? 1));

async function waitForApp(): Promise<boolean> {
  for (let i = 0; i < 240; i++) {
    try {
      const response = await fetch(`http://127.0.0.1:${APP_PORT}/api/health`);
      if (response.ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return false;
}

if (await waitForApp()) {
  const { seed } = sandbox;
  console.log(`
  ┌──────────────────────────────────────────────────────────────────────┐
    Whop Connector demo is running (all offline, Ctrl-C stops everything)

    App:                   ${APP_URL}
    Local Whop sandbox:    ${sandbox.url}  (controls: ${sandbox.url}/_sandbox/state)

    1. Open ${APP_URL}/signup and create an account.
    2. Paste this demo company key into "Whop API key":

         ${seed.companyKey}

    Test mode (Switch to Test in the header) connects a company of its own:

         ${seed.testCompanyKey}   (${seed.testCompanyTitle})

    Other keys to see the wizard's messages:
      user key (not a company key):  ${seed.userKey}
      key without permissions:       ${seed.restrictedKey}
  └──────────────────────────────────────────────────────────────────────┘
`);
} else {
  console.error(`The app did not answer on ${APP_URL}/api/health within 2 minutes.`);
  await stop(1);
}
