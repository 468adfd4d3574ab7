import { env } from "@/lib/env";

/**
 * Whop's two worlds, one per environment of an account: **live** is Whop's production API
 * (WHOP_API_ORIGIN), **test** its sandbox (WHOP_SANDBOX_API_ORIGIN). Each has its own companies and
 * keys: a key from one is rejected by the other (401), so every call a tenant makes goes to the
 * world of its environment.
 */

export type WhopEnvironment = "live" | "test";

export const WHOP_PRODUCTION_API_ORIGIN = "https://api.whop.com";
export const WHOP_SANDBOX_API_ORIGIN = "https://sandbox-api.whop.com";

/** The origin an environment's calls go to, as configured. */
export function whopApiOriginFor(environment: WhopEnvironment, origins: { whopApiOrigin: string; whopSandboxApiOrigin: string } = env()): string {
  return environment === "test" ? origins.whopSandboxApiOrigin : origins.whopApiOrigin;
}
