import { closeDatabase } from "@/db/client";
import { logger, type Logger } from "@/lib/logger";

/**
 * Graceful shutdown for `next start` (and the standalone `server.js`, which runs the same code).
 *
 * Next.js 16 already drains on SIGTERM/SIGINT (next/dist/server/lib/start-server.js, unless
 * NEXT_MANUAL_SIG_HANDLE is set): it stops accepting connections, waits for in-flight requests to
 * finish (`server.close()`), awaits pending `after()` work, then calls `process.exit(143|130)`.
 * What it does not do is close our database pool, nor bound the wait. So on the same signal we:
 *  - log that shutdown started;
 *  - hold Next's final `process.exit()` until the pool is closed (`closeDatabase()`), then exit 0
 *    (a requested, completed shutdown is not a failure for the supervisor);
 *  - force-exit with status 1 if draining takes longer than `timeoutMs`.
 */

/** Above the Whop client's worst case for one checkout call (timeouts and backoff); keep the orchestrator's grace period longer. */
export const SHUTDOWN_TIMEOUT_MS = 25_000;

interface ShutdownOptions {
  timeoutMs?: number;
  close?: () => Promise<void>;
  /** The real exit; injected by tests. */
  exit?: (code: number) => void;
  log?: Logger;
}

/** Installs the signal handlers; returns a function that removes them (tests). */
export function installGracefulShutdown({
  timeoutMs = SHUTDOWN_TIMEOUT_MS,
  close = closeDatabase,
  exit,
  log = logger,
}: ShutdownOptions = {}): () => void {
  const originalExit = process.exit;
  const exitNow = exit ?? ((code: number) => originalExit.call(process, code));
  let timer: NodeJS.Timeout | undefined;
  let started = false;

  const onSignal = (signal: NodeJS.Signals) => {
    if (started) return; // shells send SIGINT twice on Ctrl-C
    started = true;
    const since = Date.now();
    log.info({ signal, timeoutMs }, "shutting down: finishing in-flight requests");

    timer = setTimeout(() => {
      log.error({ timeoutMs }, "shutdown timed out with requests still in flight; exiting");
      exitNow(1);
    }, timeoutMs);
    timer.unref();

    let finishing = false;
    // Next calls process.exit() once its server has closed, i.e. once no request is in flight.
    process.exit = ((code?: number | string | null) => {
      if (finishing) return;
      finishing = true;
      void (async () => {
        try {
          await close();
        } catch (error) {
          log.error({ err: error }, "closing the database pool failed");
        }
        clearTimeout(timer);
        // Next exits 128 + signal (143, 130); a requested and completed shutdown exits 0.
        const status = code === 143 || code === 130 || code === undefined || code === null ? 0 : Number(code) || 1;
        log.info({ durationMs: Date.now() - since, exitCode: status }, "shutdown complete");
        exitNow(status);
      })();
    }) as typeof process.exit;
  };

  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  return () => {
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
    clearTimeout(timer);
    process.exit = originalExit;
  };
}
