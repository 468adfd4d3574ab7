import { timingSafeEqual } from "node:crypto";

/**
 * The buyer's browser: a random id in an httpOnly cookie (path /pay), set with the first checkout
 * and kept on the order (`attempt_id`). A second click reuses that browser's pending checkout, and
 * the thank-you page shows a license key only to the browser that bought it.
 */
export const ATTEMPT_COOKIE = "whop_connector_checkout";

/** Whether the cookie names the order's browser (compared in constant time: the id is a bearer secret). */
export function isBuyersBrowser(cookie: string | undefined, orderAttemptId: string): boolean {
  if (!cookie) return false;
  const a = Buffer.from(cookie);
  const b = Buffer.from(orderAttemptId);
  return a.length === b.length && timingSafeEqual(a, b);
}
