import type { WhopEnvironment } from "./environment";
import { unexpectedResponse, WhopApiError, type WhopCallContext } from "./errors";
import {
  absolutePurchaseUrl,
  accountSchema,
  checkoutConfigurationSchema,
  disputeSchema,
  membershipSchema,
  paymentSchema,
  parseOrThrow,
  parsePage,
  productSchema,
  refundSchema,
  toCompany,
  toDispute,
  toMembership,
  toPayment,
  toRefund,
  toWebhookEndpoint,
  webhookEndpointSchema,
  webhookSchema,
  type WhopCheckoutConfiguration,
  type WhopCompany,
  type WhopDispute,
  type WhopMembership,
  type WhopPage,
  type WhopPayment,
  type WhopRefund,
  type WhopWebhook,
  type WhopWebhookEndpoint,
} from "./schemas";
import { createWhopTransport, type WhopTransportOptions } from "./transport";

/**
 * The one Whop client: every call the product makes to Whop goes through here.
 * It speaks the dated v1 API (the shape `@whop/sdk` 0.0.42 sends), retries what is safe to
 * retry, and turns every failure into a `WhopApiError` whose `kind` callers can switch on.
 * The endpoints live here; the error type in `./errors.ts`, the HTTP mechanics in
 * `./transport.ts`, the response shapes in `./schemas.ts`. Merchant-facing wording lives in
 * `./messages.ts`.
 */

export { WhopApiError, isWhopApiError, extractPermissions, parseWhopErrorBody } from "./errors";
export { WHOP_PRODUCTION_API_ORIGIN, WHOP_SANDBOX_API_ORIGIN, whopApiOriginFor } from "./environment";
export type { WhopApiErrorInit, WhopErrorKind } from "./errors";
export { WHOP_API_VERSION_DATE } from "./transport";
export { WHOP_CHECKOUT_ORIGIN, absolutePurchaseUrl } from "./schemas";
export type {
  WhopCheckoutConfiguration,
  WhopCompany,
  WhopDispute,
  WhopMembership,
  WhopPage,
  WhopPayment,
  WhopRefund,
  WhopWebhook,
  WhopWebhookEndpoint,
} from "./schemas";

export type { WhopEnvironment } from "./environment";

export type WhopClientOptions = WhopTransportOptions;

export interface CreateCheckoutConfigurationInput {
  idempotencyKey: string;
  accountId?: string;
  plan: {
    /** Lowercase ISO 4217. */
    currency: string;
    /** Decimal major units (29.99 = $29.99). On a renewal plan, see `renewalPlanPrices`. */
    initialPrice: number;
    /** A subscription: a `renewal` plan billing every `billingPeriodDays`; absent: a `one_time` plan. */
    renewal?: {
      billingPeriodDays: number;
      /** Decimal major units charged each period. */
      renewalPrice: number;
      trialPeriodDays?: number;
    };
    /** Whop includes the plan's metadata in the payment and membership webhooks (renewals too). */
    metadata?: Record<string, string>;
    /** Whop rejects more than 30 characters; the caller cuts. */
    title: string;
    description?: string;
    productId?: string;
    visibility?: "hidden" | "visible";
  };
  metadata: Record<string, string>;
  redirectUrl: string;
}

export interface CreateProductInput {
  /** Makes a retried create safe: Whop answers the original product. */
  idempotencyKey: string;
  /** Whop allows 80 characters; the caller cuts. */
  title: string;
  accountId?: string;
}

export interface CreateWebhookInput {
  url: string;
  /** `biz_…`; required with a company key. */
  resourceId: string;
  events: string[];
  apiVersion?: "v1";
}

/**
 * No idempotency key: Whop declares none for refunds, so a repeated POST could refund twice. The
 * client sends it once; after an uncertain failure the caller reads the payment's refunds back.
 */
export interface RefundPaymentInput {
  paymentId: string;
  /** Decimal major units; omit for a full refund of what is left. */
  partialAmount?: number;
}

export type MembershipCancellationMode = "at_period_end" | "immediate";

export interface CancelMembershipInput {
  membershipId: string;
  mode: MembershipCancellationMode;
  idempotencyKey?: string;
}

/** Withdraws a cancellation at period end. No idempotency key: sent once. */
export interface UncancelMembershipInput {
  membershipId: string;
}

export interface ListPaymentsInput {
  companyId: string;
  createdAfter?: Date;
  /** Only this plan's payments (`plan_ids`): each order has a plan of its own, so a subscription's renewals. */
  planId?: string;
  first?: number;
  after?: string;
}

/** Give `paymentId`, `companyId` or both. */
export interface ListRefundsInput {
  paymentId?: string;
  companyId?: string;
  first?: number;
  after?: string;
}

export interface ListDisputesInput {
  companyId: string;
  /**
   * Keeps only this payment's disputes. Whop's list declares no such filter, so it is applied to
   * each page here; page info stays Whop's (a page may come back empty with more to read).
   */
  paymentId?: string;
  first?: number;
  after?: string;
}

export interface UpdateWebhookInput {
  /** `hook_…` */
  id: string;
  /** Replaces the webhook's whole list. */
  events?: string[];
  enabled?: boolean;
}

