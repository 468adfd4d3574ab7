import { sql } from "drizzle-orm";
import { environment } from "./environment";
import { bigint, bigserial, boolean, customType, date, foreignKey, index, integer, jsonb, pgEnum, pgTable, primaryKey, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";

/*
 * Every tenant-owned table carries tenant_id in its keys and indexes, so that a tenant-sharded
 * Postgres (Citus, distribution column tenant_id) can take over when one database is not enough:
 * its primary key starts with tenant_id and every unique index includes it. What must be unique
 * across tenants (a checkout slug, a webhook URL's public id, an API token, a log-in email) is
 * the primary key of a small global lookup table naming the tenant, written in the same
 * transaction as the row it points to. db/citus.ts lists the exceptions;
 * tests/db/citus-rules.test.ts checks the rules.
 */

// Millisecond precision: keyset cursors carry a JS Date, which could not name a microsecond.
const createdAt = () => timestamp("created_at", { withTimezone: true, precision: 3 }).notNull().defaultNow();
const updatedAt = () => timestamp("updated_at", { withTimezone: true }).notNull().defaultNow();

/**
 * The organisation a merchant signs up as: it holds the team (account_members, invitations) and
 * a tenant per environment (account_tenants), the data each environment keeps apart. Users and
 * roles belong here, never to a tenant.
 */
export const accounts = pgTable("accounts", {
  id: text("id").primaryKey(),
  /** When an owner required two-factor sign-in of every member (null: each user chooses). */
  twoFactorRequiredAt: timestamp("two_factor_required_at", { withTimezone: true }),
  createdAt: createdAt(),
});

export const tenants = pgTable(
  "tenants",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    /**
     * Opaque random id used in public URLs (the webhook endpoint); never the primary key. Written
     * once, at sign-up, together with its tenant_public_ids row, which carries its uniqueness and
     * is what the webhook route looks it up by.
     */
    publicId: text("public_id").notNull(),
    whopCompanyId: text("whop_company_id"),
    whopCompanyTitle: text("whop_company_title"),
    /** Which of its account's environments this tenant is, for good (account_tenants keeps one per environment). */
    environment: environment("environment").notNull().default("live"),
    whopApiKeyCiphertext: text("whop_api_key_ciphertext"),
    whopApiKeyHint: text("whop_api_key_hint"),
    /** Id of the ENCRYPTION_KEYS entry the API key is encrypted under (rotation reporting). */
    whopApiKeyEncryptionKeyId: text("whop_api_key_encryption_key_id"),
    webhookSecretCiphertext: text("webhook_secret_ciphertext"),
    webhookSecretPreviousCiphertext: text("webhook_secret_previous_ciphertext"),
    webhookSecretPreviousExpiresAt: timestamp("webhook_secret_previous_expires_at", { withTimezone: true }),
    /** The publishable key (`whp_…`, lib/api/publishable-keys.ts): not a secret, shown on the API page; unique through publishable_keys. */
    publishableKey: text("publishable_key"),
    whopWebhookId: text("whop_webhook_id"),
    /**
     * The events last set on the webhook the product created (whop_webhook_id), so that a longer
     * WHOP_EVENTS_APPLIED list brings it up to date without asking Whop first; null when unknown.
     */
    whopWebhookEvents: text("whop_webhook_events").array(),
    connectedAt: timestamp("connected_at", { withTimezone: true }),
    keyVerifiedAt: timestamp("key_verified_at", { withTimezone: true }),
    keyRejectedAt: timestamp("key_rejected_at", { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("tenants_account_idx").on(t.accountId)],
);

/**
 * An account's tenant in each environment: the primary key keeps an account to one tenant per
 * environment, and it is how a session (account, environment) finds its tenant. Written with the
 * tenant (insertTenants); the Live tenant at sign-up, the Test one when the account first
 * switches to Test.
 */
export const accountTenants = pgTable(
  "account_tenants",
  {
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    environment: environment("environment").notNull(),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.environment] })],
);

/** Global lookup: a webhook URL's public id → its tenant (one row per tenant, written with it). */
export const tenantPublicIds = pgTable(
  "tenant_public_ids",
  {
    publicId: text("public_id").primaryKey(),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
  },
  (t) => [index("tenant_public_ids_tenant_idx").on(t.tenantId)],
);

/**
 * A person who signs in: one per email, global (a user may belong to several accounts, each with
 * a role: account_members). Distributed on its id under Citus, with the rows keyed by user_id.
 */
