import { lt, sql } from "drizzle-orm";
import { db } from "@/db/client";
import { rateLimitBuckets } from "@/db/schema";

export interface RateLimitResult {
  allowed: boolean;
  /** Seconds until the current window ends (for Retry-After). */
  retryAfterSeconds: number;
}

/**
 * Fixed-window counter in Postgres, so a limit holds across every instance: one upsert per call.
 * `key` names the subject (e.g. `checkout:ip:203.0.113.9`).
 */
export async function hitRateLimit(key: string, limit: number, windowSeconds: number): Promise<RateLimitResult> {
  const nowMs = Date.now();
  const windowStartMs = Math.floor(nowMs / (windowSeconds * 1000)) * windowSeconds * 1000;
  const [row] = await db()
    .insert(rateLimitBuckets)
    .values({ key, windowStart: new Date(windowStartMs), count: 1 })
    .onConflictDoUpdate({ target: [rateLimitBuckets.key, rateLimitBuckets.windowStart], set: { count: sql`${rateLimitBuckets.count} + 1` } })
    .returning({ count: rateLimitBuckets.count });
  // Old windows are useless: a rare sweep keeps the table small without a scheduler.
  if (Math.random() < 0.01) {
    await db().delete(rateLimitBuckets).where(lt(rateLimitBuckets.windowStart, new Date(nowMs - 3_600_000)));
  }
  return {
    allowed: (row?.count ?? 0) <= limit,
    retryAfterSeconds: Math.max(1, Math.ceil((windowStartMs + windowSeconds * 1000 - nowMs) / 1000)),
  };
}
