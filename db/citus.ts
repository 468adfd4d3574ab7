/**
 * Tables of schema public that are not distributed on tenant_id when the database moves to Citus
 * (README, "When one Postgres is not enough: sharding by tenant (Citus)"), and why. Every other
 * table is the root (`tenants`, distributed on its id) or tenant data, whose primary key starts
 * with tenant_id and whose unique indexes all include it. tests/db/citus-rules.test.ts checks the
 * schema against these rules and that the README names each table listed here.
 */
export const CITUS_EXEMPT_TABLES = {
  login_throttle: "not tenant data: counters keyed by email or IP",
  rate_limit_buckets: "not tenant data: counters keyed by IP or tenant",
  tenant_public_ids: "global lookup: a webhook URL's public id → tenant",
  item_slugs: "global lookup: a checkout slug → (tenant, item)",
  api_token_hashes: "global lookup: an API token's hash → (tenant, token)",
  publishable_keys: "global lookup: a publishable key → tenant",
  user_emails: "global lookup: a log-in email → user",
  auth_tokens: "global lookup: a mailed token's hash → user",
  invitation_tokens: "global lookup: an invitation link's token hash → (account, invitation)",
} as const satisfies Record<string, string>;

/**
 * Tables distributed on a key other than tenant_id, with that key: users and accounts are not
 * tenant data (a user belongs to several accounts, an account holds a tenant per environment), so
 * each is a root of its own family, like `tenants`. Their keys follow the same rules with that
 * column in place of tenant_id (primary key first, every unique index includes it).
 */
export const CITUS_DISTRIBUTION_KEYS = {
  accounts: "id",
  account_members: "account_id",
  account_tenants: "account_id",
  invitations: "account_id",
  users: "id",
  sessions: "user_id",
  user_two_factor: "user_id",
  recovery_codes: "user_id",
} as const satisfies Record<string, string>;

export type CitusExemptTable = keyof typeof CITUS_EXEMPT_TABLES;
