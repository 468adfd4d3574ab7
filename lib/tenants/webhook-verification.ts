import type { Tenant } from "@/db/schema";
import { getTenantByPublicId } from "./queries";
import { webhookSecretsForVerification } from "./webhook-secret";

/*
 * What a webhook delivery needs before it can be verified — its tenant and that tenant's webhook
 * secrets, decrypted — kept for a short while in this process, so that a burst of deliveries
 * costs no database read and no decryption per delivery. The entry is dropped when the secret is
 * saved on this instance; a secret saved on another instance shows here within the TTL, and
 * sooner for a delivery that fails verification: the caller reads again once (`fresh`) before
 * refusing it, so a rotation is never refused. A tenant without a secret is never cached.
 */

/** How long an entry is trusted. */
export const VERIFICATION_CACHE_TTL_MS = 30_000;
/** Entries kept at most (the oldest goes first). */
const MAX_ENTRIES = 10_000;

export interface WebhookVerifier {
  tenant: Pick<Tenant, "id">;
  /** The current secret, then the previous one while its grace period lasts (at read time). */
  secrets: string[];
  /** When the previous secret stops being accepted (ms), so a cached entry never outlives it. */
  previousUntil: number | null;
}

interface Entry extends WebhookVerifier {
  readAt: number;
}

const cache = new Map<string, Entry>();

/**
 * The tenant a webhook URL names and its verification secrets; undefined for an unknown public id.
 * `fresh` skips the cache (a delivery that failed verification with the cached secrets).
 */
export async function webhookVerifier(publicId: string, { fresh = false, now = new Date() }: { fresh?: boolean; now?: Date } = {}): Promise<WebhookVerifier | undefined> {
  const at = now.getTime();
  const cached = fresh ? undefined : cache.get(publicId);
  if (cached && at - cached.readAt < VERIFICATION_CACHE_TTL_MS && (cached.previousUntil === null || cached.previousUntil > at)) return cached;

  const tenant = await getTenantByPublicId(publicId);
  cache.delete(publicId);
  if (!tenant) return undefined;
  const secrets = webhookSecretsForVerification(tenant, now);
  const previousUntil = secrets.length > 1 ? (tenant.webhookSecretPreviousExpiresAt?.getTime() ?? null) : null;
  const verifier: Entry = { tenant: { id: tenant.id }, secrets, previousUntil, readAt: at };
  if (secrets.length > 0) {
    if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value!);
    cache.set(publicId, verifier);
  }
  return verifier;
}

/** Drops what this process holds for the tenant: its webhook secret changed, or the tenant is gone. */
export function forgetWebhookVerifier(tenantId: string): void {
  for (const [publicId, entry] of cache) if (entry.tenant.id === tenantId) cache.delete(publicId);
}
