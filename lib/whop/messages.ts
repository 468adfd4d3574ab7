import type { WhopEnvironment } from "./environment";
import { WhopApiError } from "./errors";

/**
 * The one place that turns Whop failures into words a merchant reads. Messages name the cause
 * and the next step; they never contain a key (Whop's own message is scrubbed too).
 */

/** What the connector needs on the merchant's key. */
export const REQUIRED_PERMISSIONS = [
  "plan:create",
  "access_pass:create",
  "checkout_configuration:create",
  "payment:basic:read",
] as const;

/** Only needed for "Create webhook automatically". */
export const OPTIONAL_PERMISSIONS = ["developer:manage_webhook"] as const;

export type { WhopEnvironment } from "./environment";

export interface KeyProblemContext {
  environment: WhopEnvironment;
  keyLooksLikeCompanyKey: boolean;
}

const CREATE_COMPANY_KEY =
  "Create one under your Whop dashboard → Developer → Company API keys; it starts with apik_ and should have the Admin role.";
/** How Whop words a 403 for a personal or app credential. */
const USER_OR_APP_KEY = /\b(user|app|personal)\b[^.]*\bkey\b|not permitted to act for a company/i;
const NOTHING_SAVED_TRY_LATER = "Nothing was saved; try again in a minute.";

/** Why a pasted key could not be connected (onboarding and key replacement). */
export function describeKeyProblem(err: unknown, ctx: KeyProblemContext): string {
  if (!(err instanceof WhopApiError)) return "Could not verify the key with Whop; nothing was saved. Try again.";

  switch (err.kind) {
    case "unauthorized":
      return `Whop rejected this API key: check it for a typo, or whether it was revoked. ${environmentHint(ctx.environment)}`;
    case "forbidden":
      if (err.notCompanyKey || !ctx.keyLooksLikeCompanyKey || USER_OR_APP_KEY.test(err.whopMessage ?? "")) {
        return `This looks like a user or app key, not a company API key. ${CREATE_COMPANY_KEY}`;
      }
      if (err.missingPermissions.length > 0) {
        return `Whop accepted this key but it lacks permissions the connector needs. ${grantPermissions(err.missingPermissions)}`;
      }
      // A bare 403 cannot tell a user key from a company key without permissions: say both.
      return `Whop refused this key access to your company: it is either a user or app key rather than a company API key, or a company key without the permissions the connector needs. ${CREATE_COMPANY_KEY}`;
    case "missing_permissions": {
      const missing = err.missingPermissions.length
        ? `This key is missing Whop permissions: ${err.missingPermissions.join(", ")}.`
        : "This key is missing Whop permissions the connector needs.";
      return `${missing} ${grantPermissions(err.missingPermissions)}`;
    }
    case "timeout":
      return `Whop is not answering right now. ${NOTHING_SAVED_TRY_LATER}`;
    case "unreachable":
      return `Whop is unreachable right now. ${NOTHING_SAVED_TRY_LATER}`;
    case "server_error":
      return `Whop is having trouble right now${err.status ? ` (error ${err.status})` : ""}. ${NOTHING_SAVED_TRY_LATER}`;
    case "rate_limited":
      return `Whop is receiving too many requests for this key. Nothing was saved; try again in ${waitPhrase(err.retryAfterSeconds)}.`;
    case "not_found":
    case "bad_request":
      return `Whop gave an unexpected answer while checking the key${quoteWhop(err)}. Nothing was saved; try again, and contact support if it keeps happening.`;
  }
}

export type WhopOperation =
  | "checkout"
  | "product"
  | "webhook"
  | "webhook_read"
  | "webhook_update"
  | "payments"
  | "refund"
  | "membership_cancel";

const OPERATION_LABEL: Record<WhopOperation, string> = {
  checkout: "creating a checkout for a buyer",
  product: "creating the item's product",
  webhook: "creating the webhook",
  webhook_read: "reading your webhook's events",
  webhook_update: "updating your webhook's events",
  payments: "reading payments",
  refund: "refunding the payment",
  membership_cancel: "canceling the membership",
};

/** Permissions only some merchant actions need: named even when Whop's 403 does not say which. */
const OPERATION_PERMISSIONS: Partial<Record<WhopOperation, string>> = {
  webhook_read: "developer:manage_webhook",
  webhook_update: "developer:manage_webhook",
  refund: "payment:manage",
  membership_cancel: "membership:cancel",
};

export interface WhopProblemContext {
  operation: WhopOperation;
  /** The tenant the call was made for: its environment is the world its key lives in. */
  tenant?: { environment: WhopEnvironment } | null;
}

