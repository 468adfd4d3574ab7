import { ORDER_EVENT_TYPES } from "@/lib/outbound/events";
import { ORDER_STATUSES } from "@/lib/orders/queries";
import { LICENSE_LIMITS } from "@/lib/licenses/throttle";
import { API_ERROR_CODES } from "./handler";
import { API_SCOPES, type ApiScope } from "./scopes";

/** The merchant API's OpenAPI 3.1 document, served at /api/v1/openapi.json. */

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const errorResponse = (description: string) => ({ description, content: { "application/json": { schema: ref("Error") } } });
const jsonResponse = (description: string, schema: object) => ({ description, content: { "application/json": { schema } } });
const nullable = (type: string, extra: object = {}) => ({ type: [type, "null"], ...extra });

/** The errors every operation may answer, with the one scope it needs. */
const commonErrors = (scope: ApiScope) => ({
  "401": errorResponse("`missing_token` (no Authorization header) or `invalid_token` (mistyped, unknown or revoked)."),
  "403": errorResponse(`\`insufficient_scope\`: the token lacks the \`${scope}\` scope.`),
  "503": errorResponse("`service_unavailable`: retry after the `Retry-After` seconds."),
});

const membershipSchema = {
  type: "object",
  required: ["order_id", "whop_membership_id", "state", "whop_status", "expires_at"],
  properties: {
    order_id: { type: "string", example: "ord_4fQ8…" },
    whop_membership_id: nullable("string", { example: "mem_…" }),
    state: {
      type: "string",
      enum: ["valid", "invalid", "expired", "none"],
      description:
        "`valid`: Whop reported the membership valid (or the payment is confirmed and Whop has not reported the membership yet), and it has not passed `expires_at`. `invalid`: Whop deactivated it (canceled, refunded with cancellation…). `expired`: past `expires_at`. `none`: no confirmed payment.",
    },
    whop_status: nullable("string", { description: "Whop's membership status as last reported: active, canceled, expired…" }),
    expires_at: nullable("string", { format: "date-time", description: "When access ends; null for lifetime access." }),
  },
};

const subscriptionSchema = {
  type: "object",
  required: ["state", "current_period_end", "cancel_at_period_end"],
  description: "A subscription's lifecycle (an item with recurring Billing); null for a one-time purchase.",
  properties: {
    state: nullable("string", {
      enum: ["trialing", "active", "past_due", "canceling", "canceled", "expired", null],
      description:
        "`trialing`, `active` and `canceling` (canceled at period end, until `current_period_end`) keep access; `past_due` (a renewal charge failed, Whop retries it) does not; `canceled` and `expired` have ended. Null until Whop reports the membership.",
    }),
    current_period_end: nullable("string", { format: "date-time", description: "Whop's `renewal_period_end`: when the current period (or the trial) ends." }),
    cancel_at_period_end: { type: "boolean" },
  },
};

const LICENSE_KEY = { type: "string", maxLength: 200, description: "As the buyer typed it: our keys forgive case, missing dashes and O/0, I/1." };
const ACTIVATION_ID = { type: "string", pattern: "^act_[A-Za-z0-9]{20}$" };

/** The three license operations: the publishable key or a token with `licenses:write`, the same throttles and errors. */
function licenseOperation(operation: { operationId: string; summary: string; body: { required: string[]; properties: Record<string, object> }; responses: Record<string, object> }) {
  return {
    operationId: operation.operationId,
    summary: operation.summary,
    description: `Accepts the publishable key (\`whp_…\`, made to ship inside your app) or a secret token with \`licenses:write\`. Throttled per client IP (${LICENSE_LIMITS.failuresPerIp} unknown or mistyped keys a minute; ${LICENSE_LIMITS.perPublishableClient} questions a minute with the publishable key), per license key (${LICENSE_LIMITS.perLicenseKey} a minute) and per secret token (${LICENSE_LIMITS.perSecretToken} a minute), never per account.`,
    security: [{ publishableKey: [] }, { bearerToken: ["licenses:write"] }],
    requestBody: { required: true, content: { "application/json": { schema: { type: "object", ...operation.body } } } },
    responses: {
      ...operation.responses,
      "400": errorResponse("`invalid_request`: the body is not JSON or a field is missing or malformed."),
      "429": errorResponse("`rate_limited`: retry after `Retry-After` seconds."),
      ...commonErrors("licenses:write"),
    },
  };
}

