/** The data-encryption keys from ENCRYPTION_KEYS: `id:base64(32 bytes)`, comma-separated, first = primary. */
export interface DataKey {
  id: string;
  key: Buffer;
}

export interface Keyring {
  primary: DataKey;
  byId: ReadonlyMap<string, DataKey>;
}

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;

export function parseEncryptionKeys(value: string): Keyring {
  const entries = value
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (entries.length === 0) throw new Error("must hold at least one id:base64 key");

  const keys: DataKey[] = entries.map((entry, index) => {
    const separator = entry.indexOf(":");
    const id = separator > 0 ? entry.slice(0, separator) : "";
    if (!KEY_ID.test(id)) throw new Error(`entry ${index + 1} needs an id of letters, digits, _ or - before ':'`);
    const key = Buffer.from(entry.slice(separator + 1), "base64");
    if (key.length !== 32) throw new Error(`key "${id}" must be base64 of exactly 32 bytes (got ${key.length})`);
    return { id, key };
  });

  const byId = new Map<string, DataKey>();
  for (const key of keys) {
    if (byId.has(key.id)) throw new Error(`key id "${key.id}" appears twice`);
    byId.set(key.id, key);
  }
  return { primary: keys[0]!, byId };
}