export const users = pgTable("users", {
    id: text("id").primaryKey(),
    /** Normalised: trimmed and lower-cased. Unique through user_emails. */
    email: text("email").notNull(),
    passwordHash: text("password_hash").notNull(),
    /** No longer read: sessions are rows of their own (db/schema-auth.ts). Dropped a release later. */
    sessionVersion: integer("session_version").notNull().default(1),
    /** When the user opened the verification link mailed to this email; null until then. */
    emailVerifiedAt: timestamp("email_verified_at", { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
});

/**
 * Global lookup: a log-in email → its user. Its primary key is what keeps an email to one user
 * (sign-up and accepting an invitation insert here and give up when the email is taken).
 */
export const userEmails = pgTable(
  "user_emails",
  {
    /** Normalised, as users.email. */
    email: text("email").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
  },
  (t) => [index("user_emails_user_idx").on(t.userId)],
);

export const auditLog = pgTable(
  "audit_log",
  {
    id: bigserial("id", { mode: "number" }).notNull(),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    actorUserId: text("actor_user_id"),
    action: text("action").notNull(),
    detail: jsonb("detail").$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
    ip: text("ip"),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    index("audit_log_tenant_created_idx").on(t.tenantId, t.createdAt.desc().nullsFirst(), t.id.desc().nullsFirst()),
  ],
);

/** Failed logins per email and per IP in a sliding window; in Postgres so it holds across instances. */
export const loginThrottle = pgTable("login_throttle", {
  key: text("key").primaryKey(),
  failures: integer("failures").notNull().default(0),
  windowStartedAt: timestamp("window_started_at", { withTimezone: true }).notNull().defaultNow(),
});

/** Fixed-window request counters (checkout throttles), shared by every instance. */
export const rateLimitBuckets = pgTable(
  "rate_limit_buckets",
  {
    key: text("key").notNull(),
    windowStart: timestamp("window_start", { withTimezone: true }).notNull(),
    count: integer("count").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.key, t.windowStart] })],
);

/** Something the merchant must know or fix; one open row per (tenant, kind), counted. */
export const problems = pgTable(
  "problems",
  {
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    kind: text("kind").notNull(),
    message: text("message").notNull(),
    occurrences: integer("occurrences").notNull().default(1),
    firstSeenAt: timestamp("first_seen_at", { withTimezone: true }).notNull().defaultNow(),
    lastSeenAt: timestamp("last_seen_at", { withTimezone: true }).notNull().defaultNow(),
    resolvedAt: timestamp("resolved_at", { withTimezone: true }),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.kind] })],
);

export const items = pgTable(
  "items",
  {
    id: text("id").notNull(),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    /** Unguessable public part of the checkout link /pay/<slug>; unique across tenants through item_slugs. */
    slug: text("slug").notNull(),
    title: text("title").notNull(),
    description: text("description"),
    /** Integer minor units of `currency` (cents for usd, yen for jpy, fils for kwd). */
    priceMinor: bigint("price_minor", { mode: "number" }).notNull(),
    /** Lowercase ISO 4217. */
    currency: text("currency").notNull(),
    whopProductId: text("whop_product_id"),
    /** How often it renews, in days (Whop's `billing_period`: 7, 30, 90, 365); null: a one-time item. */
    billingPeriodDays: integer("billing_period_days"),
    /** Free trial of a recurring item, in days (null: none). */
    trialPeriodDays: integer("trial_period_days"),
    /** Each paid order gets a license key of our own (lib/licenses), unless Whop sends its own. */
    issueLicenseKeys: boolean("issue_license_keys").notNull().default(false),
    /** How many machines one license may be active on at once (null: no limit). */
    activationLimit: integer("activation_limit"),
    active: boolean("active").notNull().default(true),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    uniqueIndex("items_tenant_slug_key").on(t.tenantId, t.slug),
    index("items_tenant_created_idx").on(t.tenantId, t.createdAt.desc()),
  ],
);

/** Global lookup: a checkout link's slug → its item, carrying the slug's uniqueness across tenants. */
export const itemSlugs = pgTable(
  "item_slugs",
  {
    slug: text("slug").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    itemId: text("item_id").notNull(),
  },
  (t) => [
    foreignKey({ columns: [t.tenantId, t.itemId], foreignColumns: [items.tenantId, items.id] }).onDelete("cascade"),
    index("item_slugs_tenant_item_idx").on(t.tenantId, t.itemId),
  ],
);

/**
 * One status per order, derived from its ledger rows (lib/ledger/derive.ts), by precedence: a
 * dispute outranks refunds, refunds outrank paid.
 */
