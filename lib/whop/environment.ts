/**
 * Whop's two worlds. A key from one is rejected by the other (401), so every call a tenant makes
 * goes to the world its key was connected in.
 */

export type WhopEnvironment = "production" | "sandbox";

export const WHOP_PRODUCTION_API_ORIGIN = "https://api.whop.com";
export const WHOP_SANDBOX_API_ORIGIN = "https://sandbox-api.whop.com";

export interface ConfiguredWhopApi {
  /** The deployment's WHOP_API_ORIGIN. */
  origin: string;
  /** What that origin is (Whop's sandbox host and a local emulator count as sandbox). */
  environment: WhopEnvironment;
}

/**
 * The origin for a tenant's calls. Production tenants use the configured origin. Sandbox tenants
 * use it too when it is itself a sandbox (Whop's, or a local one in development and tests), and
 * Whop's sandbox host otherwise. A tenant with no recorded environment follows the configuration.
 */
export function whopApiOriginFor(environment: WhopEnvironment | null | undefined, configured: ConfiguredWhopApi): string {
  if (environment === "sandbox" && configured.environment !== "sandbox") return WHOP_SANDBOX_API_ORIGIN;
  return configured.origin;
}
