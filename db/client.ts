import path from "node:path";
import fs from "node:fs";
import { sql, type SQL } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { PGlite } from "@electric-sql/pglite";
import postgres from "postgres";
import { databaseEnv } from "@/lib/env";
import * as schema from "./schema";

/**
 * One database for the process: the `postgres` driver when DATABASE_URL is set, otherwise the
 * embedded PGlite under ./.data/pglite (in memory under tests). Same schema, migrations and queries.
 * Cached on globalThis so that hot reload in development reuses the connection.
 */

export type Database = PgDatabase<PgQueryResultHKT, typeof schema>;
export type Transaction = Parameters<Parameters<Database["transaction"]>[0]>[0];
/** A query function accepts either the database or an open transaction. */
export type Executor = Database | Transaction;

interface Connection {
  db: Database;
  kind: "postgres" | "pglite";
  migrated?: Promise<void>;
  /** Parameterless SQL, possibly several statements, on the simple query protocol; the rows of the last statement that answers rows. */
  script(text: string): Promise<unknown[]>;
  close(): Promise<void>;
}

const MIGRATIONS_FOLDER = path.join(process.cwd(), "db", "migrations");
const cache = globalThis as unknown as { __whopConnectorDb?: Connection };

function connect(): Connection {
  const { databaseUrl, dataDir, nodeEnv, transactionPooler } = databaseEnv();
  if (databaseUrl) {
    // A connection attempt that stalls (say, its backend killed mid-handshake during a failover)
    // fails after 10 s instead of the driver's 30 s, so the pool heals while Whop is still retrying.
    // Straight to Postgres every statement is prepared once per connection (postgres.js's default);
    // a transaction-mode pooler hands each transaction to any server connection, which would not
    // know the statement, so there every statement goes unnamed. Nothing else differs: the app
    // keeps no session state (advisory locks and `plannedPerRun`'s setting are transaction-scoped;
    // no session SET, no LISTEN). How prepared statements are planned: see `plannedPerRun`.
    const client = postgres(databaseUrl, {
      max: nodeEnv === "production" ? 10 : 5,
      connect_timeout: 10,
      prepare: !transactionPooler,
      onnotice: () => {},
    });
    // drizzle() set this client's parsers, so a script's rows parse as a drizzle query's would.
    const db = drizzlePostgres(preparing(client), { schema }) as unknown as Database;
    // On a connection of its own: a script may open and commit its own transaction, which
    // postgres.js refuses on a pooled connection (UNSAFE_TRANSACTION).
    const script = async (text: string) => {
      const reserved = await client.reserve();
      try {
        const result = (await reserved.unsafe(text)) as unknown as unknown[] & { columns?: unknown[] };
        // Several statements answer one row list each; keep the last that has columns (not BEGIN, COMMIT…).
        if (result.length === 0 || !result.every(Array.isArray)) return [...result];
        const lists = result as unknown as (unknown[] & { columns?: unknown[] })[];
        return [...(lists.filter((list) => (list.columns?.length ?? 0) > 0).at(-1) ?? [])];
      } catch (error) {
        // A failed statement leaves the script's transaction aborted: end it before the connection goes back.
        await reserved.unsafe("rollback").catch(() => {});
        throw error;
      } finally {
        reserved.release();
      }
    };
    return { db, kind: "postgres", script, close: () => client.end({ timeout: 5 }) };
  }
  let directory: string | undefined;
  if (nodeEnv !== "test") {
    directory = path.join(dataDir, "pglite");
    fs.mkdirSync(directory, { recursive: true });
  }
  const client = new PGlite(directory);
  const script = async (text: string) => {
    try {
      return (await client.exec(text)).filter((result) => result.fields.length > 0).at(-1)?.rows ?? [];
    } catch (error) {
      // PGlite is one session: a script's transaction left aborted would fail every later query.
      await client.exec("rollback").catch(() => {});
      throw error;
    }
  };
  return { db: drizzlePglite(client, { schema }) as unknown as Database, kind: "pglite", script, close: () => client.close() };
}

/**
 * drizzle sends its query builder's statements with `prepare: false` unless a query is given a
 * name, and postgres.js then spends two round trips on each statement with parameters: Parse and
 * Describe, a wait for the parameter types, then Bind and Execute. Let the driver prepare them
 * instead, as it already does for `db.execute(sql…)`: once per connection and SQL text, after which
 * the statement is one round trip (Bind and Execute) and Postgres parses it no more. The
 * connection's own `prepare` still decides (off behind a transaction pooler). A transaction or
 * savepoint hands drizzle a client of its own, wrapped the same way.
 */
