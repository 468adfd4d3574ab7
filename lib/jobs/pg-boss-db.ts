import { sql, type SQL } from "drizzle-orm";
import { db, runScript, selectRows, type Executor } from "@/db/client";

/**
 * pg-boss's "bring your own connection": an object with `executeSql(text, values)` answering
 * `{ rows }`. Ours runs pg-boss's SQL through the app's own db client, on both drivers — so PGlite
 * works in-process with no socket, postgres.js needs no second driver (pg-boss's own `pg` pool is
 * never opened), and a job can be inserted in the caller's transaction.
 */
export interface PgBossDb {
  executeSql(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

/**
 * A value as the drivers should bind it. pg-boss hands over what `pg` would serialise: objects
 * (job data, queue options: `$n::jsonb`/`json`) and arrays of job ids (`$n::uuid[]`). postgres.js
 * would bind an object of unknown type as "[object Object]", and drizzle's `sql` template spreads
 * an array into a list, so both become text that Postgres parses into the type the query casts to.
 */
function bindable(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return arrayLiteral(value);
  if (typeof value === "object") return JSON.stringify(value);
  return value;
}

function arrayLiteral(values: unknown[]): string {
  const items = values.map((item) => {
    if (item === null || item === undefined) return "NULL";
    const text = typeof item === "object" ? JSON.stringify(item) : String(item);
    return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
  });
  return `{${items.join(",")}}`;
}

/**
 * (text with $1..$n, values) as a drizzle query. The text is split on the placeholders and the
 * values interleaved as drizzle parameters, with one twist: a placeholder that appears several
 * times stays one parameter. pg-boss's insert uses `$5` as text, as a timestamptz cast and as an
 * interval cast in one CASE (`startAfter`); three separate parameters would each get their own
 * type, and a delay such as '30' would fail to parse as a timestamp in the branch not taken. So
 * the first occurrence of `$n` becomes drizzle's next parameter (numbered in order of appearance,
 * `$1, $2, …`) and every later occurrence refers back to that number.
 */
export function toDrizzleSql(text: string, values: readonly unknown[]): SQL {
  const parts = text.split(/\$(\d+)/);
  const chunks: SQL[] = [sql.raw(parts[0] ?? "")];
  const position = new Map<number, number>();
  for (let i = 1; i < parts.length; i += 2) {
    const n = Number(parts[i]);
    const seen = position.get(n);
    if (seen === undefined) {
      if (n < 1 || n > values.length) throw new Error(`SQL refers to $${n} but only ${values.length} value(s) were given`);
      position.set(n, position.size + 1);
      chunks.push(sql`${bindable(values[n - 1])}`);
    } else {
      chunks.push(sql.raw(`$${seen}`));
    }
    chunks.push(sql.raw(parts[i + 1] ?? ""));
  }
  return sql.join(chunks);
}

/**
 * Runs pg-boss's SQL on the database (or an open transaction). Parameterless text from pg-boss
 * may be several statements — its schema install and maintenance are `BEGIN; …advisory lock…;
 * COMMIT;` scripts — which go through `runScript` on the database; everything with values is one
 * statement and goes through drizzle, in the transaction if one is given. Without an executor the
 * current connection is looked up on every call (tests close and reopen it).
 */
export function pgBossDb(executor?: Executor): PgBossDb {
  return {
    async executeSql(text, values) {
      if (!values || values.length === 0) {
        if (!executor) return { rows: await runScript(text) };
        return { rows: await selectRows(sql.raw(text), executor) };
      }
      return { rows: await selectRows(toDrizzleSql(text, values), executor ?? db()) };
    },
  };
}
