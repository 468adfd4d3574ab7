import { and, inArray, sql } from "drizzle-orm";
import { loginThrottle } from "@/db/schema";
import type { Executor } from "@/db/client";

/**
 * Failed-login counters in Postgres (so the limit holds across instances), one row per email and
 * per IP, in a fixed window that restarts after it expires.
 */

export const LOGIN_WINDOW_MINUTES = 15;
export const MAX_FAILURES_PER_EMAIL = 5;
export const MAX_FAILURES_PER_IP = 30;

export function throttleKeys(email: string, ip: string | null) {
  return { email: `login:email:${email}`, ip: `login:ip:${ip ?? "unknown"}` };
}

const windowExpired = sql`${loginThrottle.windowStartedAt} < now() - make_interval(mins => ${LOGIN_WINDOW_MINUTES})`;

export async function isLoginThrottled(executor: Executor, keys: { email: string; ip: string }): Promise<boolean> {
  const rows = await executor
    .select({ key: loginThrottle.key, failures: loginThrottle.failures })
    .from(loginThrottle)
    .where(and(inArray(loginThrottle.key, [keys.email, keys.ip]), sql`not (${windowExpired})`));
  return rows.some((row) =>
    row.key === keys.email ? row.failures >= MAX_FAILURES_PER_EMAIL : row.failures >= MAX_FAILURES_PER_IP,
  );
}

export async function recordLoginFailure(executor: Executor, keys: { email: string; ip: string }): Promise<void> {
  await executor
    .insert(loginThrottle)
    .values([
      { key: keys.email, failures: 1 },
      { key: keys.ip, failures: 1 },
    ])
    .onConflictDoUpdate({
      target: loginThrottle.key,
      set: {
        failures: sql`case when ${windowExpired} then 1 else ${loginThrottle.failures} + 1 end`,
        windowStartedAt: sql`case when ${windowExpired} then now() else ${loginThrottle.windowStartedAt} end`,
      },
    });
}

/** A successful login clears the email's counter; the IP's keeps counting other emails' failures. */
export async function clearLoginFailures(executor: Executor, keys: { email: string }): Promise<void> {
  await executor.delete(loginThrottle).where(inArray(loginThrottle.key, [keys.email]));
}
