// Whop's REST endpoints as the sandbox answers them. Each handler returns a status and a JSON body
// or throws an ApiError; server.ts does HTTP, faults, rate limits and idempotency around them.
import { authenticate, requireCompanyKey, resolveCompanyId, type CompanyCredential } from "./auth";
import { forbidden, invalidParameter, missingParameter, notFound, type ErrorDialect } from "./http";
import { newId, newWebhookSecret } from "./ids";
import { newestFirst, paginate } from "./pagination";
import { cancelMembership, refundPayment } from "./after-sale";
import { uncancelMembership } from "./subscriptions";
import type { PurchaseContext } from "./purchases";
import { paymentStanding } from "./standing";
import {
  accountJson,
  checkoutJson,
  disputeJson,
  disputeListJson,
  membershipJson,
  paymentJson,
  planJson,
  productJson,
  refundJson,
  refundListJson,
  v5CompanyJson,
  webhookJson,
} from "./serializers";
import type { CheckoutConfiguration, Credential, Permission, Plan, Product, SandboxState } from "./state";
import {
  parseCheckoutCreate,
  parsePlanCreate,
  parseProductCreate,
  parseWebhookCreate,
  parseWebhookUpdate,
  type InlineProductInput,
  type PlanInput,
} from "./validation";

/** Requests with `Api-Version-Date` on or after this date get the dated shape (`account_id`). */
export const DATED_SHAPE_SINCE = "2026-06-09";

export interface ApiRequest {
  params: Record<string, string>;
  query: URLSearchParams;
  body: Record<string, unknown>;
  token: string | null;
  dated: boolean;
}

export interface ApiResponse {
  status: number;
  body: unknown;
}

export interface ApiRoute {
  method: "GET" | "POST" | "PATCH" | "DELETE";
  /** Path template; `:name` segments become params. Also the rate-limit operation name. */
  template: string;
  dialect: ErrorDialect;
  /**
   * Honours `Idempotency-Key` (same key + same body replays the answer). Only the creates whose
   * SDK methods declare the header: products, plans, checkout configurations. Not refunds.
   */
  idempotent?: true;
  handle(request: ApiRequest, context: PurchaseContext): ApiResponse;
}

export function isDatedShape(apiVersionDate: string | undefined): boolean {
  return !!apiVersionDate && /^\d{4}-\d{2}-\d{2}/.test(apiVersionDate) && apiVersionDate.slice(0, 10) >= DATED_SHAPE_SINCE;
}

const ok = (body: unknown): ApiResponse => ({ status: 200, body });

function companyKeyFor(state: SandboxState, request: ApiRequest, ...permissions: Permission[]) {
  const credential: Credential = authenticate(state, request.token);
  return requireCompanyKey(credential, ...permissions);
}

/** Lists are scoped by `company_id` or `account_id` (either is accepted); one is required. */
function listCompanyId(key: CompanyCredential, request: ApiRequest, requiredName: "company_id" | "account_id"): string {
  const requested = request.query.get("company_id") ?? request.query.get("account_id") ?? undefined;
  if (!requested) throw missingParameter(requiredName);
  return resolveCompanyId(key, requested);
}

/** The list scope parameter's name in the request's shape. */
const scopeName = (request: ApiRequest) => (request.dated ? "account_id" : "company_id");

function ownedBy<T extends { companyId: string }>(record: T | undefined, key: CompanyCredential, what: string, id: string): T {
  // Another company's record answers 404, as if it did not exist.
  if (!record || record.companyId !== key.companyId) throw notFound(`${what} ${id} not found`);
  return record;
}

function queryList(query: URLSearchParams, name: string): string[] {
  return [...query.getAll(`${name}[]`), ...query.getAll(name)].flatMap((v) => v.split(",")).filter(Boolean);
}

function parseTimestamp(value: string | null, name: string): Date | null {
  if (!value) return null;
  const date = /^\d+$/.test(value) ? new Date(Number(value) * 1000) : new Date(value);
  if (Number.isNaN(date.getTime())) throw invalidParameter(name);
  return date;
}

const parseCreatedAfter = (value: string | null) => parseTimestamp(value, "created_after");

