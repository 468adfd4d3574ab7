import { sql, type SQL } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";

/**
 * The keyset condition for pages ordered by (time, id) descending, as one row comparison so that
 * Postgres reads it as a single range of the (tenant_id, time DESC, id DESC) index — an OR of
 * the two cases would be applied as a filter, walking every earlier row first.
 */
export function keysetBefore(timeColumn: PgColumn, idColumn: PgColumn, time: Date, id: string | number): SQL {
  return sql`(${timeColumn}, ${idColumn}) < (${time.toISOString()}::timestamptz, ${id})`;
}
