import type { Tenant } from "@/db/schema";
import { decryptSecret } from "@/lib/crypto/secrets";
import { env } from "@/lib/env";
import { createWhopClient, type WhopClient, type WhopClientOptions } from "@/lib/whop/client";

/** The Whop client acting for a connected tenant, with its decrypted key (never leaves this call). */
export function whopClientForTenant(tenant: Tenant, options: Partial<Pick<WhopClientOptions, "timeoutMs" | "maxRetries">> = {}): WhopClient {
  if (!tenant.whopApiKeyCiphertext) throw new Error(`Tenant ${tenant.id} is not connected to Whop`);
  const { whopApiOrigin, encryptionKeys } = env();
  const apiKey = decryptSecret(tenant.whopApiKeyCiphertext, { tenantId: tenant.id, field: "whop_api_key" }, encryptionKeys);
  return createWhopClient({ apiKey, origin: whopApiOrigin, ...options });
}