/**
 * A failure after the merchant is connected (a buyer's checkout, automatic webhook creation,
 * reconciliation), phrased for the dashboard's problems list.
 */
export function describeWhopProblem(err: unknown, ctx: WhopProblemContext): string {
  const during = OPERATION_LABEL[ctx.operation];
  if (!(err instanceof WhopApiError)) return `Something went wrong while ${during} on Whop.`;
  const environment = ctx.tenant?.environment ?? err.environment;

  switch (err.kind) {
    case "unauthorized":
      if (environment === "test") {
        return `Whop's sandbox rejected your API key while ${during}; it may have been revoked, or it is a production key (Test mode talks to Whop's sandbox, sandbox-api.whop.com). Replace it under Integrations → Whop.`;
      }
      return `Whop rejected your API key while ${during}; it may have been revoked. Replace it under Integrations → Whop.`;
    case "forbidden":
    case "missing_permissions": {
      const operationPermission = OPERATION_PERMISSIONS[ctx.operation];
      const missing = err.missingPermissions.length ? err.missingPermissions : operationPermission ? [operationPermission] : [];
      const named = missing.length ? ` (missing: ${missing.join(", ")})` : "";
      if (operationPermission) {
        return `Your API key lacks a Whop permission needed for ${during}${named}. Give the key the Admin role, or add the ${missing.join(", ")} permission${missing.length > 1 ? "s" : ""} to it in your Whop dashboard, then try again.`;
      }
      return `Your API key lacks a Whop permission needed for ${during}${named}. ${grantPermissions(err.missingPermissions)}`;
    }
    case "rate_limited":
      return `Whop rate-limited ${during}; it can be retried in ${waitPhrase(err.retryAfterSeconds)}.`;
    case "timeout":
    case "unreachable":
    case "server_error":
      return `Whop was unreachable or failing while ${during}. This is usually temporary.`;
    case "not_found":
    case "bad_request":
      return `Whop refused ${during}${quoteWhop(err)}.`;
  }
}

/**
 * Why the webhook's events could not be read or updated. Without `developer:manage_webhook` the
 * merchant can still fix it by hand: name the events to tick in Whop's dashboard.
 */
export function describeWebhookEventsProblem(
  err: unknown,
  ctx: { operation: "webhook_read" | "webhook_update"; eventsToTick: readonly string[]; tenant?: WhopProblemContext["tenant"] },
): string {
  const permissionRefused =
    err instanceof WhopApiError && (err.kind === "forbidden" || err.kind === "missing_permissions") && !err.notCompanyKey;
  if (permissionRefused) {
    const events = ctx.eventsToTick.join(", ");
    const byHand =
      ctx.operation === "webhook_read"
        ? `so we cannot check your webhook's events for you. In your Whop dashboard, open Developer → Webhooks, edit the webhook for this connector and make sure these events are ticked: ${events}.`
        : `so we cannot update your webhook's events for you. In your Whop dashboard, open Developer → Webhooks, edit the webhook for this connector and tick these events: ${events}.`;
    return `Your Whop API key lacks the ${OPTIONAL_PERMISSIONS[0]} permission, ${byHand} Or give the key that permission and try again.`;
  }
  return describeWhopProblem(err, { operation: ctx.operation, tenant: ctx.tenant });
}

/** A 401 on a pasted key is often a key of the other world: say which world this environment talks to, and where the other key goes. */
function environmentHint(environment: WhopEnvironment): string {
  return environment === "live"
    ? "Live mode talks to Whop's production API (api.whop.com); a sandbox key belongs in Test mode (Switch to Test)."
    : "Test mode talks to Whop's sandbox (sandbox-api.whop.com); a production key belongs in Live mode (Switch to Live).";
}

function grantPermissions(missing: readonly string[]): string {
  const needed = [...new Set([...missing, ...REQUIRED_PERMISSIONS])];
  return `Give the key the Admin role, or these permissions: ${needed.join(", ")} (plus ${OPTIONAL_PERMISSIONS.join(", ")} to let us create the webhook for you).`;
}

function waitPhrase(seconds: number | undefined): string {
  if (seconds === undefined) return "a minute";
  const s = Math.max(1, Math.ceil(seconds));
  return s === 1 ? "1 second" : `${s} seconds`;
}

function quoteWhop(err: WhopApiError): string {
  const message = err.whopMessage?.replace(/apik_[A-Za-z0-9_\-.]*/g, "apik_…").trim();
  const status = err.status ? ` (${err.status})` : "";
  return message ? `${status}: “${message}”` : status;
}
