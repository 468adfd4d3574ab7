import { after } from "next/server";

/*
 * Work that follows an answer: inside a Next request it runs once the response has been sent
 * (`after()`, which `next start` also awaits before a graceful shutdown ends the process); called
 * anywhere else (a script, a test calling a route handler directly) it starts at once, in the
 * background. Either way the caller must not depend on it finishing: what it does has to be
 * recoverable if the process dies first (the webhook sweep, lib/ledger/ingest.ts).
 */

const running = new Set<Promise<void>>();

export function afterResponse(task: () => Promise<unknown>): void {
  try {
    after(task);
    return;
  } catch {
    // Not inside a request: nothing to wait for.
  }
  const started: Promise<void> = task()
    .then(() => {})
    .catch(() => {})
    .finally(() => running.delete(started));
  running.add(started);
}

/** Resolves once every task started outside a request has ended (tests; a script before it exits). */
export async function afterResponseSettled(): Promise<void> {
  while (running.size > 0) await Promise.allSettled([...running]);
}
