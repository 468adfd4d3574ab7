import { randomBytes } from "node:crypto";
import { Webhook } from "standardwebhooks";
import type { WebhookEndpoint } from "@/db/schema";
import { decryptSecret, encryptSecret } from "@/lib/crypto/secrets";
import { env } from "@/lib/env";

/*
 * Standard Webhooks signatures for the merchant's endpoints. A secret is `whsec_` + base64 of 32
 * random bytes; after a rotation the previous secret keeps signing for 24 hours, so the
 * `webhook-signature` header carries two `v1,` signatures and a receiver holding either verifies.
 */

export const SECRET_OVERLAP_MS = 24 * 60 * 60 * 1000;

export function newSigningSecret(): string {
  return `whsec_${randomBytes(32).toString("base64")}`;
}

export function encryptSigningSecret(secret: string, tenantId: string, endpointId: string, previous = false): string {
  return encryptSecret(secret, { tenantId, field: previous ? "outbound_webhook_secret_previous" : "outbound_webhook_secret", rowId: endpointId }, env().encryptionKeys);
}

/** The secrets that sign now: the current one, then the previous one while its overlap lasts. */
export function signingSecrets(endpoint: Pick<WebhookEndpoint, "tenantId" | "id" | "secretCiphertext" | "previousSecretCiphertext" | "previousSecretExpiresAt">, now = new Date()): string[] {
  const keys = env().encryptionKeys;
  const secrets = [decryptSecret(endpoint.secretCiphertext, { tenantId: endpoint.tenantId, field: "outbound_webhook_secret", rowId: endpoint.id }, keys)];
  if (endpoint.previousSecretCiphertext && endpoint.previousSecretExpiresAt && endpoint.previousSecretExpiresAt > now) {
    secrets.push(decryptSecret(endpoint.previousSecretCiphertext, { tenantId: endpoint.tenantId, field: "outbound_webhook_secret_previous", rowId: endpoint.id }, keys));
  }
  return secrets;
}

/** The three Standard Webhooks headers for one attempt: `webhook-id` is the event id on every attempt. */
export function signatureHeaders(secrets: readonly string[], eventId: string, body: string, timestamp = new Date()): Record<string, string> {
  const signatures = secrets.map((secret) => new Webhook(secret).sign(eventId, timestamp, body));
  return {
    "webhook-id": eventId,
    "webhook-timestamp": String(Math.floor(timestamp.getTime() / 1000)),
    "webhook-signature": signatures.join(" "),
  };
}
