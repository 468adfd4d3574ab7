/**
 * The caller's IP for throttles. Behind a load balancer the nearest proxy appends the address it
 * saw to X-Forwarded-For, so the last entry is the one a client cannot choose (earlier entries
 * are whatever the client sent).
 */
export function clientIpFrom(headers: Headers): string | null {
  const forwarded = headers.get("x-forwarded-for");
  const last = forwarded?.split(",").at(-1)?.trim();
  return last || headers.get("x-real-ip") || null;
}