export const orderStatus = pgEnum("order_status", [
  "pending",
  "expired",
  "failed",
  "paid",
  "partially_refunded",
  "refunded",
  "disputed",
  "dispute_lost",
]);

/**
 * A subscription's lifecycle, from Whop's membership reports (lib/subscriptions/lifecycle.ts):
 * canceling = canceled at period end, with access until then; canceled and expired are ended.
 */
export const subscriptionState = pgEnum("subscription_state", ["trialing", "active", "past_due", "canceling", "canceled", "expired"]);

export const orders = pgTable(
  "orders",
  {
    id: text("id").notNull(),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    itemId: text("item_id").notNull(),
    status: orderStatus("status").notNull().default("pending"),
    amountMinor: bigint("amount_minor", { mode: "number" }).notNull(),
    currency: text("currency").notNull(),
    /** The buyer's browser (random cookie), so a second click can reuse this order's checkout. */
    attemptId: text("attempt_id").notNull(),
    whopCheckoutId: text("whop_checkout_id"),
    whopPlanId: text("whop_plan_id"),
    purchaseUrl: text("purchase_url"),
    whopPaymentId: text("whop_payment_id"),
    whopMembershipId: text("whop_membership_id"),
    membershipValid: boolean("membership_valid"),
    whopUserId: text("whop_user_id"),
    buyerEmail: text("buyer_email"),
    /** Derived from the ledger: succeeded payments in the order's currency (minor units). */
    paidMinor: bigint("paid_minor", { mode: "number" }),
    /** Currency of the first succeeded payment (differs from `currency` when Whop charged another). */
    paidCurrency: text("paid_currency"),
    /** Derived from the ledger: succeeded refunds (minor units). */
    refundedMinor: bigint("refunded_minor", { mode: "number" }).notNull().default(0),
    /** A refund Whop has not settled yet (a pending refund row, or a request still on its way). */
    refundPending: boolean("refund_pending").notNull().default(false),
    /** When the merchant asked Whop to cancel the buyer's membership, and how. */
    cancelRequestedAt: timestamp("cancel_requested_at", { withTimezone: true }),
    cancelRequestedMode: text("cancel_requested_mode"),
    /** Whop's membership status as last reported (`active`, `canceled`, `expired`…). */
    membershipStatus: text("membership_status"),
    /** When the membership ends (Whop's `expires_at`, or the period end once it cancels at period end). */
    membershipExpiresAt: timestamp("membership_expires_at", { withTimezone: true }),
    /** SHA-256 (hex) of the membership's license key: looked up by hash, never stored in clear. */
    licenseKeyHash: text("license_key_hash"),
    /** Last four characters of the license key, to recognise it on the order page. */
    licenseKeyHint: text("license_key_hint"),
    /** occurredAt of the last membership event applied, so an older one never overrides a newer one. */
    membershipEventAt: timestamp("membership_event_at", { withTimezone: true }),
    /** Derived: a succeeded payment whose subtotal or currency is not the order's. */
    amountMismatch: boolean("amount_mismatch").notNull().default(false),
    /** The merchant accepted the differing payment ("Accept this payment"): it then grants access. */
    amountAcceptedAt: timestamp("amount_accepted_at", { withTimezone: true }),
    amountAcceptedBy: text("amount_accepted_by"),
    /** The license key itself (AES-256-GCM, bound to tenant and order), for issuing it again later. */
    licenseKeyCiphertext: text("license_key_ciphertext"),
    /** Set when the buyer abandoned the checkout: with no payment the order is expired. */
    expiredAt: timestamp("expired_at", { withTimezone: true }),
    failureReason: text("failure_reason"),
    paidAt: timestamp("paid_at", { withTimezone: true }),
    /**
     * A subscription order: the item's billing period and trial when the buyer checked out (the
     * order's amount_minor is then the renewal price). Null: a one-time order. Editing the item
     * later changes neither.
     */
    billingPeriodDays: integer("billing_period_days"),
    trialPeriodDays: integer("trial_period_days"),
    /** Derived from the membership's reports (null until Whop reports the membership of a subscription). */
    subscriptionState: subscriptionState("subscription_state"),
    /** Whop's `renewal_period_end`: when the current period (or the trial) ends. */
    currentPeriodEnd: timestamp("current_period_end", { withTimezone: true }),
    cancelAtPeriodEnd: boolean("cancel_at_period_end").notNull().default(false),
    /** When the subscription became canceled or expired (churn). */
    subscriptionEndedAt: timestamp("subscription_ended_at", { withTimezone: true }),
    /**
     * A merchant's subscription action (`cancel_at_period_end`, `cancel_now`, `resume`), reserved
     * before Whop is called and shown as requested until Whop's membership event confirms it.
     */
    subscriptionAction: text("subscription_action"),
    /** `reserved` (Whop being called), `requested` (Whop accepted), `unknown` (Whop's answer was lost). */
    subscriptionActionState: text("subscription_action_state"),
    subscriptionActionAt: timestamp("subscription_action_at", { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    foreignKey({ columns: [t.tenantId, t.itemId], foreignColumns: [items.tenantId, items.id] }).onDelete("cascade"),
    // The Subscriptions view (all, or one state), keyset on (created_at, id) like the orders list; MRR reads the state range.
    index("orders_tenant_subscriptions_idx")
      .on(t.tenantId, t.createdAt.desc().nullsFirst(), t.id.desc().nullsFirst())
      .where(sql`billing_period_days is not null`),
    index("orders_tenant_subscription_state_idx")
      .on(t.tenantId, t.subscriptionState, t.createdAt.desc().nullsFirst(), t.id.desc().nullsFirst())
      .where(sql`billing_period_days is not null`),
    // MRR and subscribers: an index-only range per state, whatever the tenant's size.
    index("orders_tenant_mrr_idx")
      .on(t.tenantId, t.subscriptionState, t.currency, t.billingPeriodDays, t.amountMinor)
      .where(sql`billing_period_days is not null`),
    index("orders_tenant_subscription_ended_idx").on(t.tenantId, t.subscriptionEndedAt).where(sql`subscription_ended_at is not null`),
    // DESC NULLS FIRST, as `ORDER BY … DESC` means: an index in another null order cannot serve that ORDER BY (Seq Scan + Sort).
    index("orders_tenant_created_idx").on(t.tenantId, t.createdAt.desc().nullsFirst(), t.id.desc().nullsFirst()),
    index("orders_reuse_idx").on(t.tenantId, t.itemId, t.attemptId, t.createdAt.desc()),
    index("orders_tenant_checkout_idx").on(t.tenantId, t.whopCheckoutId),
    index("orders_tenant_payment_idx").on(t.tenantId, t.whopPaymentId),
    // Membership events and renewals without metadata find their order by its membership.
    index("orders_tenant_membership_idx").on(t.tenantId, t.whopMembershipId),
    // Buyer email search is a case-insensitive prefix match: LIKE 'prefix%' on lower(email) is an index range with text_pattern_ops.
    index("orders_tenant_buyer_email_idx").on(t.tenantId, sql`lower(${t.buyerEmail}) text_pattern_ops`),
    // The dashboard chart and revenue read paid orders of a recent window.
    index("orders_tenant_paid_idx").on(t.tenantId, t.paidAt),
    // The merchant API's access and license checks: one index probe each.
    index("orders_tenant_item_buyer_email_idx").on(t.tenantId, t.itemId, sql`lower(${t.buyerEmail})`),
    index("orders_tenant_item_user_idx").on(t.tenantId, t.itemId, t.whopUserId),
    index("orders_tenant_license_idx").on(t.tenantId, t.licenseKeyHash),
  ],
);

/*
 * The ledger: every Whop payment, refund and dispute is a row of its own, keyed by its Whop id
 * within the tenant, and moves only forward in its own lifecycle. An order's status and amounts
 * are derived from its rows. A refund or dispute whose payment is not known yet waits with no
 * order (order_id null) and joins it when the payment arrives.
 */
export const ledgerPaymentStatus = pgEnum("ledger_payment_status", ["pending", "failed", "succeeded"]);
export const refundStatus = pgEnum("refund_status", ["pending", "requires_action", "succeeded", "failed", "canceled"]);
export const disputePhase = pgEnum("dispute_phase", ["open", "won", "lost", "closed"]);

export const ledgerPayments = pgTable(
  "ledger_payments",
  {
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    /** Whop's payment id (`pay_…`). */
    id: text("id").notNull(),
    orderId: text("order_id").notNull(),
    status: ledgerPaymentStatus("status").notNull(),
    /** What Whop charged (`total`), minor units of `currency`; null when Whop did not say. */
    amountMinor: bigint("amount_minor", { mode: "number" }),
    /** `subtotal`, compared with the order's price. */
    subtotalMinor: bigint("subtotal_minor", { mode: "number" }),
    currency: text("currency"),
    /** Whop's own words, as last reported. */
    whopStatus: text("whop_status"),
    whopSubstatus: text("whop_substatus"),
    billingReason: text("billing_reason"),
    paidAt: timestamp("paid_at", { withTimezone: true }),
    /** Whop's `created_at`: when a renewal was charged (or failed), for the subscription's lifecycle. */
    whopCreatedAt: timestamp("whop_created_at", { withTimezone: true }),
    /**
     * Derived with the order: a succeeded renewal (a `subscription_cycle` payment after the order's
     * first one), so renewal revenue is one range of a partial index, with no join to the order.
     */
    renewal: boolean("renewal").notNull().default(false),
    /** Carried over from the order tally that preceded the ledger. */
    migrated: boolean("migrated").notNull().default(false),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    index("ledger_payments_tenant_order_idx").on(t.tenantId, t.orderId),
    // Revenue of a window (the overview's card), read from the index alone however big the ledger.
    index("ledger_payments_tenant_paid_idx").on(t.tenantId, t.paidAt, t.currency, t.amountMinor, t.orderId).where(sql`status = 'succeeded'`),
    // Renewal revenue and the renewals per day of the overview's chart.
    index("ledger_payments_tenant_renewals_idx").on(t.tenantId, t.paidAt).where(sql`renewal`),
  ],
);

export const ledgerRefunds = pgTable(
  "ledger_refunds",
  {
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    /** Whop's refund id; `migrated_<order id>` for the tally carried over from before the ledger. */
    id: text("id").notNull(),
    orderId: text("order_id"),
    paymentId: text("payment_id").notNull(),
    status: refundStatus("status").notNull(),
    amountMinor: bigint("amount_minor", { mode: "number" }),
    currency: text("currency"),
    migrated: boolean("migrated").notNull().default(false),
    whopCreatedAt: timestamp("whop_created_at", { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    index("ledger_refunds_tenant_order_idx").on(t.tenantId, t.orderId),
    index("ledger_refunds_tenant_payment_idx").on(t.tenantId, t.paymentId),
    // The carried-over tallies, which the overview adds to a window from their own rows.
    index("ledger_refunds_tenant_migrated_idx").on(t.tenantId, t.paymentId).where(sql`migrated`),
  ],
);

export const ledgerDisputes = pgTable(
  "ledger_disputes",
  {
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    id: text("id").notNull(),
    orderId: text("order_id"),
    paymentId: text("payment_id").notNull(),
    phase: disputePhase("phase").notNull(),
    /** Whop's status as last reported (`needs_response`, `under_review`, `won`…). */
    whopStatus: text("whop_status").notNull(),
    amountMinor: bigint("amount_minor", { mode: "number" }),
    currency: text("currency"),
    reason: text("reason"),
    needsResponseBy: timestamp("needs_response_by", { withTimezone: true }),
    migrated: boolean("migrated").notNull().default(false),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    index("ledger_disputes_tenant_order_idx").on(t.tenantId, t.orderId),
    index("ledger_disputes_tenant_payment_idx").on(t.tenantId, t.paymentId),
  ],
);

/*
 * The overview's figures, kept by the database itself: triggers on orders, ledger_payments,
 * ledger_refunds and ledger_disputes (migration 0018_overview_rollups) add each row's change
 * to these rows in the same transaction, so the overview reads a few rows per UTC day instead of
 * every paid order of the window, and no write path can forget them. See lib/overview/queries.ts.
 */
export const overviewDays = pgTable(
  "overview_days",
  {
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    /** The UTC day. */
    day: date("day", { mode: "string" }).notNull(),
    /** The order's currency (paid orders, churn) or the ledger row's (money; none said: usd). */
    currency: text("currency").notNull(),
    /** Orders in a settled status (paid, refunded, disputed…) whose paid_at falls on the day: the chart. */
    paidOrders: integer("paid_orders").notNull().default(0),
    /** Succeeded payments' amounts paid on the day. */
    paidMinor: bigint("paid_minor", { mode: "number" }).notNull().default(0),
    /** Orders whose latest succeeded payment in this currency was on the day (an order counts once per window). */
    payingOrders: integer("paying_orders").notNull().default(0),
    /** Renewal payments paid on the day, and their amounts. */
    renewals: integer("renewals").notNull().default(0),
    renewalMinor: bigint("renewal_minor", { mode: "number" }).notNull().default(0),
    /** Succeeded refunds of the tenant's orders created (by Whop's time) on the day; the carried-over tallies aside. */
    refundedMinor: bigint("refunded_minor", { mode: "number" }).notNull().default(0),
    /** Lost disputes of the tenant's orders, by the day they were decided. */
    lostMinor: bigint("lost_minor", { mode: "number" }).notNull().default(0),
    /** Subscriptions that ended (canceled or expired) on the day. */
    churned: integer("churned").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.day, t.currency] })],
);

/** Subscriptions per currency, billing period and state, with the sum of their prices: MRR and subscribers. */
export const subscriptionTotals = pgTable(
  "subscription_totals",
  {
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    currency: text("currency").notNull(),
    billingPeriodDays: integer("billing_period_days").notNull(),
    state: subscriptionState("state").notNull(),
    subscriptions: integer("subscriptions").notNull().default(0),
    amountMinor: bigint("amount_minor", { mode: "number" }).notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.currency, t.billingPeriodDays, t.state] })],
);

