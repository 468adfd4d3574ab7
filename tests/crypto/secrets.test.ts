import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { parseEncryptionKeys } from "@/lib/crypto/keyring";
import { DecryptionError, decryptSecret, encryptSecret, encryptionKeyIdOf, keyHint, reencryptIfStale } from "@/lib/crypto/secrets";

const keyText = () => randomBytes(32).toString("base64");
const context = { tenantId: "ten_A", field: "whop_api_key" } as const;
const apiKey = "apik_live_9f8e7d6c5b4a3210";

describe("encryptSecret / decryptSecret", () => {
  const keyring = parseEncryptionKeys(`k1:${keyText()}`);

  it("round-trips and never stores the plaintext", () => {
    const stored = encryptSecret(apiKey, context, keyring);
    expect(stored).not.toContain(apiKey);
    expect(stored.startsWith("v1.k1.")).toBe(true);
    expect(decryptSecret(stored, context, keyring)).toBe(apiKey);
  });

  it("uses a fresh nonce every time", () => {
    expect(encryptSecret(apiKey, context, keyring)).not.toBe(encryptSecret(apiKey, context, keyring));
  });

  it("refuses a ciphertext copied to another tenant", () => {
    const stored = encryptSecret(apiKey, context, keyring);
    expect(() => decryptSecret(stored, { ...context, tenantId: "ten_B" }, keyring)).toThrow(DecryptionError);
  });

  it("refuses a ciphertext copied to another field", () => {
    const stored = encryptSecret(apiKey, context, keyring);
    expect(() => decryptSecret(stored, { ...context, field: "webhook_secret" }, keyring)).toThrow(DecryptionError);
  });

  it("refuses a tampered tag or body", () => {
    const stored = encryptSecret(apiKey, context, keyring);
    const [version, keyId, nonce, body] = stored.split(".") as [string, string, string, string];
    const bytes = Buffer.from(body, "base64url");
    bytes[bytes.length - 1]! ^= 0x01;
    expect(() => decryptSecret([version, keyId, nonce, bytes.toString("base64url")].join("."), context, keyring)).toThrow(/authentication failed/);
    const first = Buffer.from(body, "base64url");
    first[0]! ^= 0x80;
    expect(() => decryptSecret([version, keyId, nonce, first.toString("base64url")].join("."), context, keyring)).toThrow(DecryptionError);
  });

  it("refuses an unknown key id", () => {
    const stored = encryptSecret(apiKey, context, keyring);
    const other = parseEncryptionKeys(`k2:${keyText()}`);
    expect(() => decryptSecret(stored, context, other)).toThrow(/key id "k1" is not in ENCRYPTION_KEYS/);
  });

  it("refuses a relabelled key id even when that key exists", () => {
    const both = parseEncryptionKeys(`k1:${keyText()},k2:${keyText()}`);
    const stored = encryptSecret(apiKey, context, both);
    expect(() => decryptSecret(stored.replace("v1.k1.", "v1.k2."), context, both)).toThrow(DecryptionError);
  });

  it("refuses garbage", () => {
    expect(() => decryptSecret("not-a-ciphertext", context, keyring)).toThrow(/unknown format/);
    expect(() => decryptSecret("v1.k1.AAAA.AAAA", context, keyring)).toThrow(/truncated/);
  });
});

describe("key rotation", () => {
  it("decrypts old rows after a new primary key is added, and re-encrypts them under it", () => {
    const oldKey = `old:${keyText()}`;
    const before = parseEncryptionKeys(oldKey);
    const stored = encryptSecret(apiKey, context, before);

    const after = parseEncryptionKeys(`new:${keyText()},${oldKey}`);
    expect(decryptSecret(stored, context, after)).toBe(apiKey);

    const moved = reencryptIfStale(stored, context, after);
    expect(moved).toBeDefined();
    expect(encryptionKeyIdOf(moved!)).toBe("new");
    expect(decryptSecret(moved!, context, parseEncryptionKeys(`new:${after.primary.key.toString("base64")}`))).toBe(apiKey);
    expect(reencryptIfStale(moved!, context, after)).toBeUndefined();
  });
});

describe("parseEncryptionKeys", () => {
  it("takes the first entry as primary", () => {
    const ring = parseEncryptionKeys(` a:${keyText()} , b:${keyText()} `);
    expect(ring.primary.id).toBe("a");
    expect([...ring.byId.keys()]).toEqual(["a", "b"]);
  });

  it.each([
    ["", /at least one/],
    ["nokey", /needs an id/],
    [`k1:${randomBytes(16).toString("base64")}`, /exactly 32 bytes \(got 16\)/],
    [`k1:${keyText()},k1:${keyText()}`, /appears twice/],
    [`bad id:${keyText()}`, /needs an id/],
  ])("rejects %j", (value, message) => {
    expect(() => parseEncryptionKeys(value)).toThrow(message);
  });
});

describe("keyHint", () => {
  it("shows only the last four characters", () => {
    expect(keyHint(apiKey)).toBe("3210");
  });
});
