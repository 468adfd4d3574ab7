import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import type { Keyring } from "./keyring";

/**
 * AES-256-GCM for the secrets we hold (Whop API keys, webhook secrets, buyers' license keys,
 * endpoint signing secrets, users' TOTP secrets).
 * Stored form: `v1.<keyId>.<nonce>.<ciphertext+tag>` (base64url). The additional authenticated data
 * binds the key id, the tenant and the field, so a ciphertext copied to another row or column fails.
 */

export type SecretField =
  | "whop_api_key"
  | "webhook_secret"
  | "webhook_secret_previous"
  | "license_key"
  /** The signing secret of a merchant's own webhook endpoint (per endpoint row), and the one before its rotation. */
  | "outbound_webhook_secret"
  | "outbound_webhook_secret_previous"
  /** A user's TOTP secret (per user row: rowId is the user id). */
  | "totp_secret";

export interface SecretContext {
  tenantId: string;
  field: SecretField;
  /** The row within the tenant, for secrets held per row (a license key per order). */
  rowId?: string;
}

export class DecryptionError extends Error {
  constructor(reason: string) {
    super(`Cannot decrypt secret: ${reason}`);
    this.name = "DecryptionError";
  }
}

const VERSION = "v1";
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

function additionalData(keyId: string, context: SecretContext): Buffer {
  return Buffer.from(`whop-connector/${VERSION}/${keyId}/${context.tenantId}/${context.field}${context.rowId === undefined ? "" : `/${context.rowId}`}`, "utf8");
}

export function encryptSecret(plaintext: string, context: SecretContext, keyring: Keyring): string {
  const { id, key } = keyring.primary;
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, nonce);
  cipher.setAAD(additionalData(id, context));
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final(), cipher.getAuthTag()]);
  return [VERSION, id, nonce.toString("base64url"), body.toString("base64url")].join(".");
}

export function encryptionKeyIdOf(stored: string): string | undefined {
  const [version, keyId] = stored.split(".");
  return version === VERSION ? keyId : undefined;
}

export function decryptSecret(stored: string, context: SecretContext, keyring: Keyring): string {
  const parts = stored.split(".");
  if (parts.length !== 4 || parts[0] !== VERSION) throw new DecryptionError("unknown format");
  const [, keyId, nonceText, bodyText] = parts as [string, string, string, string];
  const dataKey = keyring.byId.get(keyId);
  if (!dataKey) throw new DecryptionError(`key id "${keyId}" is not in ENCRYPTION_KEYS`);
  const nonce = Buffer.from(nonceText, "base64url");
  const body = Buffer.from(bodyText, "base64url");
  if (nonce.length !== NONCE_BYTES || body.length < TAG_BYTES) throw new DecryptionError("truncated ciphertext");

  const decipher = createDecipheriv("aes-256-gcm", dataKey.key, nonce);
  decipher.setAAD(additionalData(keyId, context));
  decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]).toString("utf8");
  } catch {
    throw new DecryptionError("authentication failed (wrong key, tenant or field, or tampered data)");
  }
}

/** Re-encrypts under the primary key when the stored value uses an older one; undefined when already current. */
export function reencryptIfStale(stored: string, context: SecretContext, keyring: Keyring): string | undefined {
  if (encryptionKeyIdOf(stored) === keyring.primary.id) return undefined;
  return encryptSecret(decryptSecret(stored, context, keyring), context, keyring);
}

/** What a merchant may see of a key: its last four characters. */
export function keyHint(secret: string): string {
  return secret.slice(-4);
}
