import { createHash } from "node:crypto";
import { crc32 } from "node:zlib";
import { randomBase62 } from "@/lib/ids";

/*
 * The one place that says what the merchant API's credentials look like. A secret token is
 * `whc_` + 32 random base62 characters (190 bits) + a 6-character CRC32 checksum, so that secret
 * scanners recognise one (`whc_[A-Za-z0-9]{38}`) and a mistyped one is refused without a database
 * lookup. A publishable key has the same shape under `whp_` (made to ship inside an app: it can only
 * validate, activate and deactivate license keys). Both are looked up by SHA-256. A credential of an
 * account's Test mode says so: `test_` follows the prefix (`whc_test_…`, `whp_test_…`), so a
 * scanner pattern tells a leaked live token (`whc_[A-Za-z0-9]{38}`) from a test one
 * (`whc_test_[A-Za-z0-9]{38}`), and a person reading one knows which environment it opens.
 */

export const CREDENTIAL_KINDS = {
  secret: "whc_",
  publishable: "whp_",
} as const;
export type CredentialKind = keyof typeof CREDENTIAL_KINDS;

const RANDOM_LENGTH = 32;
const CHECKSUM_LENGTH = 6;
const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const SHAPE = /^(whc|whp)_(test_)?[A-Za-z0-9]{38}$/;
/** What follows the kind's prefix on a Test mode credential. */
export const TEST_MARK = "test_";

function checksum(body: string): string {
  let value = crc32(body);
  let out = "";
  for (let i = 0; i < CHECKSUM_LENGTH; i++) {
    out = BASE62[value % 62] + out;
    value = Math.floor(value / 62);
  }
  return out;
}

/** The visible start of a credential of `kind` in `environment` (`whc_`, `whc_test_`, …). */
export function credentialPrefix(kind: CredentialKind, environment: "live" | "test" = "live"): string {
  return `${CREDENTIAL_KINDS[kind]}${environment === "test" ? TEST_MARK : ""}`;
}

export function newCredential(kind: CredentialKind, environment: "live" | "test" = "live"): string {
  const body = `${credentialPrefix(kind, environment)}${randomBase62(RANDOM_LENGTH)}`;
  return `${body}${checksum(body)}`;
}

/** Which kind of credential this is by shape and checksum; null when we never issued it (a typo, another service's key). */
export function credentialKind(value: string): CredentialKind | null {
  if (!SHAPE.test(value)) return null;
  if (checksum(value.slice(0, -CHECKSUM_LENGTH)) !== value.slice(-CHECKSUM_LENGTH)) return null;
  return value.startsWith(CREDENTIAL_KINDS.publishable) ? "publishable" : "secret";
}

export function hashCredential(value: string): string {
  return createHash("sha256").update(value, "utf8").digest("hex");
}