export function openApiDocument(appUrl: string) {
  return {
    openapi: "3.1.0",
    info: {
      title: "Whop Connector merchant API",
      version: "1.0.0",
      description:
        "Read your orders and gate your own software on who bought, from what Whop's signed webhooks reported to the connector. No call reaches Whop and your Whop API key is never exposed. Authenticate with an API token created under Dashboard → API (`Authorization: Bearer whc_…`); each token sees only its own account. Errors are `{ \"error\": { \"code\", \"message\" } }` with a stable `code`.",
    },
    servers: [{ url: appUrl }],
    security: [{ bearerToken: [] }],
    paths: {
      "/api/v1/access": {
        get: {
          security: [{ bearerToken: ["access:read"] }],
          operationId: "checkAccess",
          summary: "Whether a buyer currently holds a valid membership for an item",
          parameters: [
            { name: "item", in: "query", required: true, schema: { type: "string", pattern: "^item_[A-Za-z0-9]{20}$" }, description: "The item's id (shown on its page in the dashboard)." },
            { name: "email", in: "query", required: false, schema: { type: "string", format: "email" }, description: "The buyer's email as Whop reported it (case-insensitive). Give this or `whop_user_id`." },
            { name: "whop_user_id", in: "query", required: false, schema: { type: "string", pattern: "^user_[A-Za-z0-9]+$" }, description: "The buyer's Whop user id. Give this or `email`." },
          ],
          responses: {
            "200": jsonResponse("The answer. `membership` is the order that grants access, else the most recent one that did; null when the buyer never bought the item.", ref("Access")),
            "400": errorResponse("`invalid_request`: a parameter is missing or malformed."),
            "404": errorResponse("`item_not_found`: no item of this account has that id."),
            ...commonErrors("access:read"),
          },
        },
      },
      "/api/v1/licenses/validate": {
        post: licenseOperation({
          operationId: "validateLicense",
          summary: "Validate a license key (and, optionally, one of its activations)",
          body: { required: ["license_key"], properties: { license_key: LICENSE_KEY, activation_id: ACTIVATION_ID } },
          responses: {
            "200": jsonResponse(
              "`valid` true or false; `reason` says why not: `unknown_license`, `mistyped_license` (one of our keys with a typo, caught by its checksum), `invalid`, `expired`, `activation_not_found` (the key is valid but that activation is not live).",
              ref("License"),
            ),
          },
        }),
      },
      "/api/v1/licenses/activate": {
        post: licenseOperation({
          operationId: "activateLicense",
          summary: "Activate a license on one machine, within the item's Activation limit",
          body: { required: ["license_key", "instance_name"], properties: { license_key: LICENSE_KEY, instance_name: { type: "string", maxLength: 120, description: "The machine or install, e.g. the computer's name." } } },
          responses: {
            "201": jsonResponse("Activated: `activation_id` is what the app keeps (validate and deactivate with it).", {
              allOf: [{ type: "object", required: ["activation_id"], properties: { activation_id: ACTIVATION_ID } }, ref("License")],
            }),
            "404": errorResponse("`unknown_license` or `mistyped_license`."),
            "409": errorResponse("`activation_limit_reached` (deactivate a machine first) or `license_not_valid`; `license` beside `error` says why."),
          },
        }),
      },
      "/api/v1/licenses/deactivate": {
        post: licenseOperation({
          operationId: "deactivateLicense",
          summary: "Deactivate one activation, freeing its seat (whether or not the license is still valid)",
          body: { required: ["license_key", "activation_id"], properties: { license_key: LICENSE_KEY, activation_id: ACTIVATION_ID } },
          responses: {
            "200": jsonResponse("Deactivated.", { allOf: [{ type: "object", properties: { deactivated: { const: true }, activation_id: ACTIVATION_ID } }, ref("License")] }),
            "404": errorResponse("`unknown_license`, `mistyped_license` or `activation_not_found`."),
          },
        }),
      },
      "/api/v1/orders": {
        get: {
          security: [{ bearerToken: ["orders:read"] }],
          operationId: "listOrders",
          summary: "Orders, newest first, with cursor pagination",
          parameters: [
            { name: "status", in: "query", required: false, schema: { type: "string", enum: ORDER_STATUSES } },
            { name: "item", in: "query", required: false, schema: { type: "string", pattern: "^item_[A-Za-z0-9]{20}$" } },
            { name: "limit", in: "query", required: false, schema: { type: "integer", minimum: 1, maximum: 100, default: 25 } },
            { name: "cursor", in: "query", required: false, schema: { type: "string" }, description: "`next_cursor` of the previous page." },
          ],
          responses: {
            "200": jsonResponse("One page.", {
              type: "object",
              required: ["object", "data", "next_cursor"],
              properties: { object: { const: "list" }, data: { type: "array", items: ref("Order") }, next_cursor: nullable("string", { description: "Null on the last page." }) },
            }),
            "400": errorResponse("`invalid_request`: a bad status, item, limit or cursor."),
            ...commonErrors("orders:read"),
          },
        },
      },
      "/api/v1/orders/{id}": {
        get: {
          security: [{ bearerToken: ["orders:read"] }],
          operationId: "getOrder",
          summary: "One order",
          parameters: [{ name: "id", in: "path", required: true, schema: { type: "string", pattern: "^ord_[A-Za-z0-9]{20}$" } }],
          responses: {
            "200": jsonResponse("The order.", ref("Order")),
            "404": errorResponse("`not_found`: no order of this account has that id."),
            ...commonErrors("orders:read"),
          },
        },
      },
      "/api/v1/events": {
        get: {
          security: [{ bearerToken: ["events:read"] }],
          operationId: "listEvents",
          summary: "The webhook events, oldest first, to catch up on what your endpoint missed",
          description:
            "The same events your webhook endpoints receive (Dashboard → Webhooks), whether or not an endpoint exists, oldest first. Pass the id of the last event you processed as `after`; poll again later with the last id you got. An event appears once every transaction that began before it has ended, so no page ever skips one.",
          parameters: [
            { name: "after", in: "query", required: false, schema: { type: "string", pattern: "^evt_[A-Za-z0-9]{24}$" }, description: "Events after this one (omit to start from the first)." },
            { name: "limit", in: "query", required: false, schema: { type: "integer", minimum: 1, maximum: 100, default: 25 } },
            { name: "type", in: "query", required: false, schema: { type: "string", enum: ORDER_EVENT_TYPES } },
          ],
          responses: {
            "200": jsonResponse("One page.", {
              type: "object",
              required: ["object", "data", "next_cursor"],
              properties: {
                object: { const: "list" },
                data: { type: "array", items: ref("Event") },
                next_cursor: nullable("string", { description: "Pass it as `after` for the next page; null when there is none yet." }),
              },
            }),
            "400": errorResponse("`invalid_request`: a bad `after` (not an event of this account), `limit` or `type`."),
            ...commonErrors("events:read"),
          },
        },
      },
    },
    components: {
      securitySchemes: {
        publishableKey: {
          type: "http",
          scheme: "bearer",
          description: "The account's publishable key `whp_…` (Dashboard → API): only the license operations accept it, so it is safe inside an app.",
        },
        bearerToken: {
          type: "http",
          scheme: "bearer",
          description: `An API token \`whc_…\` from Dashboard → API, with the scopes chosen when it was made (${API_SCOPES.map((scope) => `\`${scope}\``).join(", ")}); each operation lists the one it needs.`,
        },
      },
      schemas: {
        Error: {
          type: "object",
          required: ["error"],
          properties: { error: { type: "object", required: ["code", "message"], properties: { code: { type: "string", enum: API_ERROR_CODES }, message: { type: "string" } } } },
        },
        Event: {
          type: "object",
          required: ["id", "type", "created_at", "data"],
          description: "A webhook event: exactly the body delivered to your endpoints (its `id` is the `webhook-id` header).",
          properties: {
            id: { type: "string", example: "evt_…" },
            type: { type: "string", enum: ORDER_EVENT_TYPES },
            created_at: { type: "string", format: "date-time", description: "When the change was committed." },
            data: { ...ref("Order"), description: "The order as it was when the change committed." },
          },
        },
        Item: { type: "object", required: ["id", "title"], properties: { id: { type: "string" }, title: { type: "string" } } },
        Membership: membershipSchema,
        Subscription: subscriptionSchema,
        Payment: {
          type: "object",
          required: ["id", "status", "amount_minor", "currency", "billing_reason", "paid_at"],
          properties: {
            id: { type: "string", example: "pay_…" },
            status: { type: "string", enum: ["pending", "failed", "succeeded"] },
            amount_minor: nullable("integer", { description: "What Whop charged, minor units of `currency`." }),
            currency: nullable("string"),
            billing_reason: nullable("string", { description: "Whop's: `one_time`, `subscription_create`, `subscription_cycle` (a renewal)…" }),
            paid_at: nullable("string", { format: "date-time" }),
          },
        },
        Access: {
          type: "object",
          required: ["access", "item", "membership", "subscription"],
          properties: {
            access: { type: "boolean" },
            item: ref("Item"),
            membership: { oneOf: [ref("Membership"), { type: "null" }] },
            subscription: { oneOf: [ref("Subscription"), { type: "null" }], description: "The subscription of the order `membership` names; null for a one-time purchase or no order." },
          },
        },
        License: {
          type: "object",
          required: ["valid", "reason"],
          properties: {
            valid: { type: "boolean" },
            reason: nullable("string", { enum: ["unknown_license", "mistyped_license", "invalid", "expired", "activation_not_found", null] }),
            item: ref("Item"),
            membership: ref("Membership"),
            activations: {
              type: "object",
              properties: { used: { type: "integer" }, limit: nullable("integer", { description: "The item's Activation limit; null: no limit." }) },
            },
            activation: {
              oneOf: [
                { type: "object", properties: { id: ACTIVATION_ID, instance_name: { type: "string" }, created_at: { type: "string", format: "date-time" } } },
                { type: "null" },
              ],
            },
          },
        },
        Order: {
          type: "object",
          properties: {
            id: { type: "string" },
            object: { const: "order" },
            item: ref("Item"),
            status: {
              type: "string",
              enum: ORDER_STATUSES,
              description: "Derived from the order's Whop payments, refunds and disputes; a dispute outranks refunds, refunds outrank paid.",
            },
            amount_minor: { type: "integer", description: "Minor units of `currency` (cents for usd)." },
            amount: { type: "string", description: "Decimal major units, e.g. \"29.99\"." },
            currency: { type: "string", description: "Lower-case ISO 4217." },
            paid_minor: nullable("integer", { description: "Succeeded payments, minor units of paid_currency; null before any." }),
            paid_currency: nullable("string", { description: "The currency Whop charged, lowercase ISO 4217; the order's currency unless amount_differs says otherwise. Null before any payment." }),
            refunded_minor: { type: "integer", description: "Succeeded refunds only, minor units of paid_currency." },
            refund_pending: { type: "boolean", description: "A refund Whop has not settled yet." },
            amount_differs: { type: "boolean", description: "A succeeded payment's subtotal or currency is not the order's." },
            access: { type: "boolean", description: "Whether this order grants access now (the rule of /api/v1/access)." },
            access_reason: nullable("string", {
              enum: ["not_paid", "membership_ended", "membership_expired", "subscription_past_due", "refunded", "dispute_lost", "amount_differs", null],
              description: "Why it grants no access.",
            }),
            buyer_email: nullable("string"),
            whop_user_id: nullable("string"),
            whop_payment_id: nullable("string"),
            whop_checkout_id: nullable("string"),
            membership: {
              type: "object",
              properties: { whop_membership_id: nullable("string"), state: membershipSchema.properties.state, whop_status: nullable("string"), expires_at: nullable("string", { format: "date-time" }) },
            },
            subscription: {
              oneOf: [
                {
                  ...subscriptionSchema,
                  required: [...subscriptionSchema.required, "billing_period_days", "trial_period_days"],
                  properties: {
                    ...subscriptionSchema.properties,
                    billing_period_days: { type: "integer", description: "Days per period: 7, 30, 90 or 365." },
                    trial_period_days: nullable("integer"),
                  },
                },
                { type: "null" },
              ],
            },
            license_key: nullable("string", {
              description: "The buyer's license key: one of ours (an item with Issue license keys, from the first succeeded payment) or Whop's own when its product has Software Licensing; null otherwise. Valid exactly while `access` is true.",
            }),
            payments: { type: "array", items: ref("Payment"), description: "Every Whop payment of the order, oldest first: a subscription's renewals are payments of the same order." },
            created_at: { type: "string", format: "date-time" },
            paid_at: nullable("string", { format: "date-time" }),
          },
        },
      },
    },
  };
}