/** `created_after`, `created_before` and `direction` (default newest first) of the refunds and disputes lists. */
function createdWindow<T extends { id: string; createdAt: Date }>(records: Iterable<T>, query: URLSearchParams): T[] {
  const after = parseTimestamp(query.get("created_after"), "created_after");
  const before = parseTimestamp(query.get("created_before"), "created_before");
  const direction = query.get("direction") ?? "desc";
  if (direction !== "asc" && direction !== "desc") throw invalidParameter("direction", "expected 'asc' or 'desc'");
  const listed = newestFirst(records).filter((r) => (!after || r.createdAt > after) && (!before || r.createdAt < before));
  return direction === "asc" ? listed.reverse() : listed;
}

/**
 * The company a refunds or disputes list reads: `company_id` (the key's own) and/or `payment_id`
 * (one of the key's payments; another company's answers 404).
 */
function afterSaleScope(state: SandboxState, key: CompanyCredential, request: ApiRequest): { companyId: string; paymentId: string | null } {
  const paymentId = request.query.get("payment_id");
  const requested = request.query.get("company_id") ?? undefined;
  if (!paymentId && !requested) throw missingParameter("company_id");
  const companyId = resolveCompanyId(key, requested);
  if (paymentId) ownedBy(state.payments.get(paymentId), key, "Payment", paymentId);
  return { companyId, paymentId };
}

// ---- products and plans ----

function findOrCreateProduct(state: SandboxState, companyId: string, input: InlineProductInput): Product {
  for (const product of state.products.values()) {
    if (product.companyId === companyId && product.externalIdentifier === input.externalIdentifier) return product;
  }
  return createProduct(state, companyId, { ...input, visibility: "visible", metadata: {} });
}

function createProduct(
  state: SandboxState,
  companyId: string,
  input: { title: string; description: string | null; externalIdentifier: string | null; visibility: string; metadata: Record<string, unknown> },
): Product {
  const id = newId("prod");
  const product: Product = {
    id,
    companyId,
    title: input.title,
    description: input.description,
    externalIdentifier: input.externalIdentifier,
    visibility: input.visibility,
    licensing: state.companies.get(companyId)?.licensedProducts ?? false,
    route: `${input.title.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "product"}-${id.slice(-5).toLowerCase()}`,
    metadata: input.metadata,
    createdAt: new Date(),
  };
  state.products.set(product.id, product);
  return product;
}

function defaultProduct(state: SandboxState, companyId: string): Product {
  const existing = state.defaultProductIds.get(companyId);
  const product = existing ? state.products.get(existing) : undefined;
  if (product) return product;
  const company = state.companies.get(companyId);
  const created = createProduct(state, companyId, {
    title: company?.title ?? "Products",
    description: null,
    externalIdentifier: null,
    visibility: "visible",
    metadata: {},
  });
  state.defaultProductIds.set(companyId, created.id);
  return created;
}

function productForPlan(state: SandboxState, key: CompanyCredential, companyId: string, input: PlanInput): Product {
  if (input.productId) {
    const product = state.products.get(input.productId);
    if (!product || product.companyId !== companyId) throw notFound(`Product ${input.productId} not found`);
    return product;
  }
  if (input.inlineProduct) {
    requireCompanyKey(key, "access_pass:create");
    return findOrCreateProduct(state, companyId, input.inlineProduct);
  }
  return defaultProduct(state, companyId);
}

function samePlan(plan: Plan, productId: string, input: PlanInput): boolean {
  return (
    plan.productId === productId &&
    plan.title === input.title &&
    plan.description === input.description &&
    plan.planType === input.planType &&
    plan.currency === input.currency &&
    plan.initialPrice === input.initialPrice &&
    plan.renewalPrice === input.renewalPrice &&
    plan.visibility === input.visibility &&
    JSON.stringify(plan.metadata) === JSON.stringify(input.metadata)
  );
}

