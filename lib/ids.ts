import { randomBytes } from "node:crypto";

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** Uniform random base62 (rejection sampling, no modulo bias). */
export function randomBase62(length: number): string {
  let out = "";
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248 && out.length < length) out += BASE62[byte % 62];
    }
  }
  return out;
}

/** Prefixed ids say what they are: `ten_…`, `usr_…`. */
export function newId(prefix: "acc" | "ten" | "usr" | "item" | "ord" | "rrq" | "inv"): string {
  return `${prefix}_${randomBase62(20)}`;
}

/** The public part of a checkout link, /pay/<slug>: 95 bits, unguessable. */
export function newItemSlug(): string {
  return randomBase62(16);
}

/** The tenant's public id (webhook URL): unguessable, 131 bits. */
export function newPublicTenantId(): string {
  return `wh_${randomBase62(22)}`;
}
