import { expect } from "vitest";
import { createWhopClient, WhopApiError, type WhopClientOptions } from "@/lib/whop/client";

export const ORIGIN = process.env.WHOP_API_ORIGIN ?? "https://api.whop.test";
export const API_KEY = "apik_Test0123456789abcdefGHIJKLmnop";

export function makeClient(overrides: Partial<WhopClientOptions> = {}) {
  return createWhopClient({ apiKey: API_KEY, origin: ORIGIN, sleep: async () => {}, ...overrides });
}

/** Runs `fn`, asserts it threw a WhopApiError that carries no trace of the key, returns it. */
export async function whopErrorOf(fn: () => Promise<unknown>): Promise<WhopApiError> {
  let caught: unknown;
  try {
    await fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(WhopApiError);
  const err = caught as WhopApiError;
  expectNoKey(err.message);
  expectNoKey(String(err));
  expectNoKey(err.stack ?? "");
  expectNoKey(JSON.stringify(err));
  expectNoKey(JSON.stringify(err.cause ?? null) + String(err.cause ?? ""));
  return err;
}

export function expectNoKey(text: string) {
  expect(text).not.toContain(API_KEY);
  // Not even a recognisable part of it.
  expect(text).not.toContain(API_KEY.slice(5, 20));
}
