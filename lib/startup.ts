import { ConfigError, env } from "@/lib/env";
import { closeDatabase, databaseKind, migrateDatabase } from "@/db/client";
import { installGracefulShutdown } from "@/lib/shutdown";

/**
 * Runs once when a server instance starts (instrumentation.ts): validate configuration (one line
 * per problem, then exit) and, outside production, apply migrations so that `npm run dev` and the
 * demo need no setup. Production applies migrations with `npm run db:migrate`, and on SIGTERM
 * finishes in-flight requests, then closes the database pool (lib/shutdown.ts).
 * With RUN_WORKER_IN_PROCESS=1 (the demo) the job worker runs in this process too
 * (lib/jobs/in-process.ts); on shutdown it finishes its jobs before the database closes.
 */
export async function startServer(): Promise<void> {
  try {
    env();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  const { workerInProcessRequested, startInProcessWorker, stopInProcessWorker } = await import("@/lib/jobs/in-process");
  const inProcessWorker = workerInProcessRequested();
  if (env().nodeEnv === "production") {
    if (!process.env.NEXT_MANUAL_SIG_HANDLE) {
      installGracefulShutdown(inProcessWorker ? { close: () => stopInProcessWorker(15_000).finally(closeDatabase) } : {});
    }
    if (inProcessWorker) await startInProcessWorker();
    return;
  }
  await migrateDatabase();
  console.info(`[db] ${databaseKind() === "pglite" ? "embedded Postgres in ./.data/pglite" : "Postgres from DATABASE_URL"}; migrations applied`);
  if (inProcessWorker) {
    await startInProcessWorker();
    console.info("[jobs] worker running in this process (RUN_WORKER_IN_PROCESS=1): webhook deliveries and the scheduled jobs");
  }
}
