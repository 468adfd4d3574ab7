import { afterAll, beforeAll } from "vitest";
import { closeDatabase, migrateDatabase } from "@/db/client";

/** Integration tests: the database DATABASE_URL names (CI: real Postgres), else in-memory PGlite. */
export function withTestDatabase(): void {
  beforeAll(async () => {
    await migrateDatabase();
  });
  afterAll(async () => {
    await closeDatabase();
  });
}

/** Unique per test so that files running in parallel on one database never collide. */
export function uniqueEmail(label = "merchant"): string {
  return `${label}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}@example.com`;
}
