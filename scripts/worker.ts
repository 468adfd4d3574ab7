/**
 * `npm run worker`: works the job queue (lib/jobs) on DATABASE_URL — every queue of the registry,
 * the schedules (reconciliation, checkout expiry, payload retention) — until SIGTERM/SIGINT, then
 * finishes the jobs in hand and closes the database. Run as many as you like side by side: each
 * job is done once, each schedule tick sends one job.
 */
import { closeDatabase, databaseKind, migrateDatabase } from "@/db/client";
import { ConfigError, env } from "@/lib/env";
import { startWorker } from "@/lib/jobs/worker";
import { logger } from "@/lib/logger";

/** Keep the orchestrator's grace period longer (as for the app, README "Graceful shutdown"). */
const STOP_TIMEOUT_MS = 25_000;
const log = logger.child({ component: "worker" });

try {
  env();
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : String(error));
  process.exit(1);
}

try {
  // Production migrates with `npm run db:migrate` before a release; development does it here, as the app does.
  if (env().nodeEnv !== "production") {
    // `npm run dev` may be migrating the same fresh database right now: one retry once it is done.
    await migrateDatabase().catch(async (error: unknown) => {
      log.warn({ err: error }, "migrations failed; retrying once in 3 s");
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      await migrateDatabase();
    });
  }
  if (databaseKind() === "pglite") {
    log.warn("no DATABASE_URL: working the embedded database in ./.data/pglite, which only one process may open (the demo runs its worker inside the app instead)");
  }
  const worker = await startWorker({ log });
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return; // shells send SIGINT twice on Ctrl-C
    stopping = true;
    log.info({ signal }, "shutting down");
    const timer = setTimeout(() => {
      log.error({ timeoutMs: STOP_TIMEOUT_MS + 5_000 }, "worker shutdown timed out; exiting");
      process.exit(1);
    }, STOP_TIMEOUT_MS + 5_000);
    timer.unref();
    void (async () => {
      let code = 0;
      try {
        await worker.stop({ timeoutMs: STOP_TIMEOUT_MS });
      } catch (error) {
        log.error({ err: error }, "stopping the worker failed");
        code = 1;
      }
      try {
        await closeDatabase();
      } catch (error) {
        log.error({ err: error }, "closing the database failed");
        code = 1;
      }
      log.info({ exitCode: code }, "shutdown complete");
      process.exit(code);
    })();
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
} catch (error) {
  log.error({ err: error }, "the worker could not start");
  await closeDatabase().catch(() => {});
  process.exit(1);
}
