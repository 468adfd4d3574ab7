/**
 * Migrations without dev dependencies, for the production image: `node scripts/migrate.mjs`.
 * Same migrator and bookkeeping table as `npm run db:migrate` (drizzle-orm's postgres-js
 * migrator over db/migrations), so either may run against the same database. Then, like
 * `npm run db:migrate`, installs the job queue's schema (pg-boss, schema pgboss) and creates the
 * queues listed in lib/jobs/queues.json, so the app can enqueue before any worker ran.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import postgres from "postgres";
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";

const url = process.env.DATABASE_URL;
if (!url || !/^postgres(ql)?:\/\//.test(url)) {
  console.error("DATABASE_URL must be set to a postgres:// connection string");
  process.exit(1);
}

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");
const migrationsFolder = path.join(root, "db", "migrations");
// One connection: pg-boss's install is a script that opens and commits its own transaction.
// Through a transaction-mode pooler (DATABASE_POOLER=transaction) statements go unprepared, as the app's do.
const sql = postgres(url, { max: 1, prepare: process.env.DATABASE_POOLER !== "transaction", onnotice: () => {} });

/** As lib/jobs/pg-boss-db.ts binds pg-boss's values: objects as JSON, arrays as Postgres arrays. */
function bindable(value) {
  if (value === undefined || value === null) return null;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return `{${value.map((v) => (v === null || v === undefined ? "NULL" : `"${String(v).replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`)).join(",")}}`;
  if (typeof value === "object") return JSON.stringify(value);
  return value;
}

async function installJobQueues() {
  const { default: PgBoss } = await import("pg-boss");
  const config = JSON.parse(fs.readFileSync(path.join(root, "lib", "jobs", "queues.json"), "utf8"));
  const db = {
    async executeSql(text, values) {
      const result = values && values.length > 0 ? await sql.unsafe(text, values.map(bindable)) : await sql.unsafe(text);
      const rows = result.length > 0 && result.every(Array.isArray) ? result[result.length - 1] : result;
      return { rows: [...rows] };
    },
  };
  const boss = new PgBoss({ schema: config.schema, db, schedule: false, supervise: false, migrate: true });
  boss.on("error", () => {});
  await boss.start();
  try {
    for (const [name, options] of Object.entries(config.queues)) {
      await boss.createQueue(name, { name, ...options });
      await boss.updateQueue(name, { name, ...options });
    }
  } finally {
    await boss.stop({ graceful: false, close: false });
  }
}

try {
  await migrate(drizzle(sql), { migrationsFolder });
  await installJobQueues();
  console.log("Migrations applied (DATABASE_URL).");
} catch (error) {
  console.error(`Migration failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  await sql.end({ timeout: 5 });
}
