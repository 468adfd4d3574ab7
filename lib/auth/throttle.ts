import { inArray, sql } from "drizzle-orm";
import { loginThrottle } from "@/db/schema";
import type { Executor } from "@/db/client";

/*
 * Log-in attempts counted in Postgres (so the limit holds across instances), one row per email and
 * per IP, in a fixed window that restarts after it expires. Each attempt is counted **before** its
 * password is checked, in one upsert that returns the new counts: of a burst of parallel guesses
 * only the first few are ever checked, however they interleave. A successful log-in takes its
 * attempt back (the email's counter is cleared, the IP's loses one).
 */

export const LOGIN_WINDOW_MINUTES = 15;
export const MAX_FAILURES_PER_EMAIL = 5;
export const MAX_FAILURES_PER_IP = 30;

export interface LoginKeys {
  email: string;
  ip: string;
}

export function throttleKeys(email: string, ip: string | null): LoginKeys {
  return { email: `login:email:${email}`, ip: `login:ip:${ip ?? "unknown"}` };
}

const windowExpired = sql`${loginThrottle.windowStartedAt} < now() - make_interval(mins => ${LOGIN_WINDOW_MINUTES})`;

/** Counts one attempt for each key, in one upsert; the new counts. */
async function countAttempt(executor: Executor, keys: string[]): Promise<{ key: string; failures: number }[]> {
  return executor
    .insert(loginThrottle)
    .values(keys.map((key) => ({ key, failures: 1 })))
    .onConflictDoUpdate({
      target: loginThrottle.key,
      set: {
        failures: sql`case when ${windowExpired} then 1 else ${loginThrottle.failures} + 1 end`,
        windowStartedAt: sql`case when ${windowExpired} then now() else ${loginThrottle.windowStartedAt} end`,
      },
    })
    .returning({ key: loginThrottle.key, failures: loginThrottle.failures });
}

/** Counts this attempt for the email and the IP; false when either is over its limit (the password must then not be checked). */
export async function takeLoginAttempt(executor: Executor, keys: LoginKeys): Promise<boolean> {
  const rows = await countAttempt(executor, [keys.email, keys.ip]);
  return rows.every((row) => row.failures <= (row.key === keys.email ? MAX_FAILURES_PER_EMAIL : MAX_FAILURES_PER_IP));
}

/** A successful log-in: the email starts afresh; the IP keeps counting other attempts, less this one. */
export async function returnLoginAttempt(executor: Executor, keys: LoginKeys): Promise<void> {
  await executor.delete(loginThrottle).where(inArray(loginThrottle.key, [keys.email]));
  await executor
    .update(loginThrottle)
    .set({ failures: sql`greatest(${loginThrottle.failures} - 1, 0)` })
    .where(inArray(loginThrottle.key, [keys.ip]));
}

/*
 * Second-factor codes (log-in's second step, **Confirm it's you** with a code, deleting the account)
 * are counted per user, in the same table and window: a 6-digit code has a million values, so five
 * guesses per 15 minutes is what keeps guessing hopeless.
 */
export const MAX_SECOND_FACTOR_ATTEMPTS = 5;

export const secondFactorKey = (user: { userId: string }): string => `2fa:user:${user.userId}`;

/** Counts this code attempt for the user; false when over the limit (the code must then not be checked). */
export async function takeSecondFactorAttempt(executor: Executor, user: { userId: string }): Promise<boolean> {
  const [row] = await countAttempt(executor, [secondFactorKey(user)]);
  return (row?.failures ?? 0) <= MAX_SECOND_FACTOR_ATTEMPTS;
}

/** A correct code: the user's count starts afresh. */
export async function clearSecondFactorAttempts(executor: Executor, user: { userId: string }): Promise<void> {
  await executor.delete(loginThrottle).where(inArray(loginThrottle.key, [secondFactorKey(user)]));
}
