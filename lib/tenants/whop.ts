import type { Tenant } from "@/db/schema";
import { decryptSecret } from "@/lib/crypto/secrets";
import { env } from "@/lib/env";
import { createWhopClient, whopApiOriginFor, type WhopClient, type WhopClientOptions } from "@/lib/whop/client";

/**
 * The Whop client acting for a connected tenant, with its decrypted key (never leaves this call),
 * talking to the Whop world of its environment (Test: Whop's sandbox, Live: production), and every
 * error the client throws carries that environment.
 */
export function whopClientForTenant(tenant: Pick<Tenant, "id" | "environment" | "whopApiKeyCiphertext">, options: Partial<Pick<WhopClientOptions, "timeoutMs" | "maxRetries">> = {}): WhopClient {
  if (!tenant.whopApiKeyCiphertext) throw new Error(`Tenant ${tenant.id} is not connected to Whop`);
  const apiKey = decryptSecret(tenant.whopApiKeyCiphertext, { tenantId: tenant.id, field: "whop_api_key" }, env().encryptionKeys);
  return createWhopClient({ apiKey, origin: whopApiOriginFor(tenant.environment), environment: tenant.environment, ...options });
}
