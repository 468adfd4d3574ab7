import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import { parseEncryptionKeys, type Keyring } from "@/lib/crypto/keyring";

/**
 * Configuration, validated once at start (instrumentation.ts) and read everywhere through `env()`.
 * Production refuses to start without its secrets; development and the demo generate them into
 * ./.data/ so that a fresh clone runs with nothing set.
 */

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

const rawSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must be a postgres:// connection string")
    .optional(),
  /** `transaction`: DATABASE_URL leads to a pooler in transaction mode (PgBouncer), which keeps no prepared statement. */
  DATABASE_POOLER: z.enum(["transaction"], { error: "must be transaction (a pooler in transaction mode, such as PgBouncer) or unset" }).optional(),
  APP_URL: z.url({ protocol: /^https?$/, error: "must be an http(s) URL such as https://pay.example.com" }).optional(),
  SESSION_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
  ENCRYPTION_KEYS: z.string().optional(),
  WHOP_API_ORIGIN: z
    .url({ protocol: /^https?$/, error: "must be an http(s) origin such as https://api.whop.com" })
    .default("https://api.whop.com"),
  WHOP_SANDBOX_API_ORIGIN: z
    .url({ protocol: /^https?$/, error: "must be an http(s) origin such as https://sandbox-api.whop.com" })
    .default("https://sandbox-api.whop.com"),
  LOG_LEVEL: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(", ")}` }).default("info"),
  WEBHOOK_PAYLOAD_RETENTION_DAYS: z.coerce
    .number({ error: "must be a whole number of days" })
    .int("must be a whole number of days")
    .min(1, "must be at least 1 (days)")
    .max(3650, "must be at most 3650 (days)")
    .default(90),
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\//, "must be an smtp:// or smtps:// URL such as smtps://user:pass@smtp.example.com:465")
    .optional(),
  EMAIL_FROM: z.string().min(3, "must be a sender such as \"Whop Connector <no-reply@example.com>\"").max(200).optional(),
  TRUSTED_PROXY_HOPS: z.coerce
    .number({ error: "must be a whole number of proxies" })
    .int("must be a whole number of proxies")
    .min(1, "must be at least 1 (Next itself records the socket's address when no proxy does)")
    .max(10, "must be at most 10")
    .default(1),
  WEBHOOK_ALLOW_PRIVATE_URLS: z.enum(["0", "1"], { error: "must be 1 (allow) or 0 (refuse)" }).optional(),
});

export interface Env {
  nodeEnv: "development" | "production" | "test";
  databaseUrl: string | undefined;
  appUrl: string;
  sessionSecret: string;
  encryptionKeys: Keyring;
  /** Whop's production API: where Live tenants' calls go. */
  whopApiOrigin: string;
  /** Whop's sandbox: where Test tenants' calls go. */
  whopSandboxApiOrigin: string;
  logLevel: (typeof LOG_LEVELS)[number];
  /** Raw Whop webhook payloads older than this are removed (the ledger rows stay). */
  webhookPayloadRetentionDays: number;
  /**
   * The merchant's webhook endpoints may be http:// and reach loopback, private and link-local
   * addresses (lib/outbound/ssrf.ts). On by default in development, the demo and tests; off in
   * production unless WEBHOOK_ALLOW_PRIVATE_URLS=1.
   */
  webhookAllowPrivateUrls: boolean;
  /** Where mail goes; null: the dev outbox (./.data/mail, listed at /dev/mail), never in production. */
  smtpUrl: string | null;
  emailFrom: string;
  /**
   * Proxies in front of the app that append to X-Forwarded-For (a load balancer: 1). The client's
   * IP is that many entries from the end; entries before it are whatever the client sent.
   */
  trustedProxyHops: number;
  /** Where the embedded database and generated development secrets live. */
  dataDir: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

interface DevSecrets {
  SESSION_SECRET: string;
  ENCRYPTION_KEYS: string;
}

function loadOrCreateDevSecrets(dataDir: string): { secrets: DevSecrets; created: boolean } {
  const file = path.join(dataDir, "dev-secrets.json");
  if (fs.existsSync(file)) {
    return { secrets: JSON.parse(fs.readFileSync(file, "utf8")) as DevSecrets, created: false };
  }
  const secrets: DevSecrets = {
    SESSION_SECRET: randomBytes(32).toString("base64url"),
    ENCRYPTION_KEYS: `dev1:${randomBytes(32).toString("base64")}`,
  };
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return { secrets, created: true };
}

export function parseEnv(source: NodeJS.ProcessEnv, dataDir = path.resolve(".data")): Env {
  const parsed = rawSchema.safeParse(source);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join(".")} ${i.message}`));
  }
  const raw = parsed.data;
  const production = raw.NODE_ENV === "production";
  const problems: string[] = [];

  let sessionSecret = raw.SESSION_SECRET;
  let encryptionKeys = raw.ENCRYPTION_KEYS;
  if (production) {
    if (!sessionSecret) problems.push("SESSION_SECRET is required in production (at least 32 random characters)");
    if (!encryptionKeys) problems.push("ENCRYPTION_KEYS is required in production (id:base64-of-32-bytes, comma-separated)");
    if (!raw.APP_URL) problems.push("APP_URL is required in production (the public https URL of this app)");
    else if (!raw.APP_URL.startsWith("https://") && !isLoopbackUrl(raw.APP_URL)) {
      problems.push("APP_URL must be https:// in production (the session cookie is Secure only over https); http:// is accepted for localhost alone");
    }
    if (!raw.SMTP_URL) problems.push("SMTP_URL is required in production (password resets, verification and invitations are sent by mail)");
    if (!raw.EMAIL_FROM) problems.push("EMAIL_FROM is required in production (the sender of the product's mail)");
  } else if (!sessionSecret || !encryptionKeys) {
    const { secrets, created } = loadOrCreateDevSecrets(dataDir);
    sessionSecret ??= secrets.SESSION_SECRET;
    encryptionKeys ??= secrets.ENCRYPTION_KEYS;
    if (created) {
      console.warn(`[config] Generated SESSION_SECRET and ENCRYPTION_KEYS into ${path.join(dataDir, "dev-secrets.json")} (development only; set them in production).`);
    }
  }

  let keyring: Keyring | undefined;
  if (encryptionKeys) {
    try {
      keyring = parseEncryptionKeys(encryptionKeys);
    } catch (error) {
      problems.push(`ENCRYPTION_KEYS ${(error as Error).message}`);
    }
  }
  if (problems.length > 0 || !keyring || !sessionSecret) throw new ConfigError(problems);

  return {
    nodeEnv: raw.NODE_ENV,
    databaseUrl: raw.DATABASE_URL,
    appUrl: (raw.APP_URL ?? "http://localhost:3000").replace(/\/+$/, ""),
    sessionSecret,
    encryptionKeys: keyring,
    whopApiOrigin: new URL(raw.WHOP_API_ORIGIN).origin,
    whopSandboxApiOrigin: new URL(raw.WHOP_SANDBOX_API_ORIGIN).origin,
    logLevel: raw.LOG_LEVEL,
    webhookPayloadRetentionDays: raw.WEBHOOK_PAYLOAD_RETENTION_DAYS,
    smtpUrl: raw.SMTP_URL ?? null,
    emailFrom: raw.EMAIL_FROM ?? "Whop Connector <no-reply@localhost>",
    trustedProxyHops: raw.TRUSTED_PROXY_HOPS,
    webhookAllowPrivateUrls: raw.WEBHOOK_ALLOW_PRIVATE_URLS === undefined ? !production : raw.WEBHOOK_ALLOW_PRIVATE_URLS === "1",
    dataDir,
  };
}

