import { randomInt } from "node:crypto";

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** Length of the base62 part of each Whop id, by prefix (Whop's ids are opaque `prefix_` + base62). */
export const ID_LENGTHS = {
  biz: 14,
  pay: 14,
  mem: 14,
  plan: 13,
  prod: 13,
  user: 13,
  hook: 13,
  ch: 15,
  msg: 24,
  /** Refunds and disputes: the sandbox's choice of prefix, with the payment's length. */
  rfnd: 14,
  dspt: 14,
} as const;

export type IdPrefix = keyof typeof ID_LENGTHS;

export function randomBase62(length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) out += BASE62[randomInt(BASE62.length)];
  return out;
}

export function newId(prefix: IdPrefix): string {
  return `${prefix}_${randomBase62(ID_LENGTHS[prefix])}`;
}

export function newWebhookSecret(): string {
  return `ws_${randomBase62(40)}`;
}

export function newApiKey(): string {
  return `apik_${randomBase62(40)}`;
}

export function newLicenseKey(): string {
  const group = () => randomBase62(6).toUpperCase();
  return `${group()}-${group()}-${group()}-${group()}`;
}