function createPlan(state: SandboxState, key: CompanyCredential, input: PlanInput, dated: boolean): Plan {
  const companyId = resolveCompanyId(key, input.companyRef);
  const product = productForPlan(state, key, companyId, input);
  // Dated requests may get an identical existing plan back unless force_create_new_plan is set.
  if (dated && !input.forceCreateNewPlan) {
    for (const plan of state.plans.values()) if (samePlan(plan, product.id, input)) return plan;
  }
  const plan: Plan = {
    id: newId("plan"),
    companyId,
    productId: product.id,
    title: input.title,
    description: input.description,
    planType: input.planType,
    currency: input.currency,
    initialPrice: input.initialPrice,
    renewalPrice: input.renewalPrice,
    billingPeriod: input.billingPeriod,
    expirationDays: input.expirationDays,
    trialPeriodDays: input.trialPeriodDays,
    visibility: input.visibility,
    releaseMethod: input.releaseMethod,
    internalNotes: input.internalNotes,
    metadata: input.metadata,
    createdAt: new Date(),
  };
  state.plans.set(plan.id, plan);
  return plan;
}

// ---- route table ----

export const API_ROUTES: ApiRoute[] = [
  {
    method: "GET",
    template: "/api/v1/accounts/me",
    dialect: "v1",
    handle(request, { state }) {
      const key = companyKeyFor(state, request, "company:basic:read");
      return ok(accountJson(state.companies.get(key.companyId)!));
    },
  },
  {
    method: "GET",
    template: "/api/v5/company",
    dialect: "v5",
    handle(request, { state }) {
      const key = companyKeyFor(state, request, "company:basic:read");
      return ok(v5CompanyJson(state.companies.get(key.companyId)!));
    },
  },
  {
    method: "POST",
    template: "/api/v1/products",
    dialect: "v1",
    idempotent: true,
    handle(request, { state }) {
      const key = companyKeyFor(state, request, "access_pass:create");
      const input = parseProductCreate(request.body, request.dated);
      const companyId = resolveCompanyId(key, input.companyRef);
      const product = input.externalIdentifier
        ? findOrCreateProduct(state, companyId, { externalIdentifier: input.externalIdentifier, title: input.title, description: input.description })
        : createProduct(state, companyId, input);
      return ok(productJson(product, state.companies.get(companyId)!, request.dated));
    },
  },
  {
    method: "GET",
    template: "/api/v1/products",
    dialect: "v1",
    handle(request, { state }) {
      const key = companyKeyFor(state, request, "access_pass:basic:read");
      const companyId = listCompanyId(key, request, scopeName(request));
      const company = state.companies.get(companyId)!;
      const products = newestFirst(state.products.values()).filter((p) => p.companyId === companyId);
      return ok(paginate(products, request.query, (p) => productJson(p, company, request.dated)));
    },
  },
  {
    method: "GET",
    template: "/api/v1/products/:id",
    dialect: "v1",
    handle(request, { state }) {
      const key = companyKeyFor(state, request, "access_pass:basic:read");
      const product = ownedBy(state.products.get(request.params.id!), key, "Product", request.params.id!);
      return ok(productJson(product, state.companies.get(product.companyId)!, request.dated));
    },
  },
  {
    method: "POST",
    template: "/api/v1/plans",
    dialect: "v1",
    idempotent: true,
    handle(request, { state, publicUrl }) {
      const key = companyKeyFor(state, request, "plan:create");
      const plan = createPlan(state, key, parsePlanCreate(request.body, request.dated), request.dated);
      return ok(planJson(plan, state, publicUrl, request.dated));
    },
  },
  {
    method: "GET",
    template: "/api/v1/plans",
    dialect: "v1",
    handle(request, { state, publicUrl }) {
      const key = companyKeyFor(state, request, "plan:basic:read");
      const companyId = listCompanyId(key, request, scopeName(request));
      const productIds = queryList(request.query, "product_ids");
      const plans = newestFirst(state.plans.values()).filter(
        (p) => p.companyId === companyId && (productIds.length === 0 || productIds.includes(p.productId)),
      );
      return ok(paginate(plans, request.query, (p) => planJson(p, state, publicUrl, request.dated)));
    },
  },
  {
    method: "GET",
    template: "/api/v1/plans/:id",
    dialect: "v1",
    handle(request, { state, publicUrl }) {
      const key = companyKeyFor(state, request, "plan:basic:read");
      const plan = ownedBy(state.plans.get(request.params.id!), key, "Plan", request.params.id!);
      return ok(planJson(plan, state, publicUrl, request.dated));
    },
  },
  {
    method: "POST",
    template: "/api/v1/checkout_configurations",
    dialect: "v1",
    idempotent: true,
    handle(request, { state, publicUrl }) {
      const key = companyKeyFor(state, request, "checkout_configuration:create");
      const input = parseCheckoutCreate(request.body, request.dated);
      let plan: Plan;
      if (input.plan) {
        requireCompanyKey(key, "plan:create");
        plan = createPlan(state, key, input.plan, request.dated);
      } else {
        plan = ownedBy(state.plans.get(input.planId!), key, "Plan", input.planId!);
      }
      const companyId = resolveCompanyId(key, input.companyRef);
      if (plan.companyId !== companyId) throw forbidden(`Plan ${plan.id} does not belong to company ${companyId}`);
      const checkout: CheckoutConfiguration = {
        id: newId("ch"),
        companyId,
        planId: plan.id,
        metadata: input.metadata,
        redirectUrl: input.redirectUrl,
        affiliateCode: input.affiliateCode,
        dated: request.dated,
        paidPaymentId: null,
        membershipId: null,
        createdAt: new Date(),
      };
      state.checkoutConfigurations.set(checkout.id, checkout);
      return ok(checkoutJson(checkout, state, publicUrl));
    },
  },
  {
    method: "GET",
    template: "/api/v1/checkout_configurations",
    dialect: "v1",
    handle(request, { state, publicUrl }) {
      const key = companyKeyFor(state, request, "checkout_configuration:basic:read");
      const companyId = listCompanyId(key, request, scopeName(request));
      const planId = request.query.get("plan_id");
      const checkouts = newestFirst(state.checkoutConfigurations.values()).filter(
        (c) => c.companyId === companyId && (!planId || c.planId === planId),
      );
      return ok(paginate(checkouts, request.query, (c) => checkoutJson(c, state, publicUrl, request.dated)));
    },
  },
  {
    method: "GET",
    template: "/api/v1/checkout_configurations/:id",
    dialect: "v1",
    handle(request, { state, publicUrl }) {
      const key = companyKeyFor(state, request, "checkout_configuration:basic:read");
      const checkout = ownedBy(state.checkoutConfigurations.get(request.params.id!), key, "Checkout configuration", request.params.id!);
      return ok(checkoutJson(checkout, state, publicUrl, request.dated));
    },
  },
  {
    method: "GET",
    template: "/api/v1/payments",
    dialect: "v1",
    handle(request, { state }) {
      const key = companyKeyFor(state, request, "payment:basic:read");
      const companyId = listCompanyId(key, request, "company_id");
      const createdAfter = parseCreatedAfter(request.query.get("created_after"));
      const statuses = queryList(request.query, "statuses");
      const substatuses = queryList(request.query, "substatuses");
      const planIds = [...queryList(request.query, "plan_ids"), ...queryList(request.query, "plan_id")];
      const productIds = queryList(request.query, "product_ids");
      const checkoutIds = queryList(request.query, "checkout_configuration_ids");
      const billingReasons = queryList(request.query, "billing_reasons");
      const updatedAfter = parseTimestamp(request.query.get("updated_after"), "updated_after");
      const payments = newestFirst(state.payments.values()).filter(
        (p) =>
          p.companyId === companyId &&
          (!createdAfter || p.createdAt > createdAfter) &&
          (!updatedAfter || p.updatedAt > updatedAfter) &&
          (statuses.length === 0 || statuses.includes(p.status)) &&
          (substatuses.length === 0 || substatuses.includes(paymentStanding(state, p).substatus)) &&
          (billingReasons.length === 0 || billingReasons.includes(p.billingReason)) &&
          (planIds.length === 0 || planIds.includes(p.planId)) &&
          (productIds.length === 0 || productIds.includes(p.productId)) &&
          (checkoutIds.length === 0 || (p.checkoutConfigurationId !== null && checkoutIds.includes(p.checkoutConfigurationId))),
      );
      return ok(paginate(payments, request.query, (p) => paymentJson(p, state)));
    },
  },
  {
    method: "GET",
    template: "/api/v1/payments/:id",
    dialect: "v1",
    handle(request, { state }) {
      const key = companyKeyFor(state, request, "payment:basic:read");
      return ok(paymentJson(ownedBy(state.payments.get(request.params.id!), key, "Payment", request.params.id!), state));
    },
  },
  {
    method: "POST",
    template: "/api/v1/payments/:id/refund",
    dialect: "v1",
    handle(request, context) {
      const key = companyKeyFor(context.state, request, "payment:manage");
      const id = request.params.id!;
      ownedBy(context.state.payments.get(id), key, "Payment", id);
      for (const field of Object.keys(request.body)) if (field !== "partial_amount") throw invalidParameter(field);
      refundPayment(context, id, request.body.partial_amount);
      return ok(paymentJson(context.state.payments.get(id)!, context.state));
    },
  },
  {
    method: "GET",
    template: "/api/v1/refunds",
    dialect: "v1",
    handle(request, { state }) {
      const key = companyKeyFor(state, request, "payment:basic:read");
      const { companyId, paymentId } = afterSaleScope(state, key, request);
      const userId = request.query.get("user_id");
      const refunds = createdWindow(state.refunds.values(), request.query).filter(
        (r) =>
          r.companyId === companyId &&
          (!paymentId || r.paymentId === paymentId) &&
          (!userId || state.payments.get(r.paymentId)?.userId === userId),
      );
      return ok(paginate(refunds, request.query, refundListJson));
    },
  },
  {
    method: "GET",
    template: "/api/v1/refunds/:id",
    dialect: "v1",
    handle(request, { state }) {
      const key = companyKeyFor(state, request, "payment:basic:read");
      return ok(refundJson(ownedBy(state.refunds.get(request.params.id!), key, "Refund", request.params.id!), state));
    },
  },
  {
    method: "GET",
    template: "/api/v1/disputes",
    dialect: "v1",
    handle(request, { state }) {
      const key = companyKeyFor(state, request, "payment:dispute:read", "payment:basic:read");
      const { companyId, paymentId } = afterSaleScope(state, key, request);
      const disputes = createdWindow(state.disputes.values(), request.query).filter(
        (d) => d.companyId === companyId && (!paymentId || d.paymentId === paymentId),
      );
      return ok(paginate(disputes, request.query, (d) => disputeListJson(d, state)));
    },
  },
  {
    method: "GET",
    template: "/api/v1/disputes/:id",
    dialect: "v1",
    handle(request, { state }) {
      const key = companyKeyFor(state, request, "payment:dispute:read", "payment:basic:read");
      return ok(disputeJson(ownedBy(state.disputes.get(request.params.id!), key, "Dispute", request.params.id!), state));
    },
  },
  {
    method: "GET",
    template: "/api/v1/memberships/:id",
    dialect: "v1",
    handle(request, { state, publicUrl }) {
      const key = companyKeyFor(state, request, "member:basic:read");
      const membership = ownedBy(state.memberships.get(request.params.id!), key, "Membership", request.params.id!);
      return ok(membershipJson(membership, state, publicUrl));
    },
  },
  {
    method: "POST",
    template: "/api/v1/memberships/:id/cancel",
    dialect: "v1",
    handle(request, context) {
      const key = companyKeyFor(context.state, request, "membership:cancel");
      const id = request.params.id!;
      ownedBy(context.state.memberships.get(id), key, "Membership", id);
      for (const field of Object.keys(request.body)) if (field !== "cancellation_mode") throw invalidParameter(field);
      const mode = request.body.cancellation_mode ?? "at_period_end";
      if (mode !== "immediate" && mode !== "at_period_end") {
        throw invalidParameter("cancellation_mode", "expected 'at_period_end' or 'immediate'");
      }
      return ok(membershipJson(cancelMembership(context, id, mode), context.state, context.publicUrl));
    },
  },
  {
    method: "POST",
    template: "/api/v1/memberships/:id/uncancel",
    dialect: "v1",
    handle(request, context) {
      const key = companyKeyFor(context.state, request, "membership:cancel");
      const id = request.params.id!;
      ownedBy(context.state.memberships.get(id), key, "Membership", id);
      for (const field of Object.keys(request.body)) throw invalidParameter(field);
      return ok(membershipJson(uncancelMembership(context, id), context.state, context.publicUrl));
    },
  },
  {
    method: "POST",
    template: "/api/v1/webhooks",
    dialect: "v1",
    handle(request, { state }) {
      const key = companyKeyFor(state, request, "developer:manage_webhook");
      const input = parseWebhookCreate(request.body);
      const companyId = resolveCompanyId(key, input.resourceId);
      const hook = {
        id: newId("hook"),
        companyId,
        url: input.url,
        apiVersion: input.apiVersion,
        enabled: input.enabled,
        events: input.events,
        secret: newWebhookSecret(),
        childResourceEvents: input.childResourceEvents,
        createdAt: new Date(),
      };
      state.webhooks.set(hook.id, hook);
      return ok(webhookJson(hook, true));
    },
  },
  {
    method: "GET",
    template: "/api/v1/webhooks",
    dialect: "v1",
    handle(request, { state }) {
      const key = companyKeyFor(state, request, "developer:manage_webhook");
      const companyId = listCompanyId(key, request, "company_id");
      const hooks = newestFirst(state.webhooks.values()).filter((h) => h.companyId === companyId);
      return ok(paginate(hooks, request.query, (h) => webhookJson(h, false)));
    },
  },
  {
    method: "GET",
    template: "/api/v1/webhooks/:id",
    dialect: "v1",
    handle(request, { state }) {
      const key = companyKeyFor(state, request, "developer:manage_webhook");
      return ok(webhookJson(ownedBy(state.webhooks.get(request.params.id!), key, "Webhook", request.params.id!), false));
    },
  },
  {
    method: "PATCH",
    template: "/api/v1/webhooks/:id",
    dialect: "v1",
    handle(request, { state }) {
      const key = companyKeyFor(state, request, "developer:manage_webhook");
      const hook = ownedBy(state.webhooks.get(request.params.id!), key, "Webhook", request.params.id!);
      const changes = parseWebhookUpdate(request.body);
      // The secret stays: the receiver keeps verifying with the one shown at creation.
      if (changes.url !== undefined) hook.url = changes.url;
      if (changes.apiVersion !== undefined) hook.apiVersion = changes.apiVersion;
      if (changes.enabled !== undefined) hook.enabled = changes.enabled;
      if (changes.events !== undefined) hook.events = changes.events;
      if (changes.childResourceEvents !== undefined) hook.childResourceEvents = changes.childResourceEvents;
      return ok(webhookJson(hook, false));
    },
  },
  {
    method: "DELETE",
    template: "/api/v1/webhooks/:id",
    dialect: "v1",
    handle(request, { state }) {
      const key = companyKeyFor(state, request, "developer:manage_webhook");
      const hook = ownedBy(state.webhooks.get(request.params.id!), key, "Webhook", request.params.id!);
      state.webhooks.delete(hook.id);
      return ok(true);
    },
  },
];

/** The route for a method and path, with its params; `null` when nothing matches. */
export function matchRoute<R extends { method: string; template: string }>(
  routes: readonly R[],
  method: string,
  pathname: string,
): { route: R; params: Record<string, string> } | { route: null; methodNotAllowed: boolean } {
  const segments = pathname.replace(/\/+$/, "").split("/");
  let pathMatched = false;
  for (const route of routes) {
    const params = matchTemplate(route.template, segments);
    if (!params) continue;
    pathMatched = true;
    if (route.method === method) return { route, params };
  }
  return { route: null, methodNotAllowed: pathMatched };
}

function matchTemplate(template: string, segments: string[]): Record<string, string> | null {
  const parts = template.split("/");
  if (parts.length !== segments.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const segment = segments[i]!;
    if (part.startsWith(":")) {
      if (!segment) return null;
      try {
        params[part.slice(1)] = decodeURIComponent(segment);
      } catch {
        return null;
      }
    } else if (part !== segment) {
      return null;
    }
  }
  return params;
}
