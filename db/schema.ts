import { sql } from "drizzle-orm";
import { bigserial, index, integer, jsonb, pgEnum, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";

/*
 * Every tenant-owned table carries tenant_id in its keys and indexes, so that a tenant-sharded
 * Postgres (Citus, distribution column tenant_id) can take over when one database is not enough.
 */

const createdAt = () => timestamp("created_at", { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp("updated_at", { withTimezone: true }).notNull().defaultNow();

export const whopEnvironment = pgEnum("whop_environment", ["production", "sandbox"]);

export const tenants = pgTable(
  "tenants",
  {
    id: text("id").primaryKey(),
    /** Opaque random id used in public URLs (the webhook endpoint); never the primary key. */
    publicId: text("public_id").notNull(),
    whopCompanyId: text("whop_company_id"),
    whopCompanyTitle: text("whop_company_title"),
    environment: whopEnvironment("environment"),
    whopApiKeyCiphertext: text("whop_api_key_ciphertext"),
    whopApiKeyHint: text("whop_api_key_hint"),
    /** Id of the ENCRYPTION_KEYS entry the API key is encrypted under (rotation reporting). */
    whopApiKeyEncryptionKeyId: text("whop_api_key_encryption_key_id"),
    webhookSecretCiphertext: text("webhook_secret_ciphertext"),
    webhookSecretPreviousCiphertext: text("webhook_secret_previous_ciphertext"),
    webhookSecretPreviousExpiresAt: timestamp("webhook_secret_previous_expires_at", { withTimezone: true }),
    whopWebhookId: text("whop_webhook_id"),
    connectedAt: timestamp("connected_at", { withTimezone: true }),
    keyVerifiedAt: timestamp("key_verified_at", { withTimezone: true }),
    keyRejectedAt: timestamp("key_rejected_at", { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("tenants_public_id_key").on(t.publicId)],
);

export const users = pgTable(
  "users",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    /** Normalised: trimmed and lower-cased. */
    email: text("email").notNull(),
    passwordHash: text("password_hash").notNull(),
    /** Bumped to log out every session of this user. */
    sessionVersion: integer("session_version").notNull().default(1),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("users_email_key").on(t.email), index("users_tenant_id_idx").on(t.tenantId)],
);

export const auditLog = pgTable(
  "audit_log",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    actorUserId: text("actor_user_id"),
    action: text("action").notNull(),
    detail: jsonb("detail").$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
    ip: text("ip"),
    createdAt: createdAt(),
  },
  (t) => [index("audit_log_tenant_created_idx").on(t.tenantId, t.createdAt.desc())],
);

/** Failed logins per email and per IP in a sliding window; in Postgres so it holds across instances. */
export const loginThrottle = pgTable("login_throttle", {
  key: text("key").primaryKey(),
  failures: integer("failures").notNull().default(0),
  windowStartedAt: timestamp("window_started_at", { withTimezone: true }).notNull().defaultNow(),
});

export type Tenant = typeof tenants.$inferSelect;
export type User = typeof users.$inferSelect;
export type AuditEntry = typeof auditLog.$inferSelect;
