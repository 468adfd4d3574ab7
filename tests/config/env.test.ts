import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ConfigError, parseEnv } from "@/lib/env";

const tmpDir = () => fs.mkdtempSync(path.join(os.tmpdir(), "whop-env-"));
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
    ]);
  });

  it("names each malformed variable", () => {
    const problems = problemsOf({ NODE_ENV: "production", SESSION_SECRET: "short", APP_URL: "not a url", LOG_LEVEL: "loud", DATABASE_URL: "mysql://x" });
    expect(problems.join("\n")).toMatch(/SESSION_SECRET must be at least 32 characters/);
    expect(problems.join("\n")).toMatch(/APP_URL must be an http\(s\) URL/);
    expect(problems.join("\n")).toMatch(/LOG_LEVEL must be one of/);
    expect(problems.join("\n")).toMatch(/DATABASE_URL must be a postgres:\/\/ connection string/);
  });

  it("reports a bad encryption key", () => {
    const problems = problemsOf({ NODE_ENV: "production", SESSION_SECRET: "x".repeat(32), APP_URL: "https://pay.example.com", ENCRYPTION_KEYS: "k1:c2hvcnQ=" });
    expect(problems).toEqual(['ENCRYPTION_KEYS key "k1" must be base64 of exactly 32 bytes (got 5)']);
  });

  it("starts in production with everything set", () => {
    const env = parseEnv(
      { NODE_ENV: "production", SESSION_SECRET: "x".repeat(32), APP_URL: "https://pay.example.com/", ENCRYPTION_KEYS: goodKeys(), WHOP_API_ORIGIN: "https://sandbox-api.whop.com" },
      tmpDir(),
    );
    expect(env.appUrl).toBe("https://pay.example.com");
    expect(env.whopEnvironment).toBe("sandbox");
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
    expect(first.whopEnvironment).toBe("production");
  });
});
