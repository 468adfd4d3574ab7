import { bigint, foreignKey, index, pgEnum, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";
import { environment } from "./environment";
import { accounts, users } from "./schema";

/*
 * Users' sign-in state and accounts' teams: server-side sessions, the single-use tokens mailed for
 * password resets and email verification, two-factor authenticators with their recovery codes,
 * account members with their roles, and invitations. Re-exported by schema.ts (one schema for
 * drizzle-kit). Under Citus the user's rows are distributed on user_id (with users), the team's on
 * account_id (with accounts); db/citus.ts says so and the rules test checks it.
 */

/**
 * One row per signed-in browser. The sealed session cookie carries only (id, user_id): ending the
 * row ends the session everywhere the cookie was copied. `account_id` is the account the browser
 * is working in (the account switcher moves it), `environment` which of its tenants (the header's
 * Switch to Test / Switch to Live); the request is signed in only while the user is still a member
 * of the account.
 */
export const sessions = pgTable(
  "sessions",
  {
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    id: text("id").notNull(),
    accountId: text("account_id").notNull(),
    environment: environment("environment").notNull().default("live"),
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
  (t) => [primaryKey({ columns: [t.userId, t.id] }), index("sessions_account_idx").on(t.accountId)],
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
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** The address the token was mailed to (verification proves this one). */
    email: text("email").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    usedAt: timestamp("used_at", { withTimezone: true }),
  },
  (t) => [index("auth_tokens_user_idx").on(t.userId)],
);

/**
 * A user's TOTP authenticator (RFC 6238), one per user. Written by **Set up two-factor** with
 * `enabled_at` null; the first correct code enables it. The secret is AES-256-GCM ciphertext
 * (field "totp_secret", bound to the user; one sealed before users had accounts of several stays
 * bound to the tenant it was sealed under, `sealed_tenant_id`, until `npm run secrets:rotate`
 * re-seals it). `last_used_step` is the 30-second step of the last code accepted: a code is
 * accepted only for a later step, so a replayed code fails.
 */
export const userTwoFactor = pgTable("user_two_factor", {
  userId: text("user_id")
    .primaryKey()
    .references(() => users.id, { onDelete: "cascade" }),
  secretCiphertext: text("secret_ciphertext").notNull(),
  sealedTenantId: text("sealed_tenant_id"),
  enabledAt: timestamp("enabled_at", { withTimezone: true }),
  lastUsedStep: bigint("last_used_step", { mode: "number" }),
  createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
});

/** One-time recovery codes: their SHA-256 only; each single use (`used_at`, a conditional update). */
export const recoveryCodes = pgTable(
  "recovery_codes",
  {
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    codeHash: text("code_hash").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    usedAt: timestamp("used_at", { withTimezone: true }),
  },
  (t) => [primaryKey({ columns: [t.userId, t.codeHash] })],
);

export const memberRole = pgEnum("member_role", ["owner", "admin", "viewer"]);

/** Who belongs to an account, with which role (lib/auth/roles.ts says what each may do). */
export const accountMembers = pgTable(
  "account_members",
  {
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    role: memberRole("role").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.userId] }), index("account_members_user_idx").on(t.userId)],
);

/**
 * An invitation to join an account with a role, mailed to `email`; valid 7 days, until accepted or
 * revoked. Sending another to the same email revokes the one before. Its link's token is found
 * through invitation_tokens.
 */
export const invitations = pgTable(
  "invitations",
  {
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    id: text("id").notNull(),
    email: text("email").notNull(),
    role: memberRole("role").notNull(),
    invitedByUserId: text("invited_by_user_id"),
    createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    acceptedAt: timestamp("accepted_at", { withTimezone: true }),
    acceptedByUserId: text("accepted_by_user_id"),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.id] }), index("invitations_account_email_idx").on(t.accountId, t.email)],
);

/** Global lookup: an invitation link's token (SHA-256) → its invitation. */
export const invitationTokens = pgTable(
  "invitation_tokens",
  {
    tokenHash: text("token_hash").primaryKey(),
    accountId: text("account_id").notNull(),
    invitationId: text("invitation_id").notNull(),
  },
  (t) => [
    foreignKey({ columns: [t.accountId, t.invitationId], foreignColumns: [invitations.accountId, invitations.id] }).onDelete("cascade"),
    index("invitation_tokens_invitation_idx").on(t.accountId, t.invitationId),
  ],
);

export type Session = typeof sessions.$inferSelect;
export type UserTwoFactor = typeof userTwoFactor.$inferSelect;
export type AuthToken = typeof authTokens.$inferSelect;
export type AccountMember = typeof accountMembers.$inferSelect;
export type Role = (typeof memberRole.enumValues)[number];
export type Invitation = typeof invitations.$inferSelect;
