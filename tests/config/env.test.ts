import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ConfigError, databaseEnv, parseEnv } from "@/lib/env";

const tmpDir = () => fs.mkdtempSync(path.join(os.tmpdir(), "whop-env-"));
const PRODUCTION_MAIL = { SMTP_URL: "smtp://smtp.example.com:587", EMAIL_FROM: "Shop <no-reply@example.com>" };
const goodKeys = () => `k1:${randomBytes(32).toString("base64")}`;

function problemsOf(source: NodeJS.ProcessEnv): string[] {
  try {
    parseEnv(source, tmpDir());
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe("configuration", () => {
  it("refuses to start in production without secrets, one line per problem", () => {
    const problems = problemsOf({ NODE_ENV: "production" });
    expect(problems).toEqual([
      expect.stringMatching(/^SESSION_SECRET is required in production/),
      expect.stringMatching(/^ENCRYPTION_KEYS is required in production/),
      expect.stringMatching(/^APP_URL is required in production/),
      expect.stringMatching(/^SMTP_URL is required in production/),
      expect.stringMatching(/^EMAIL_FROM is required in production/),
    ]);
  });

  const PRODUCTION = { NODE_ENV: "production", SESSION_SECRET: "x".repeat(32), SMTP_URL: "smtps://u:p@smtp.example.com:465", EMAIL_FROM: "Shop <no-reply@example.com>" } as const;

  it("refuses an http:// APP_URL in production (the session cookie would not be Secure), except on localhost", () => {
    expect(problemsOf({ ...PRODUCTION, ENCRYPTION_KEYS: goodKeys(), APP_URL: "http://pay.example.com" })).toEqual([expect.stringMatching(/^APP_URL must be https:\/\/ in production/)]);
    expect(problemsOf({ ...PRODUCTION, ENCRYPTION_KEYS: goodKeys(), APP_URL: "http://127.0.0.1:3200" })).toEqual([]);
    expect(problemsOf({ ...PRODUCTION, ENCRYPTION_KEYS: goodKeys(), APP_URL: "http://localhost:3000" })).toEqual([]);
  });

  it("reads TRUSTED_PROXY_HOPS (default 1) and refuses nonsense", () => {
    expect(parseEnv({ ...PRODUCTION, ENCRYPTION_KEYS: goodKeys(), APP_URL: "https://pay.example.com" }, tmpDir()).trustedProxyHops).toBe(1);
    expect(parseEnv({ ...PRODUCTION, ENCRYPTION_KEYS: goodKeys(), APP_URL: "https://pay.example.com", TRUSTED_PROXY_HOPS: "2" }, tmpDir()).trustedProxyHops).toBe(2);
    expect(problemsOf({ ...PRODUCTION, ENCRYPTION_KEYS: goodKeys(), APP_URL: "https://pay.example.com", TRUSTED_PROXY_HOPS: "0" })).toEqual([expect.stringMatching(/^TRUSTED_PROXY_HOPS must be at least 1/)]);
    expect(problemsOf({ ...PRODUCTION, ENCRYPTION_KEYS: goodKeys(), APP_URL: "https://pay.example.com", SMTP_URL: "http://smtp" })).toEqual([expect.stringMatching(/^SMTP_URL must be an smtp:\/\//)]);
  });

  it("WEBHOOK_ALLOW_PRIVATE_URLS: off by default in production, on in development, 0/1 override, nonsense refused", () => {
    const production = { ...PRODUCTION, ENCRYPTION_KEYS: goodKeys(), APP_URL: "https://pay.example.com" };
    expect(parseEnv(production, tmpDir()).webhookAllowPrivateUrls).toBe(false);
    expect(parseEnv({ ...production, WEBHOOK_ALLOW_PRIVATE_URLS: "1" }, tmpDir()).webhookAllowPrivateUrls).toBe(true);
    expect(parseEnv({ NODE_ENV: "development", SESSION_SECRET: "x".repeat(32), ENCRYPTION_KEYS: goodKeys() }, tmpDir()).webhookAllowPrivateUrls).toBe(true);
    expect(parseEnv({ NODE_ENV: "development", SESSION_SECRET: "x".repeat(32), ENCRYPTION_KEYS: goodKeys(), WEBHOOK_ALLOW_PRIVATE_URLS: "0" }, tmpDir()).webhookAllowPrivateUrls).toBe(false);
    expect(problemsOf({ ...production, WEBHOOK_ALLOW_PRIVATE_URLS: "yes" })).toEqual([expect.stringMatching(/^WEBHOOK_ALLOW_PRIVATE_URLS must be 1 \(allow\) or 0 \(refuse\)/)]);
  });

  it("the database needs DATABASE_URL alone, whatever else is missing (npm run db:migrate)", () => {
    expect(databaseEnv({ NODE_ENV: "production", DATABASE_URL: "postgres://db/app" }, "/tmp/x")).toEqual({ nodeEnv: "production", databaseUrl: "postgres://db/app", transactionPooler: false, dataDir: "/tmp/x" });
    expect(() => databaseEnv({ NODE_ENV: "production", DATABASE_URL: "mysql://x" })).toThrow(ConfigError);
    // Behind PgBouncer in transaction mode: no prepared statements; anything else is refused, not guessed.
    expect(databaseEnv({ NODE_ENV: "production", DATABASE_URL: "postgres://pgbouncer:6432/app", DATABASE_POOLER: "transaction" }).transactionPooler).toBe(true);
    expect(() => databaseEnv({ NODE_ENV: "production", DATABASE_URL: "postgres://db/app", DATABASE_POOLER: "session" })).toThrow(ConfigError);
  });

  it("names each malformed variable", () => {
    const problems = problemsOf({ NODE_ENV: "production", SESSION_SECRET: "short", APP_URL: "not a url", LOG_LEVEL: "loud", DATABASE_URL: "mysql://x", WHOP_SANDBOX_API_ORIGIN: "ftp://sandbox" });
    expect(problems.join("\n")).toMatch(/WHOP_SANDBOX_API_ORIGIN must be an http\(s\) origin such as https:\/\/sandbox-api.whop.com/);
    expect(problems.join("\n")).toMatch(/SESSION_SECRET must be at least 32 characters/);
    expect(problems.join("\n")).toMatch(/APP_URL must be an http\(s\) URL/);
    expect(problems.join("\n")).toMatch(/LOG_LEVEL must be one of/);
    expect(problems.join("\n")).toMatch(/DATABASE_URL must be a postgres:\/\/ connection string/);
  });

  it("reports a bad encryption key", () => {
    const problems = problemsOf({ ...PRODUCTION_MAIL, NODE_ENV: "production", SESSION_SECRET: "x".repeat(32), APP_URL: "https://pay.example.com", ENCRYPTION_KEYS: "k1:c2hvcnQ=" });
    expect(problems).toEqual(['ENCRYPTION_KEYS key "k1" must be base64 of exactly 32 bytes (got 5)']);
  });

  it("starts in production with everything set", () => {
    const env = parseEnv(
      { ...PRODUCTION_MAIL, NODE_ENV: "production", SESSION_SECRET: "x".repeat(32), APP_URL: "https://pay.example.com/", ENCRYPTION_KEYS: goodKeys(), WHOP_API_ORIGIN: "https://api.whop.com/", WHOP_SANDBOX_API_ORIGIN: "https://sandbox.example.com/v1" },
      tmpDir(),
    );
    expect(env.appUrl).toBe("https://pay.example.com");
    expect(env.whopApiOrigin).toBe("https://api.whop.com");
    expect(env.whopSandboxApiOrigin).toBe("https://sandbox.example.com");
    expect(env.encryptionKeys.primary.id).toBe("k1");
  });

  it("generates development secrets once into the data folder and reuses them", () => {
    const dir = tmpDir();
    const first = parseEnv({ NODE_ENV: "development" }, dir);
    const second = parseEnv({ NODE_ENV: "development" }, dir);
    expect(fs.existsSync(path.join(dir, "dev-secrets.json"))).toBe(true);
    expect(second.sessionSecret).toBe(first.sessionSecret);
    expect(first.appUrl).toBe("http://localhost:3000");
    expect(first.whopApiOrigin).toBe("https://api.whop.com");
    expect(first.whopSandboxApiOrigin).toBe("https://sandbox-api.whop.com");
  });
});
