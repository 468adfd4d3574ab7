import { newApiKey, newId } from "./ids";

export const ALL_COMPANY_PERMISSIONS = [
  "company:basic:read",
  "access_pass:create",
  "access_pass:basic:read",
  "plan:create",
  "plan:basic:read",
  "checkout_configuration:create",
  "checkout_configuration:basic:read",
  "payment:basic:read",
  "payment:manage",
  "payment:dispute:read",
  "member:basic:read",
  "membership:cancel",
  "developer:manage_webhook",
] as const;

export type Permission = (typeof ALL_COMPANY_PERMISSIONS)[number];

export type Credential =
  | { kind: "company"; key: string; companyId: string; permissions: ReadonlySet<Permission> }
  | { kind: "user"; key: string; userId: string };

export interface Company {
  id: string;
  title: string;
  route: string;
  /** Sandbox-only: products created for this company get Whop Software Licensing. */
  licensedProducts: boolean;
  createdAt: Date;
}

export interface Product {
  id: string;
  companyId: string;
  title: string;
  description: string | null;
  externalIdentifier: string | null;
  visibility: string;
  route: string;
  metadata: Record<string, unknown>;
  /** Has a Whop Software Licensing experience: its memberships get a `license_key`. Sandbox control only. */
  licensing: boolean;
  createdAt: Date;
}

/** What a plan is made of, as created (validation.ts parses requests into these fields). */
export interface PlanFields {
  title: string | null;
  description: string | null;
  planType: "one_time" | "renewal";
  currency: string;
  initialPrice: number;
  renewalPrice: number;
  billingPeriod: number | null;
  expirationDays: number | null;
  trialPeriodDays: number | null;
  visibility: string;
  releaseMethod: string;
  internalNotes: string | null;
  metadata: Record<string, unknown>;
}

export interface Plan extends PlanFields {
  id: string;
  companyId: string;
  productId: string;
  createdAt: Date;
}

export interface CheckoutConfiguration {
  id: string;
  companyId: string;
  planId: string;
  metadata: Record<string, unknown>;
  redirectUrl: string | null;
  affiliateCode: string | null;
  /** Which request shape created it: decides `company_id` vs `account_id` in responses. */
  dated: boolean;
  paidPaymentId: string | null;
  /** The membership the purchase made (a free trial makes one without a payment). */
  membershipId: string | null;
  createdAt: Date;
}

export interface User {
  id: string;
  email: string;
  username: string;
  name: string;
}

export type PaymentStatus = "paid" | "open";
/** What a payment was charged as; refunds and disputes are derived from their own records (see standing.ts). */
export type PaymentChargeOutcome = "succeeded" | "failed";
export type BillingReason = "one_time" | "subscription_create" | "subscription_cycle";

export interface Payment {
  id: string;
  companyId: string;
  planId: string;
  productId: string;
  userId: string;
  membershipId: string | null;
  checkoutConfigurationId: string | null;
  currency: string;
  total: number;
  subtotal: number;
  usdTotal: number;
  status: PaymentStatus;
  charge: PaymentChargeOutcome;
  billingReason: BillingReason;
  failureMessage: string | null;
  metadata: Record<string, unknown>;
  createdAt: Date;
  paidAt: Date | null;
  updatedAt: Date;
}

export type MembershipStatus = "trialing" | "active" | "past_due" | "completed" | "canceled" | "expired";

