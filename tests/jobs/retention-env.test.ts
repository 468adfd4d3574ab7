import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ConfigError, parseEnv } from "@/lib/env";

const base = { NODE_ENV: "development" as const, SESSION_SECRET: randomBytes(32).toString("base64url"), ENCRYPTION_KEYS: `k1:${randomBytes(32).toString("base64")}` };
const parse = (extra: Record<string, string>) => parseEnv({ ...base, ...extra }, fs.mkdtempSync(path.join(os.tmpdir(), "whop-env-")));

describe("WEBHOOK_PAYLOAD_RETENTION_DAYS", () => {
  it("defaults to 90 days and takes a whole number of days", () => {
    expect(parse({}).webhookPayloadRetentionDays).toBe(90);
    expect(parse({ WEBHOOK_PAYLOAD_RETENTION_DAYS: "30" }).webhookPayloadRetentionDays).toBe(30);
  });

  it.each(["0", "-5", "1.5", "ninety", "100000"])("refuses %s with one line", (value) => {
    try {
      parse({ WEBHOOK_PAYLOAD_RETENTION_DAYS: value });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems).toEqual([expect.stringMatching(/^WEBHOOK_PAYLOAD_RETENTION_DAYS must be/)]);
    }
  });
});