/**
 * A refund the merchant asked for from the dashboard, reserved before Whop is called so that a
 * double click, a second tab or a replayed form post cannot ask twice. Whop's refund POST answers
 * the payment, not the refund: the refund row that follows is matched to the request by payment
 * and amount.
 */
export const refundRequestState = pgEnum("refund_request_state", ["reserved", "requested", "unknown", "failed"]);

export const refundRequests = pgTable(
  "refund_requests",
  {
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    id: text("id").notNull(),
    orderId: text("order_id").notNull(),
    paymentId: text("payment_id").notNull(),
    amountMinor: bigint("amount_minor", { mode: "number" }).notNull(),
    currency: text("currency").notNull(),
    state: refundRequestState("state").notNull().default("reserved"),
    /** Set once a refund row of Whop's matches this request. */
    whopRefundId: text("whop_refund_id"),
    reason: text("reason"),
    requestedByUserId: text("requested_by_user_id"),
    /** What Whop said when it refused, for the order page. */
    failure: text("failure"),
    createdAt: createdAt(),
    settledAt: timestamp("settled_at", { withTimezone: true }),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] }), index("refund_requests_tenant_order_idx").on(t.tenantId, t.orderId)],
);

export const signatureScheme = pgEnum("signature_scheme", ["standard", "legacy", "bare", "reconcile"]);
export const webhookResult = pgEnum("webhook_result", ["applied", "ignored", "failed"]);