export interface ListWebhooksInput {
  companyId: string;
  first?: number;
  after?: string;
}

export interface WhopClient {
  getCompany(): Promise<WhopCompany>;
  createCheckoutConfiguration(input: CreateCheckoutConfigurationInput): Promise<WhopCheckoutConfiguration>;
  createProduct(input: CreateProductInput): Promise<{ id: string }>;
  createWebhook(input: CreateWebhookInput): Promise<WhopWebhook>;
  getPayment(id: string): Promise<WhopPayment>;
  listPayments(input: ListPaymentsInput): Promise<WhopPage<WhopPayment>>;
  refundPayment(input: RefundPaymentInput): Promise<WhopPayment>;
  listRefunds(input: ListRefundsInput): Promise<WhopPage<WhopRefund>>;
  getRefund(id: string): Promise<WhopRefund>;
  listDisputes(input: ListDisputesInput): Promise<WhopPage<WhopDispute>>;
  getMembership(id: string): Promise<WhopMembership>;
  cancelMembership(input: CancelMembershipInput): Promise<WhopMembership>;
  uncancelMembership(input: UncancelMembershipInput): Promise<WhopMembership>;
  /** The secret stays: Whop keeps signing with the one shown at creation. */
  updateWebhook(input: UpdateWebhookInput): Promise<{ id: string; events: string[] }>;
  getWebhook(id: string): Promise<WhopWebhookEndpoint>;
  listWebhooks(input: ListWebhooksInput): Promise<WhopPage<WhopWebhookEndpoint>>;
}

