/**
 * With DATABASE_URL (CI: real Postgres), migrate once before the test files run in parallel.
 * Without it every test file gets its own in-memory PGlite, migrated by `withTestDatabase()`.
 */
export default async function globalSetup() {
  if (!process.env.DATABASE_URL) return;
  (process.env as Record<string, string>).NODE_ENV = "test";
  await import("./setup");
  const { migrateDatabase, closeDatabase } = await import("../db/client");
  await migrateDatabase();
  await closeDatabase();
}
