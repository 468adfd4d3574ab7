import { env } from "@/lib/env";

/**
 * The caller's IP for throttles. Each proxy in front of the app appends the address it saw to
 * X-Forwarded-For (and Next records the socket's address when the header is absent), so with
 * `hops` trusted proxies (TRUSTED_PROXY_HOPS) the client's address is that many entries from the
 * end: the entries before it are whatever the client sent, and are never trusted. A chain shorter
 * than that (a request that bypassed a proxy) yields its first entry.
 */
export function clientIpFrom(headers: Headers, hops: number = env().trustedProxyHops): string | null {
  const chain = (headers.get("x-forwarded-for") ?? "")
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
  const ip = chain.length === 0 ? undefined : chain[Math.max(0, chain.length - hops)];
  return ip || headers.get("x-real-ip") || null;
}