function isLoopbackUrl(url: string): boolean {
  const host = new URL(url).hostname;
  return host === "localhost" || host === "[::1]" || /^127\./.test(host);
}

export interface DatabaseEnv {
  nodeEnv: Env["nodeEnv"];
  databaseUrl: string | undefined;
  /** The connection goes through a transaction-mode pooler: no prepared statements. */
  transactionPooler: boolean;
  dataDir: string;
}

/**
 * What the database client needs, and nothing else: `npm run db:migrate` (and the job queue's
 * install) run with DATABASE_URL alone, without the app's secrets or URL.
 */
export function databaseEnv(source: NodeJS.ProcessEnv = process.env, dataDir = path.resolve(".data")): DatabaseEnv {
  const parsed = rawSchema.pick({ NODE_ENV: true, DATABASE_URL: true, DATABASE_POOLER: true }).safeParse(source);
  if (!parsed.success) throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join(".")} ${i.message}`));
  return { nodeEnv: parsed.data.NODE_ENV, databaseUrl: parsed.data.DATABASE_URL, transactionPooler: parsed.data.DATABASE_POOLER === "transaction", dataDir };
}

const cache = globalThis as unknown as { __whopConnectorEnv?: Env };

export function env(): Env {
  cache.__whopConnectorEnv ??= parseEnv(process.env);
  return cache.__whopConnectorEnv;
}

/** For tests that change process.env between cases. */
export function resetEnvCache(): void {
  cache.__whopConnectorEnv = undefined;
}