function preparing<T extends postgres.Sql>(client: T): T {
  return new Proxy(client, {
    get(target, property, receiver) {
      if (property === "unsafe") {
        return (query: string, parameters?: postgres.ParameterOrJSON<never>[], options?: postgres.UnsafeQueryOptions) => target.unsafe(query, parameters, { ...options, prepare: true });
      }
      if (property === "begin" || property === "savepoint") {
        const open = Reflect.get(target, property, receiver) as (...args: unknown[]) => Promise<unknown>;
        return (...args: unknown[]) => {
          const work = args.pop() as (inner: postgres.Sql) => unknown;
          return open(...args, (inner: postgres.Sql) => work(preparing(inner)));
        };
      }
      return Reflect.get(target, property, receiver);
    },
  });
}

function connection(): Connection {
  cache.__whopConnectorDb ??= connect();
  return cache.__whopConnectorDb;
}

export function db(): Database {
  return connection().db;
}

export function databaseKind(): "postgres" | "pglite" {
  return connection().kind;
}

/**
 * Several reads that must agree, taken from one snapshot (a read-only REPEATABLE READ transaction).
 * An order's row is derived from its ledger rows in the transaction that writes them; read apart,
 * on pooled connections, a page could show the order from before a commit beside rows from after it
 * (a refund "failed" under a header still saying "refund pending", a form offering what is already
 * asked of Whop).
 */
export function readSnapshot<T>(read: (tx: Transaction) => Promise<T>): Promise<T> {
  return db().transaction(read, { isolationLevel: "repeatable read", accessMode: "read only" });
}

/**
 * A read whose best plan depends on how many rows the tenant has — a merchant's paged list: one
 * plan suits a shop with ten orders, another a shop with a million — planned for its own
 * parameters on every run (`plan_cache_mode = force_custom_plan`, for this transaction only).
 *
 * Every other statement keeps Postgres's default: a prepared statement is planned for its
 * parameters five times, then keeps one generic plan when that plan costs no more. The hot
 * statements (a webhook's record and ledger transaction, a click, the access check) are lookups by
 * key, for which the generic plan is the plan; planning each of their runs had cost Postgres
 * ~1.6 ms of CPU per webhook delivery, nearly half its share (bench/README.md). A generic plan of
 * the subscriptions list, blind to a big merchant's size, had taken its page from 19 to 160 ms.
 * On `executor` when it is an open transaction (the setting then holds until it ends), else in a
 * transaction of its own.
 */
export function plannedPerRun<T>(executor: Executor, read: (executor: Executor) => Promise<T>): Promise<T> {
  const run = async (tx: Executor) => {
    await tx.execute(sql`set local plan_cache_mode = force_custom_plan`);
    return read(tx);
  };
  return executor === db() ? db().transaction(run) : run(executor);
}

/** Raw SQL rows, the same on both drivers (postgres-js answers an array, PGlite `{ rows }`). */
export async function selectRows<T>(query: SQL, executor: Executor = db()): Promise<T[]> {
  const result = (await executor.execute(query)) as unknown;
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}

/**
 * Parameterless SQL text that may hold several statements (`BEGIN; …; COMMIT;`), which PGlite's
 * parameterised `query` refuses: PGlite's `exec`, postgres.js's simple query protocol. Answers the
 * rows of the last statement that answers rows (a SELECT, not the COMMIT after it). For tools that
 * bring their own SQL (pg-boss, lib/jobs/pg-boss-db.ts).
 */
export async function runScript<T>(text: string): Promise<T[]> {
  return (await connection().script(text)) as T[];
}

/** Applies the committed migrations and installs the job queue once per process (dev, demo, tests); production runs `npm run db:migrate`. */
export function migrateDatabase(): Promise<void> {
  const conn = connection();
  conn.migrated ??= (async () => {
    const config = { migrationsFolder: MIGRATIONS_FOLDER };
    if (conn.kind === "postgres") {
      await migratePostgres(conn.db as never, config);
    } else {
      await migratePglite(conn.db as never, config);
    }
    // The job queue's own tables (schema pgboss) and its queues, so the app can enqueue before
    // any worker ever ran. Imported here, not at the top: lib/jobs runs its SQL through this module.
    const { installJobQueues } = await import("@/lib/jobs/queue");
    await installJobQueues();
  })().catch((error: unknown) => {
    // A failed attempt (say, another process migrating the same fresh database at that moment) may be retried.
    conn.migrated = undefined;
    throw error;
  });
  return conn.migrated;
}

export async function closeDatabase(): Promise<void> {
  const conn = cache.__whopConnectorDb;
  cache.__whopConnectorDb = undefined;
  await conn?.close();
}