export function createWhopClient(opts: WhopClientOptions): WhopClient {
  const { request } = createWhopTransport(opts);
  const environment: WhopEnvironment | undefined = opts.environment;
  const call = (label: string): WhopCallContext => ({ label, environment });

  async function getCompanyV1(): Promise<WhopCompany> {
    const path = "/api/v1/accounts/me";
    const { status, json } = await request({ method: "GET", path });
    const account = parseOrThrow(accountSchema, json, call(`GET ${path}`), status);
    if (!account.id.startsWith("biz_")) {
      const prefix = account.id.split("_")[0] ?? "unknown";
      throw new WhopApiError({
        kind: "forbidden",
        environment,
        message: `This key belongs to a ${prefix}_ account, not a company (biz_): it is not a company API key`,
        notCompanyKey: true,
      });
    }
    return toCompany(account, "v1");
  }

  async function getCompanyV5(): Promise<WhopCompany> {
    const path = "/api/v5/company";
    const { status, json } = await request({ method: "GET", path });
    const account = parseOrThrow(accountSchema, json, call(`GET ${path}`), status);
    if (!account.id.startsWith("biz_")) {
      throw new WhopApiError({
        kind: "forbidden",
        environment,
        message: "This key does not belong to a company (biz_): it is not a company API key",
        notCompanyKey: true,
      });
    }
    return toCompany(account, "v5");
  }

  return {
    async getCompany() {
      try {
        return await getCompanyV1();
      } catch (err) {
        // Older deployments have no /me; v5 still answers there.
        if (err instanceof WhopApiError && err.kind === "not_found") return getCompanyV5();
        throw err;
      }
    },

    async createCheckoutConfiguration(input) {
      const path = "/api/v1/checkout_configurations";
      const plan: Record<string, unknown> = {
        ...(input.accountId !== undefined && { account_id: input.accountId }),
        currency: input.plan.currency.toLowerCase(),
        plan_type: input.plan.renewal ? "renewal" : "one_time",
        initial_price: input.plan.initialPrice,
        ...(input.plan.renewal && {
          renewal_price: input.plan.renewal.renewalPrice,
          billing_period: input.plan.renewal.billingPeriodDays,
          ...(input.plan.renewal.trialPeriodDays ? { trial_period_days: input.plan.renewal.trialPeriodDays } : {}),
        }),
        title: input.plan.title,
        ...(input.plan.description !== undefined && { description: input.plan.description }),
        visibility: input.plan.visibility ?? "hidden",
        ...(input.plan.productId !== undefined && { product_id: input.plan.productId }),
        ...(input.plan.metadata !== undefined && { metadata: input.plan.metadata }),
        // Without it Whop may hand back an existing matching plan, and its metadata with it.
        force_create_new_plan: true,
      };
      const body = {
        ...(input.accountId !== undefined && { account_id: input.accountId }),
        plan,
        metadata: input.metadata,
        redirect_url: input.redirectUrl,
      };
      const { status, json } = await request({ method: "POST", path, body, idempotencyKey: input.idempotencyKey });
      const parsed = parseOrThrow(checkoutConfigurationSchema, json, call(`POST ${path}`), status);
      const planId = parsed.plan?.id ?? parsed.plan_id;
      if (!planId) throw unexpectedResponse(call(`POST ${path}`), status, "plan.id");
      return { id: parsed.id, planId, purchaseUrl: absolutePurchaseUrl(parsed.purchase_url), raw: json };
    },

    async createProduct(input) {
      const path = "/api/v1/products";
      const body = { title: input.title, ...(input.accountId ? { account_id: input.accountId } : {}) };
      const { status, json } = await request({ method: "POST", path, body, idempotencyKey: input.idempotencyKey });
      return { id: parseOrThrow(productSchema, json, call(`POST ${path}`), status).id };
    },

    async createWebhook(input) {
      const path = "/api/v1/webhooks";
      const body = {
        url: input.url,
        api_version: input.apiVersion ?? "v1",
        enabled: true,
        events: input.events,
        resource_id: input.resourceId,
      };
      // No idempotency key: a retried POST could create a second webhook, so it is not retried.
      const { status, json } = await request({ method: "POST", path, body });
      const parsed = parseOrThrow(webhookSchema, json, call(`POST ${path}`), status);
      return { id: parsed.id, secret: parsed.webhook_secret };
    },

    async getPayment(id) {
      const path = `/api/v1/payments/${encodeURIComponent(id)}`;
      const { status, json } = await request({ method: "GET", path });
      return toPayment(parseOrThrow(paymentSchema, json, call(`GET ${path}`), status), json);
    },

    async listPayments(input) {
      const path = "/api/v1/payments";
      const { status, json } = await request({
        method: "GET",
        path,
        query: {
          company_id: input.companyId,
          created_after: input.createdAfter?.toISOString(),
          plan_ids: input.planId,
          first: input.first,
          after: input.after,
        },
      });
      return parsePage(json, call(`GET ${path}`), status, { schema: paymentSchema, map: toPayment });
    },

    async refundPayment(input) {
      const path = `/api/v1/payments/${encodeURIComponent(input.paymentId)}/refund`;
      const body = input.partialAmount === undefined ? {} : { partial_amount: input.partialAmount };
      const { status, json } = await request({ method: "POST", path, body, once: true });
      return toPayment(parseOrThrow(paymentSchema, json, call(`POST ${path}`), status), json);
    },

    async listRefunds(input) {
      const path = "/api/v1/refunds";
      const { status, json } = await request({
        method: "GET",
        path,
        query: { payment_id: input.paymentId, company_id: input.companyId, first: input.first, after: input.after },
      });
      return parsePage(json, call(`GET ${path}`), status, { schema: refundSchema, map: toRefund });
    },

    async getRefund(id) {
      const path = `/api/v1/refunds/${encodeURIComponent(id)}`;
      const { status, json } = await request({ method: "GET", path });
      return toRefund(parseOrThrow(refundSchema, json, call(`GET ${path}`), status), json);
    },

    async listDisputes(input) {
      const path = "/api/v1/disputes";
      const { status, json } = await request({
        method: "GET",
        path,
        query: { company_id: input.companyId, first: input.first, after: input.after },
      });
      const page = parsePage(json, call(`GET ${path}`), status, { schema: disputeSchema, map: toDispute });
      if (input.paymentId === undefined) return page;
      return { ...page, data: page.data.filter((dispute) => dispute.paymentId === input.paymentId) };
    },

    async getMembership(id) {
      const path = `/api/v1/memberships/${encodeURIComponent(id)}`;
      const { status, json } = await request({ method: "GET", path });
      return toMembership(parseOrThrow(membershipSchema, json, call(`GET ${path}`), status), json);
    },

    async cancelMembership(input) {
      const path = `/api/v1/memberships/${encodeURIComponent(input.membershipId)}/cancel`;
      const body = { cancellation_mode: input.mode };
      const { status, json } = await request({ method: "POST", path, body, idempotencyKey: input.idempotencyKey });
      return toMembership(parseOrThrow(membershipSchema, json, call(`POST ${path}`), status), json);
    },

    async uncancelMembership(input) {
      const path = `/api/v1/memberships/${encodeURIComponent(input.membershipId)}/uncancel`;
      const { status, json } = await request({ method: "POST", path, body: {}, once: true });
      return toMembership(parseOrThrow(membershipSchema, json, call(`POST ${path}`), status), json);
    },

    async updateWebhook(input) {
      const path = `/api/v1/webhooks/${encodeURIComponent(input.id)}`;
      const body = {
        ...(input.events !== undefined && { events: input.events }),
        ...(input.enabled !== undefined && { enabled: input.enabled }),
      };
      const { status, json } = await request({ method: "PATCH", path, body });
      const hook = toWebhookEndpoint(parseOrThrow(webhookEndpointSchema, json, call(`PATCH ${path}`), status));
      return { id: hook.id, events: hook.events };
    },

    async getWebhook(id) {
      const path = `/api/v1/webhooks/${encodeURIComponent(id)}`;
      const { status, json } = await request({ method: "GET", path });
      return toWebhookEndpoint(parseOrThrow(webhookEndpointSchema, json, call(`GET ${path}`), status));
    },

    async listWebhooks(input) {
      const path = "/api/v1/webhooks";
      const { status, json } = await request({
        method: "GET",
        path,
        query: { company_id: input.companyId, first: input.first, after: input.after },
      });
      return parsePage(json, call(`GET ${path}`), status, { schema: webhookEndpointSchema, map: toWebhookEndpoint });
    },
  };
}
