import { and, eq, sql } from "drizzle-orm";
import { db, type Executor } from "@/db/client";
import { rateLimitBuckets } from "@/db/schema";

/*
 * The brakes on license questions, never per account: a publishable key is shared by every install
 * of the merchant's app, so one client guessing keys must not lock out the real buyers. Each
 * question is counted before it is checked, in one upsert of fixed one-minute windows in Postgres
 * (so the limits hold across instances and no burst slips through between a check and a count):
 *
 * - per client IP: failures (unknown or mistyped keys) — counted up front and given back once the
 *   key turns out to be known, so of a burst of parallel guesses only the limit's worth are looked up;
 * - per license key (its digest): questions about one key, whoever asks;
 * - per API key: a secret token's questions; for the publishable key, per client IP.
 */

export const LICENSE_LIMITS = {
  failuresPerIp: 30,
  perLicenseKey: 60,
  perSecretToken: 600,
  perPublishableClient: 120,
} as const;
const WINDOW_SECONDS = 60;

export interface LicenseCaller {
  tenantId: string;
  credential: { kind: "secret" | "publishable"; id: string };
  /** The client's IP (lib/http/client-ip.ts), null when unknown. */
  ip: string | null;
}

export interface LicenseThrottled {
  throttled: true;
  retryAfterSeconds: number;
  /** Which brake: the answer says so, so that a legitimate caller knows what to slow down. */
  limit: "client" | "license_key" | "api_key";
}

export function throttleKeys(caller: LicenseCaller, digest: string) {
  const ip = caller.ip ?? "unknown";
  return {
    failures: `licenses:ip-failures:${ip}`,
    licenseKey: `licenses:key:${digest}`,
    apiKey: caller.credential.kind === "secret" ? `licenses:token:${caller.credential.id}` : `licenses:publishable:${caller.credential.id}:${ip}`,
  };
}

export type LicenseAttempt = { allowed: true; settle: (known: boolean, executor?: Executor) => Promise<void> } | { allowed: false; throttled: LicenseThrottled };

export async function takeLicenseAttempt(caller: LicenseCaller, digest: string, nowMs = Date.now()): Promise<LicenseAttempt> {
  const windowStartMs = Math.floor(nowMs / (WINDOW_SECONDS * 1000)) * WINDOW_SECONDS * 1000;
  const windowStart = new Date(windowStartMs);
  const retryAfterSeconds = Math.max(1, Math.ceil((windowStartMs + WINDOW_SECONDS * 1000 - nowMs) / 1000));
  const keys = throttleKeys(caller, digest);
  const rows = await db()
    .insert(rateLimitBuckets)
    .values([keys.failures, keys.licenseKey, keys.apiKey].map((key) => ({ key, windowStart, count: 1 })))
    .onConflictDoUpdate({ target: [rateLimitBuckets.key, rateLimitBuckets.windowStart], set: { count: sql`${rateLimitBuckets.count} + 1` } })
    .returning({ key: rateLimitBuckets.key, count: rateLimitBuckets.count });
  const count = (key: string) => rows.find((row) => row.key === key)?.count ?? 0;
  const apiKeyLimit = caller.credential.kind === "secret" ? LICENSE_LIMITS.perSecretToken : LICENSE_LIMITS.perPublishableClient;
  const over: LicenseThrottled["limit"] | null =
    count(keys.failures) > LICENSE_LIMITS.failuresPerIp ? "client" : count(keys.apiKey) > apiKeyLimit ? "api_key" : count(keys.licenseKey) > LICENSE_LIMITS.perLicenseKey ? "license_key" : null;
  if (over) return { allowed: false, throttled: { throttled: true, retryAfterSeconds, limit: over } };
  return {
    allowed: true,
    settle: async (known, executor = db()) => {
      await executor
        .update(rateLimitBuckets)
        .set({ count: sql`greatest(${rateLimitBuckets.count} - ${known ? 1 : 0}, 0)` })
        .where(and(eq(rateLimitBuckets.key, keys.failures), eq(rateLimitBuckets.windowStart, windowStart)));
    },
  };
}