/**
 * Every verified webhook event, once: unique on (tenant, event key). A repeated delivery only
 * bumps `duplicates`. Reconciliation records what it read from Whop here too (scheme "reconcile").
 */
export const webhookEvents = pgTable(
  "webhook_events",
  {
    id: bigserial("id", { mode: "number" }).notNull(),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    eventKey: text("event_key").notNull(),
    eventType: text("event_type").notNull(),
    scheme: signatureScheme("scheme").notNull(),
    result: webhookResult("result").notNull(),
    /** Why it was ignored or failed, or what it changed. */
    detail: text("detail"),
    orderId: text("order_id"),
    /** The raw body exactly as received (verified). */
    payload: text("payload").notNull(),
    duplicates: integer("duplicates").notNull().default(0),
    receivedAt: timestamp("received_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    lastDuplicateAt: timestamp("last_duplicate_at", { withTimezone: true }),
    /**
     * When it was applied to the ledger. A delivery is answered once its event is recorded (with
     * this null) and applied right after; a row written whole (reconciliation) is applied as written.
     */
    appliedAt: timestamp("applied_at", { withTimezone: true, precision: 3 }).defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    uniqueIndex("webhook_events_tenant_key").on(t.tenantId, t.eventKey),
    // The sweep's work list: the few events recorded but not applied yet, oldest first.
    index("webhook_events_unapplied_idx").on(t.receivedAt).where(sql`applied_at is null`),
    index("webhook_events_tenant_received_idx").on(t.tenantId, t.receivedAt.desc().nullsFirst(), t.id.desc().nullsFirst()),
    index("webhook_events_tenant_order_idx").on(t.tenantId, t.orderId),
  ],
);

/** Deliveries whose signature failed, counted per tenant and hour (their bodies are never stored). */
export const webhookRejections = pgTable(
  "webhook_rejections",
  {
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    hour: timestamp("hour", { withTimezone: true }).notNull(),
    count: integer("count").notNull().default(0),
    lastReason: text("last_reason"),
    lastAt: timestamp("last_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.hour] })],
);

/**
 * Tokens for the merchant's own apps (the `/api/v1` merchant API). Only a SHA-256 of the token is
 * stored: the merchant sees the token once, at creation.
 */
export const apiTokens = pgTable(
  "api_tokens",
  {
    id: text("id").notNull(),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    /** SHA-256 (hex) of the whole token; unique across tenants through api_token_hashes. */
    tokenHash: text("token_hash").notNull(),
    /** Last four characters of the token. */
    tokenHint: text("token_hint").notNull(),
    /**
     * What the token may do (lib/api/scopes.ts), chosen at creation. The default is every scope:
     * the tokens made before scopes existed keep what they could do; new tokens always name theirs.
     */
    scopes: text("scopes")
      .array()
      .notNull()
      .default(sql`'{orders:read,access:read,events:read,licenses:write}'::text[]`),
    createdByUserId: text("created_by_user_id"),
    createdAt: createdAt(),
    /** Refreshed at most once a minute, so that using a token is not a write per request. */
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    index("api_tokens_tenant_created_idx").on(t.tenantId, t.createdAt.desc()),
  ],
);

/** Global lookup: a publishable key (`whp_…`, public by design, so kept as it is) → its tenant. Only the current key has a row. */
export const publishableKeys = pgTable(
  "publishable_keys",
  {
    key: text("key").primaryKey(),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    createdAt: createdAt(),
  },
  (t) => [index("publishable_keys_tenant_idx").on(t.tenantId)],
);

/**
 * A license in use on one of the buyer's machines (POST /api/v1/licenses/activate). Live until
 * deactivated (by the app, or the merchant's Reset activations); the item's Activation limit
 * counts the live ones of an order, under the order's row lock.
 */
export const licenseActivations = pgTable(
  "license_activations",
  {
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    id: text("id").notNull(),
    orderId: text("order_id").notNull(),
    instanceName: text("instance_name").notNull(),
    createdAt: createdAt(),
    deactivatedAt: timestamp("deactivated_at", { withTimezone: true }),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    foreignKey({ columns: [t.tenantId, t.orderId], foreignColumns: [orders.tenantId, orders.id] }).onDelete("cascade"),
    index("license_activations_tenant_order_idx").on(t.tenantId, t.orderId).where(sql`deactivated_at is null`),
  ],
);

/**
 * Global lookup: a token's SHA-256 → its token row, which the merchant API authenticates by. Kept
 * when the token is revoked (the token row says so), gone with the row.
 */
export const apiTokenHashes = pgTable(
  "api_token_hashes",
  {
    tokenHash: text("token_hash").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    tokenId: text("token_id").notNull(),
  },
  (t) => [
    foreignKey({ columns: [t.tenantId, t.tokenId], foreignColumns: [apiTokens.tenantId, apiTokens.id] }).onDelete("cascade"),
    index("api_token_hashes_tenant_token_idx").on(t.tenantId, t.tokenId),
  ],
);

/*
 * The merchant's own webhooks (lib/outbound): a transactional outbox. Every change of an order
 * writes its events (outbound_events, also the merchant API's events feed) and, for each enabled
 * endpoint subscribed to the type, a delivery row in the transaction that changes the order; the
 * job queue then attempts each delivery and logs every attempt.
 */

/** A transaction id (`xid8`): the events feed shows an event only once no older transaction can still commit one. */
const xid8 = customType<{ data: string; driverData: string }>({ dataType: () => "xid8" });

export const outboundEvents = pgTable(
  "outbound_events",
  {
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    /** `evt_…`: the `webhook-id` of every delivery of this event. */
    id: text("id").notNull(),
    /** `order.paid`, `membership.deactivated`… (`webhook.test` for a test event, which the feed leaves out). */
    type: text("type").notNull(),
    orderId: text("order_id"),
    /** The event JSON exactly as delivered: `{ id, type, created_at, data }`. */
    payload: text("payload").notNull(),
    /** The writing transaction, for the feed's order and visibility. */
    txid: xid8("txid").notNull().default(sql`pg_current_xact_id()`),
    /** Order within one transaction. */
    seq: bigserial("seq", { mode: "number" }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    index("outbound_events_tenant_feed_idx").on(t.tenantId, t.txid, t.seq),
    index("outbound_events_tenant_order_idx").on(t.tenantId, t.orderId),
  ],
);

export const webhookEndpoints = pgTable(
  "webhook_endpoints",
  {
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    /** `we_…` */
    id: text("id").notNull(),
    url: text("url").notNull(),
    /** The event types it receives. */
    eventTypes: text("event_types").array().notNull(),
    enabled: boolean("enabled").notNull().default(true),
    /** Why it is disabled: `merchant` (by hand) or `failing` (every attempt failed for 3 days). */
    disabledReason: text("disabled_reason"),
    disabledAt: timestamp("disabled_at", { withTimezone: true }),
    /** The first failed attempt since the last successful one; null while deliveries succeed. */
    failingSince: timestamp("failing_since", { withTimezone: true }),
    /** The signing secret (`whsec_…`), AES-256-GCM bound to tenant, field and endpoint. */
    secretCiphertext: text("secret_ciphertext").notNull(),
    /** The secret before the last rotation, which also signs until previous_secret_expires_at. */
    previousSecretCiphertext: text("previous_secret_ciphertext"),
    previousSecretExpiresAt: timestamp("previous_secret_expires_at", { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] }), index("webhook_endpoints_tenant_created_idx").on(t.tenantId, t.createdAt)],
);

export const webhookDeliveryState = pgEnum("webhook_delivery_state", ["pending", "sending", "delivered", "failed", "canceled"]);

/** One event to one endpoint: its state, attempts and next attempt. */
export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    /** `whd_…` */
    id: text("id").notNull(),
    eventId: text("event_id").notNull(),
    endpointId: text("endpoint_id").notNull(),
    state: webhookDeliveryState("state").notNull().default("pending"),
    /** Attempts made, ever (the attempt number of the log). */
    attempts: integer("attempts").notNull().default(0),
    /** Failed attempts since the delivery was last (re)started: the step of the retry schedule. */
    retryStep: integer("retry_step").notNull().default(0),
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true }),
    /** While `sending`: until when the attempt holds the delivery (a crashed worker's attempt expires). */
    leaseUntil: timestamp("lease_until", { withTimezone: true }),
    lastStatus: integer("last_status"),
    lastError: text("last_error"),
    deliveredAt: timestamp("delivered_at", { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    uniqueIndex("webhook_deliveries_tenant_event_endpoint_key").on(t.tenantId, t.eventId, t.endpointId),
    index("webhook_deliveries_tenant_endpoint_state_idx").on(t.tenantId, t.endpointId, t.state),
    foreignKey({ columns: [t.tenantId, t.eventId], foreignColumns: [outboundEvents.tenantId, outboundEvents.id] }).onDelete("cascade"),
    foreignKey({ columns: [t.tenantId, t.endpointId], foreignColumns: [webhookEndpoints.tenantId, webhookEndpoints.id] }).onDelete("cascade"),
  ],
);

/** Every attempt of every delivery: the delivery log. */
export const webhookDeliveryAttempts = pgTable(
  "webhook_delivery_attempts",
  {
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    id: bigserial("id", { mode: "number" }).notNull(),
    deliveryId: text("delivery_id").notNull(),
    endpointId: text("endpoint_id").notNull(),
    eventId: text("event_id").notNull(),
    eventType: text("event_type").notNull(),
    attempt: integer("attempt").notNull(),
    /** The HTTP status; null when no response came (timeout, refused address, connection error). */
    status: integer("status"),
    /** Why it failed without a status, or what the status means. */
    error: text("error"),
    durationMs: integer("duration_ms").notNull(),
    /** The first 1 KiB of the response body. */
    responseBody: text("response_body"),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    index("webhook_delivery_attempts_tenant_endpoint_idx").on(t.tenantId, t.endpointId, t.createdAt.desc().nullsFirst(), t.id.desc().nullsFirst()),
    index("webhook_delivery_attempts_tenant_delivery_idx").on(t.tenantId, t.deliveryId),
    foreignKey({ columns: [t.tenantId, t.deliveryId], foreignColumns: [webhookDeliveries.tenantId, webhookDeliveries.id] }).onDelete("cascade"),
  ],
);

export type Account = typeof accounts.$inferSelect;
export type Tenant = typeof tenants.$inferSelect;
export type WebhookEvent = typeof webhookEvents.$inferSelect;
export type Item = typeof items.$inferSelect;
export type Order = typeof orders.$inferSelect;
export type Problem = typeof problems.$inferSelect;
export type User = typeof users.$inferSelect;
export type AuditEntry = typeof auditLog.$inferSelect;
export type ApiToken = typeof apiTokens.$inferSelect;
export type LicenseActivation = typeof licenseActivations.$inferSelect;
export type LedgerPayment = typeof ledgerPayments.$inferSelect;
export type LedgerRefund = typeof ledgerRefunds.$inferSelect;
export type LedgerDispute = typeof ledgerDisputes.$inferSelect;
export type RefundRequest = typeof refundRequests.$inferSelect;
export type OutboundEvent = typeof outboundEvents.$inferSelect;
export type WebhookEndpoint = typeof webhookEndpoints.$inferSelect;
export type WebhookDelivery = typeof webhookDeliveries.$inferSelect;
export type WebhookDeliveryAttempt = typeof webhookDeliveryAttempts.$inferSelect;

export * from "./schema-auth";
export * from "./environment";
