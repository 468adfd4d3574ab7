import { bigint, foreignKey, index, pgEnum, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";
import { users } from "./schema";

/*
 * Accounts' sign-in state: server-side sessions, the single-use tokens mailed for password
 * resets and email verification, and two-factor authenticators with their recovery codes. Re-exported by schema.ts (one schema for drizzle-kit).
 */

/**
 * One row per signed-in browser. The sealed session cookie carries only (tenant_id, id, user_id):
 * ending the row ends the session everywhere the cookie was copied.
 */
export const sessions = pgTable(
  "sessions",
  {
    tenantId: text("tenant_id").notNull(),
    id: text("id").notNull(),
    userId: text("user_id").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    /** Refreshed at most once a minute while the session is used. */
    lastSeenAt: timestamp("last_seen_at", { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    ip: text("ip"),
    userAgent: text("user_agent"),
    endedAt: timestamp("ended_at", { withTimezone: true }),
    /**
     * When the user last proved who they are in this session: at log-in (after the second factor
     * when there is one) and at each **Confirm it's you**. Sensitive actions ask again once it is
     * older than 10 minutes (lib/auth/step-up.ts); null (sessions from before) counts as long ago.
     */
    reauthenticatedAt: timestamp("reauthenticated_at", { withTimezone: true }),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    foreignKey({ columns: [t.tenantId, t.userId], foreignColumns: [users.tenantId, users.id] }).onDelete("cascade"),
    index("sessions_tenant_user_idx").on(t.tenantId, t.userId),
  ],
);

export const authTokenPurpose = pgEnum("auth_token_purpose", ["password_reset", "email_verification"]);

/**
 * Global lookup: a mailed token's SHA-256 → its user. The link carries only the token, so this is
 * found by the digest alone (its primary key); single use (`used_at`) and short-lived (`expires_at`).
 */
export const authTokens = pgTable(
  "auth_tokens",
  {
    tokenHash: text("token_hash").primaryKey(),
    purpose: authTokenPurpose("purpose").notNull(),
    tenantId: text("tenant_id").notNull(),
    userId: text("user_id").notNull(),
    /** The address the token was mailed to (verification proves this one). */
    email: text("email").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    usedAt: timestamp("used_at", { withTimezone: true }),
  },
  (t) => [
    foreignKey({ columns: [t.tenantId, t.userId], foreignColumns: [users.tenantId, users.id] }).onDelete("cascade"),
    index("auth_tokens_tenant_user_idx").on(t.tenantId, t.userId),
  ],
);

/**
 * A user's TOTP authenticator (RFC 6238), one per user. Written by **Set up two-factor** with
 * `enabled_at` null; the first correct code enables it. The secret is AES-256-GCM ciphertext
 * (field "totp_secret", bound to tenant and user). `last_used_step` is the 30-second step of the
 * last code accepted: a code is accepted only for a later step, so a replayed code fails.
 */
export const userTwoFactor = pgTable(
  "user_two_factor",
  {
    tenantId: text("tenant_id").notNull(),
    userId: text("user_id").notNull(),
    secretCiphertext: text("secret_ciphertext").notNull(),
    enabledAt: timestamp("enabled_at", { withTimezone: true }),
    lastUsedStep: bigint("last_used_step", { mode: "number" }),
    createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.userId] }),
    foreignKey({ columns: [t.tenantId, t.userId], foreignColumns: [users.tenantId, users.id] }).onDelete("cascade"),
  ],
);

/** One-time recovery codes: their SHA-256 only; each single use (`used_at`, a conditional update). */
export const recoveryCodes = pgTable(
  "recovery_codes",
  {
    tenantId: text("tenant_id").notNull(),
    userId: text("user_id").notNull(),
    codeHash: text("code_hash").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    usedAt: timestamp("used_at", { withTimezone: true }),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.userId, t.codeHash] }),
    foreignKey({ columns: [t.tenantId, t.userId], foreignColumns: [users.tenantId, users.id] }).onDelete("cascade"),
  ],
);

export type Session = typeof sessions.$inferSelect;
export type UserTwoFactor = typeof userTwoFactor.$inferSelect;
export type AuthToken = typeof authTokens.$inferSelect;
