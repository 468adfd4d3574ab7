import { createHash, randomBytes } from "node:crypto";
import { crc32 } from "node:zlib";
import { decryptSecret, encryptSecret } from "@/lib/crypto/secrets";
import { env } from "@/lib/env";

/*
 * License keys. Our own are 20 random Crockford base32 characters (100 bits) and a 5-character
 * checksum, in five groups of five: `7KQ2M-X9D4T-0BWZ3-HN8RC-5VFJA`. Crockford's alphabet has no
 * I, L, O or U, and reading one as 1, 1, 0 is forgiven, as are lower case and missing dashes; a
 * key of our shape whose checksum fails is a typo, refused without a lookup. Whop's own keys (for
 * products with its Software Licensing) have another shape and are taken as they come.
 *
 * Either kind is stored encrypted on its order (AES-256-GCM bound to tenant and order, so the
 * merchant can see it again) and as a SHA-256 digest, which is what a validation looks up: one
 * index probe whose cost does not depend on how much of a guess matches.
 */

/** A buyer's license key in clear: only the thank-you page, the merchant and the merchant's apps see one. */
export type LicenseKey = string & { readonly __brand: "LicenseKey" };

const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const RANDOM_LENGTH = 20;
const CHECKSUM_LENGTH = 5;
const GROUP = 5;
const OURS = /^[0-9A-Z]{5}(?:-?[0-9A-Z]{5}){4}$/;

function checksum(body: string): string {
  // CRC32 (32 bits) cut to 25: any one mistyped character and any swap of two neighbours change it.
  let value = crc32(body) % 32 ** CHECKSUM_LENGTH;
  let out = "";
  for (let i = 0; i < CHECKSUM_LENGTH; i++) {
    out = ALPHABET[value % 32] + out;
    value = Math.floor(value / 32);
  }
  return out;
}

function grouped(chars: string): LicenseKey {
  return (chars.match(new RegExp(`.{${GROUP}}`, "g")) ?? []).join("-") as LicenseKey;
}

export function newLicenseKey(): LicenseKey {
  // 32 divides 256: one byte per character, no modulo bias.
  const body = [...randomBytes(RANDOM_LENGTH)].map((byte) => ALPHABET[byte % 32]).join("");
  return grouped(body + checksum(body));
}

export type ParsedLicenseKey =
  /** One of ours, in its canonical form (upper case, grouped). */
  | { kind: "ours"; key: LicenseKey }
  /** Our shape with a checksum that fails: a typo. */
  | { kind: "mistyped" }
  /** Anything else: perhaps Whop's, compared as typed (trimmed). */
  | { kind: "other"; key: LicenseKey };

export function parseLicenseKey(input: string): ParsedLicenseKey {
  const trimmed = input.trim();
  const upper = trimmed.toUpperCase().replace(/[\s]/g, "");
  if (!OURS.test(upper.replace(/[OIL]/g, "0"))) return { kind: "other", key: trimmed as LicenseKey };
  const chars = upper.replaceAll("-", "").replace(/O/g, "0").replace(/[IL]/g, "1");
  if (!/^[0-9A-HJKMNP-TV-Z]{25}$/.test(chars)) return { kind: "other", key: trimmed as LicenseKey };
  const body = chars.slice(0, RANDOM_LENGTH);
  return checksum(body) === chars.slice(RANDOM_LENGTH) ? { kind: "ours", key: grouped(chars) } : { kind: "mistyped" };
}

/** The digest a key is stored and looked up by (of its canonical form when it is one of ours). */
export function licenseKeyDigest(input: string): string {
  const parsed = parseLicenseKey(input);
  const canonical = parsed.kind === "mistyped" ? input.trim() : parsed.key;
  return createHash("sha256").update(canonical, "utf8").digest("hex");
}

export function licenseKeyHint(key: string): string {
  return key.trim().slice(-4);
}

const context = (tenantId: string, orderId: string) => ({ tenantId, field: "license_key" as const, rowId: orderId });

/** The order's license key columns for `key` (digest, hint, ciphertext bound to tenant and order). */
export function sealLicenseKey(tenantId: string, orderId: string, key: string) {
  const canonical = (() => {
    const parsed = parseLicenseKey(key);
    return parsed.kind === "mistyped" ? key.trim() : parsed.key;
  })();
  return {
    licenseKeyHash: licenseKeyDigest(canonical),
    licenseKeyHint: licenseKeyHint(canonical),
    licenseKeyCiphertext: encryptSecret(canonical, context(tenantId, orderId), env().encryptionKeys),
  };
}

export function openLicenseKey(order: { tenantId: string; id: string; licenseKeyCiphertext: string | null }): LicenseKey | null {
  return order.licenseKeyCiphertext ? (decryptSecret(order.licenseKeyCiphertext, context(order.tenantId, order.id), env().encryptionKeys) as LicenseKey) : null;
}
