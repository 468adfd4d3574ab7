import { headers } from "next/headers";

/**
 * Every request carries an id: the caller's `x-request-id` when it is a sane token (a load
 * balancer or Whop's retries may set one), otherwise a fresh random one. `proxy.ts` puts it on
 * the request and echoes it on the response; log lines written for the request carry it.
 */

export const REQUEST_ID_HEADER = "x-request-id";

const SANE_REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** The incoming id when it is 1–64 characters of `[A-Za-z0-9._-]`, else null (never echo junk into logs or headers). */
export function acceptedRequestId(value: string | null | undefined): string | null {
  return value && SANE_REQUEST_ID.test(value) ? value : null;
}

export function newRequestId(): string {
  return crypto.randomUUID();
}

export function requestIdFrom(requestHeaders: Headers): string {
  return acceptedRequestId(requestHeaders.get(REQUEST_ID_HEADER)) ?? newRequestId();
}

/** The current request's id, for server code that has no `Request` at hand (pages, server actions). */
export async function requestId(): Promise<string> {
  try {
    return requestIdFrom(await headers());
  } catch {
    return newRequestId(); // outside a request (scripts, tests)
  }
}
