import { and, eq, lt, sql } from "drizzle-orm";
import { db } from "@/db/client";
import { rateLimitBuckets } from "@/db/schema";

export interface RateLimitResult {
  allowed: boolean;
  /** Seconds until the current window ends (for Retry-After). */
  retryAfterSeconds: number;
}

function windowOf(nowMs: number, windowSeconds: number) {
  const startMs = Math.floor(nowMs / (windowSeconds * 1000)) * windowSeconds * 1000;
  return { start: new Date(startMs), retryAfterSeconds: Math.max(1, Math.ceil((startMs + windowSeconds * 1000 - nowMs) / 1000)) };
}

/**
 * Whether `key` is still under `limit` in the current window, without counting this call: for
 * limits that count only failures (hit on failure, check before trying).
 */
export async function checkRateLimit(key: string, limit: number, windowSeconds: number): Promise<RateLimitResult> {
  const window = windowOf(Date.now(), windowSeconds);
  const [row] = await db()
    .select({ count: rateLimitBuckets.count })
    .from(rateLimitBuckets)
    .where(and(eq(rateLimitBuckets.key, key), eq(rateLimitBuckets.windowStart, window.start)))
    .limit(1);
  return { allowed: (row?.count ?? 0) < limit, retryAfterSeconds: window.retryAfterSeconds };
}

/**
 * Fixed-window counter in Postgres, so a limit holds across every instance: one upsert per call.
 * `key` names the subject (e.g. `checkout:ip:203.0.113.9`).
 */
export async function hitRateLimit(key: string, limit: number, windowSeconds: number): Promise<RateLimitResult> {
  const nowMs = Date.now();
  const window = windowOf(nowMs, windowSeconds);
  const [row] = await db()
    .insert(rateLimitBuckets)
    .values({ key, windowStart: window.start, count: 1 })
    .onConflictDoUpdate({ target: [rateLimitBuckets.key, rateLimitBuckets.windowStart], set: { count: sql`${rateLimitBuckets.count} + 1` } })
    .returning({ count: rateLimitBuckets.count });
  // Old windows are useless: a rare sweep keeps the table small without a scheduler.
  if (Math.random() < 0.01) await sweepRateLimitBuckets(nowMs);
  return { allowed: (row?.count ?? 0) <= limit, retryAfterSeconds: window.retryAfterSeconds };
}

/** Deletes the windows that ended over an hour ago (called now and then by whoever counts). */
export async function sweepRateLimitBuckets(nowMs = Date.now()): Promise<void> {
  await db().delete(rateLimitBuckets).where(lt(rateLimitBuckets.windowStart, new Date(nowMs - 3_600_000)));
}
