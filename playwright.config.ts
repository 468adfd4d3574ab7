import { randomBytes } from "node:crypto";
import { defineConfig } from "@playwright/test";

/**
 * E2E: the production build (`npm run build` first) on port 3200 against the local Whop sandbox on
 * port 4310, with the database DATABASE_URL names (CI: a fresh Postgres) or the embedded one.
 */
// E2E_PORT_OFFSET moves every port at once, so two checkouts can run their suites side by side.
const OFFSET = Number(process.env.E2E_PORT_OFFSET ?? 0);
const APP_PORT = 3200 + OFFSET;
const SANDBOX_PORT = 4310 + OFFSET;
const APP_URL = `http://127.0.0.1:${APP_PORT}`;
const SANDBOX_URL = `http://127.0.0.1:${SANDBOX_PORT}`;
const MAIL_SMTP_PORT = 2525 + OFFSET;
const MAIL_HTTP_PORT = 2526 + OFFSET;
const MAIL_URL = `http://127.0.0.1:${MAIL_HTTP_PORT}`;

export default defineConfig({
  testDir: "e2e",
  outputDir: "test-results",
  fullyParallel: true,
  workers: 2,
  retries: process.env.CI ? 1 : 0,
  timeout: 60_000,
  reporter: [["list"]],
  use: {
    baseURL: APP_URL,
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    },
  },
  webServer: [
    {
      command: "npx tsx e2e/mail-sink.ts",
      url: `${MAIL_URL}/health`,
      env: { MAIL_SINK_SMTP_PORT: String(MAIL_SMTP_PORT), MAIL_SINK_HTTP_PORT: String(MAIL_HTTP_PORT) },
      reuseExistingServer: false,
      timeout: 30_000,
    },
    {
      command: "npx tsx sandbox/main.ts",
      url: `${SANDBOX_URL}/_sandbox/state`,
      env: { WHOP_SANDBOX_PORT: String(SANDBOX_PORT), WHOP_SANDBOX_TIME_SCALE: "0.01" },
      reuseExistingServer: false,
      timeout: 30_000,
    },
    {
      command: `npm run -s db:migrate && npm start -- -p ${APP_PORT} -H 127.0.0.1`,
      url: `${APP_URL}/api/health`,
      env: {
        NODE_ENV: "production",
        NEXT_TELEMETRY_DISABLED: "1",
        APP_URL,
        WHOP_API_ORIGIN: SANDBOX_URL,
        WHOP_SANDBOX_API_ORIGIN: SANDBOX_URL,
        SESSION_SECRET: randomBytes(32).toString("base64url"),
        ENCRYPTION_KEYS: `e2e:${randomBytes(32).toString("base64")}`,
        LOG_LEVEL: "warn",
        // The specs' webhook endpoints are local receivers (e2e/webhooks.spec.ts).
        WEBHOOK_ALLOW_PRIVATE_URLS: "1",
        // The e2e mail server (e2e/mail-sink.ts); the app's own worker sends the queued mail.
        SMTP_URL: `smtp://127.0.0.1:${MAIL_SMTP_PORT}`,
        RUN_WORKER_IN_PROCESS: "1",
        EMAIL_FROM: "Whop Connector <no-reply@localhost>",
      },
      reuseExistingServer: false,
      timeout: 60_000,
    },
  ],
});