export interface Membership {
  id: string;
  companyId: string;
  planId: string;
  productId: string;
  userId: string;
  checkoutConfigurationId: string | null;
  /** `trialing` during a free trial, `past_due` after a failed renewal, `canceled` / `expired` once ended. */
  status: MembershipStatus;
  /** Set by a cancellation with mode `at_period_end`. */
  cancelAtPeriodEnd: boolean;
  canceledAt: Date | null;
  /** Null unless the product has Whop Software Licensing when the membership is created. */
  licenseKey: string | null;
  metadata: Record<string, unknown>;
  currency: string;
  /** Days per period of a renewal plan (null: one-time). */
  billingPeriodDays: number | null;
  /** Charged each period (renewal plans). */
  renewalPrice: number;
  /** The current billing period (or the trial) of a renewal plan; null for one-time plans. */
  renewalPeriodStart: Date | null;
  renewalPeriodEnd: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export type RefundStatus = "pending" | "requires_action" | "succeeded" | "failed" | "canceled";

export interface Refund {
  id: string;
  companyId: string;
  paymentId: string;
  amount: number;
  currency: string;
  status: RefundStatus;
  createdAt: Date;
  updatedAt: Date;
}

export type DisputeStatus = "needs_response" | "under_review" | "won" | "lost" | "closed";

export interface Dispute {
  id: string;
  companyId: string;
  paymentId: string;
  amount: number;
  currency: string;
  reason: string;
  status: DisputeStatus;
  needsResponseBy: Date;
  createdAt: Date;
  updatedAt: Date;
}

export type WebhookApiVersion = "v1" | "v2" | "v5";

export interface WebhookEndpoint {
  id: string;
  companyId: string;
  url: string;
  apiVersion: WebhookApiVersion;
  enabled: boolean;
  events: string[];
  secret: string;
  childResourceEvents: boolean;
  createdAt: Date;
}

export interface DeliveryAttempt {
  id: number;
  messageId: string;
  webhookId: string;
  companyId: string;
  url: string;
  eventType: string;
  apiVersion: WebhookApiVersion;
  attempt: number;
  statusCode: number | null;
  error: string | null;
  delivered: boolean;
  startedAt: Date;
  finishedAt: Date | null;
  nextRetryAt: Date | null;
}

export interface IdempotentResponse {
  fingerprint: string;
  status: number;
  body: unknown;
}

export interface SandboxSeed {
  companyId: string;
  companyTitle: string;
  companyKey: string;
  userKey: string;
  /** A valid company key lacking permissions. */
  restrictedKey: string;
  /** A company key with every permission except `developer:manage_webhook`. */
  noWebhookKey: string;
  /** A second company, for the app's Test mode: the demo points Live and Test at this one sandbox, each with a company of its own. */
  testCompanyId: string;
  testCompanyTitle: string;
  testCompanyKey: string;
}

/** Constant so that the demo and e2e tests can rely on them across runs. */
export const DEMO_SEED: SandboxSeed = {
  companyId: "biz_DemoCompany001",
  companyTitle: "Demo Company",
  companyKey: "apik_demo_Q7nV2xKc9LmR4tWp8ZsY6bHd3FgJ1aEu",
  userKey: "apik_demo_U5rK8mW2qN7vT4xC1zL9pB6hD3sF0gJy",
  restrictedKey: "apik_demo_R2eS5tR9iC4tE7dK1yN8oP3eR6mZ0qXw",
  noWebhookKey: "apik_demo_N4oW8eB2hO6oK9kE3yM7aN1aG5eZ0rTs",
  testCompanyId: "biz_DemoTestCo0001",
  testCompanyTitle: "Demo Test Company",
  testCompanyKey: "apik_demo_T3sT7mO4dE8kY2qW6nC1vB9xZ5pL0rHj",
};
const DEMO_USER_ID = "user_DemoOwnerUser";
const DEMO_CREATED_AT = new Date("2025-01-15T12:00:00.000Z");

export interface CompanyKeys {
  companyKey: string;
  restrictedKey: string;
  noWebhookKey: string;
  userKey: string;
}

/** Everything the sandbox knows, in memory, for one run. */
export class SandboxState {
  companies = new Map<string, Company>();
  credentials = new Map<string, Credential>();
  users = new Map<string, User>();
  products = new Map<string, Product>();
  plans = new Map<string, Plan>();
  checkoutConfigurations = new Map<string, CheckoutConfiguration>();
  payments = new Map<string, Payment>();
  memberships = new Map<string, Membership>();
  refunds = new Map<string, Refund>();
  disputes = new Map<string, Dispute>();
  webhooks = new Map<string, WebhookEndpoint>();
  /** Product used by dated plans created without `product_id`, per company. */
  defaultProductIds = new Map<string, string>();
  deliveries: DeliveryAttempt[] = [];
  idempotency = new Map<string, IdempotentResponse>();

