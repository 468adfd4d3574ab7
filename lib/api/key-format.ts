import { createHash } from "node:crypto";
import { crc32 } from "node:zlib";
import { randomBase62 } from "@/lib/ids";

/*
 * The one place that says what the merchant API's credentials look like. A secret token is
 * `whc_` + 32 random base62 characters (190 bits) + a 6-character CRC32 checksum, so that secret
 * scanners recognise one (`whc_[A-Za-z0-9]{38}`) and a mistyped one is refused without a database
 * lookup. A publishable key has the same shape under `whp_` (made to ship inside an app: it can only
 * validate, activate and deactivate license keys). Both are looked up by SHA-256.
 */

export const CREDENTIAL_KINDS = {
  secret: "whc_",
  publishable: "whp_",
} as const;
export type CredentialKind = keyof typeof CREDENTIAL_KINDS;

const RANDOM_LENGTH = 32;
const CHECKSUM_LENGTH = 6;
const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const SHAPE = /^(whc|whp)_[A-Za-z0-9]{38}$/;

function checksum(body: string): string {
  let value = crc32(body);
  let out = "";
  for (let i = 0; i < CHECKSUM_LENGTH; i++) {
    out = BASE62[value % 62] + out;
    value = Math.floor(value / 62);
  }
  return out;
}

export function newCredential(kind: CredentialKind): string {
  const body = `${CREDENTIAL_KINDS[kind]}${randomBase62(RANDOM_LENGTH)}`;
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
