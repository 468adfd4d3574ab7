/** `npm run db:migrate`: apply the committed migrations (production runs this before starting new instances). */
import { closeDatabase, databaseKind, migrateDatabase } from "@/db/client";
import { ConfigError } from "@/lib/env";

try {
  await migrateDatabase();
  console.log(`Migrations applied (${databaseKind() === "pglite" ? "embedded Postgres in ./.data/pglite" : "DATABASE_URL"}).`);
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : `Migration failed: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  await closeDatabase();
}
