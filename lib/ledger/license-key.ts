import { createHash } from "node:crypto";

/**
 * A buyer's Whop license key is a credential for the merchant's software: it is stored as a
 * SHA-256 digest and looked up by that digest (an index probe whose cost does not depend on how
 * much of a guess matches), plus its last four characters to recognise it on the order page.
 */
export function hashLicenseKey(licenseKey: string): string {
  return createHash("sha256").update(licenseKey.trim(), "utf8").digest("hex");
}

export function licenseKeyHint(licenseKey: string): string {
  return licenseKey.trim().slice(-4);
}