  constructor() {
    this.seedDemoCompany();
  }

  reset(): void {
    for (const map of [
      this.companies,
      this.credentials,
      this.users,
      this.products,
      this.plans,
      this.checkoutConfigurations,
      this.payments,
      this.memberships,
      this.refunds,
      this.disputes,
      this.webhooks,
      this.defaultProductIds,
      this.idempotency,
    ]) {
      map.clear();
    }
    this.deliveries = [];
    this.seedDemoCompany();
  }

  createCompany(
    title: string,
    keys?: CompanyKeys,
    id = newId("biz"),
    createdAt = new Date(),
    licensedProducts = false,
  ): {
    company: Company;
    keys: CompanyKeys;
  } {
    const company: Company = { id, title, route: routeFrom(title, id), licensedProducts, createdAt };
    this.companies.set(company.id, company);
    const companyKeys = keys ?? {
      companyKey: newApiKey(),
      restrictedKey: newApiKey(),
      noWebhookKey: newApiKey(),
      userKey: newApiKey(),
    };
    const everything = new Set<Permission>(ALL_COMPANY_PERMISSIONS);
    const allButWebhooks = new Set<Permission>(ALL_COMPANY_PERMISSIONS.filter((p) => p !== "developer:manage_webhook"));
    this.addCompanyKey(companyKeys.companyKey, company.id, everything);
    this.addCompanyKey(companyKeys.restrictedKey, company.id, new Set());
    this.addCompanyKey(companyKeys.noWebhookKey, company.id, allButWebhooks);
    const owner = this.findOrCreateUser(`owner@${company.route}.example`);
    this.credentials.set(companyKeys.userKey, { kind: "user", key: companyKeys.userKey, userId: owner.id });
    return { company, keys: companyKeys };
  }

  addCompanyKey(key: string, companyId: string, permissions: ReadonlySet<Permission>): void {
    this.credentials.set(key, { kind: "company", key, companyId, permissions });
  }

  findOrCreateUser(email: string, id?: string): User {
    const normalized = email.trim().toLowerCase();
    for (const user of this.users.values()) if (user.email === normalized) return user;
    const local = normalized.split("@")[0] ?? "buyer";
    const username = local.replace(/[^a-z0-9_]/g, "") || "buyer";
    const user: User = { id: id ?? newId("user"), email: normalized, username, name: capitalize(username) };
    this.users.set(user.id, user);
    return user;
  }

  private seedDemoCompany(): void {
    const { companyKey, restrictedKey, noWebhookKey, userKey } = DEMO_SEED;
    this.findOrCreateUser("owner@demo-company.example", DEMO_USER_ID);
    this.createCompany(
      DEMO_SEED.companyTitle,
      { companyKey, restrictedKey, noWebhookKey, userKey },
      DEMO_SEED.companyId,
      DEMO_CREATED_AT,
    );
    const testKeys = { companyKey: DEMO_SEED.testCompanyKey, restrictedKey: newApiKey(), noWebhookKey: newApiKey(), userKey: newApiKey() };
    this.createCompany(DEMO_SEED.testCompanyTitle, testKeys, DEMO_SEED.testCompanyId, DEMO_CREATED_AT);
  }
}

function routeFrom(title: string, id: string): string {
  const slug = title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");
  return slug === "demo-company" ? slug : `${slug || "company"}-${id.slice(-4).toLowerCase()}`;
}

function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}
