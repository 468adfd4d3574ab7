import { db, type Database, type Executor } from "./client";

/**
 * A hot statement built once per database instead of on every run: drizzle's `prepare`, with
 * `sql.placeholder(…)` for whatever varies, run on the pool or inside an open transaction.
 *
 * drizzle builds a query's SQL from its builder objects on every execution, and on the webhook
 * apply that building was the app's largest single cost after the socket writes (~1.4 ms of CPU
 * per delivery, most of it its `is()` entity checks over every column of a full-row select; see
 * bench/README.md). A prepared query keeps the SQL text, the parameters' encoders and the result
 * mapping, and only fills the placeholders. drizzle binds a prepared query to the session it was
 * built on, so one built on the database is handed the transaction's connection (the session's
 * `client`, on both drivers) for a run inside a transaction; the statement, its placeholders and
 * its mapping are the same.
 */
export function preparedStatement<V extends object, R>(build: (database: Database) => Runnable<R>): (executor: Executor, values: V) => Promise<R> {
  const built = new WeakMap<Database, Runnable<R>>();
  return (executor, values) => {
    const database = db();
    let query = built.get(database);
    if (!query) built.set(database, (query = build(database)));
    const client = clientOf(executor);
    const bound = client === clientOf(database) ? query : (Object.create(query, { client: { value: client } }) as Runnable<R>);
    return bound.execute(values as Record<string, unknown>);
  };
}

interface Runnable<R> {
  execute(values?: Record<string, unknown>): Promise<R>;
}

function clientOf(executor: Executor): unknown {
  return (executor as unknown as { session: { client: unknown } }).session.client;
}
