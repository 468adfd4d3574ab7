import { ConfigError, env } from "@/lib/env";
import { databaseKind, migrateDatabase } from "@/db/client";
import { installGracefulShutdown } from "@/lib/shutdown";

/**
 * Runs once when a server instance starts (instrumentation.ts): validate configuration (one line
 * per problem, then exit) and, outside production, apply migrations so that `npm run dev` and the
 * demo need no setup. Production applies migrations with `npm run db:migrate`, and on SIGTERM
 * finishes in-flight requests, then closes the database pool (lib/shutdown.ts).
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
  if (env().nodeEnv === "production") {
    if (!process.env.NEXT_MANUAL_SIG_HANDLE) installGracefulShutdown();
    return;
  }
  await migrateDatabase();
  console.info(`[db] ${databaseKind() === "pglite" ? "embedded Postgres in ./.data/pglite" : "Postgres from DATABASE_URL"}; migrations applied`);
}
