import fs from "node:fs";
import path from "node:path";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { selectRows } from "@/db/client";
import { CITUS_DISTRIBUTION_KEYS, CITUS_EXEMPT_TABLES } from "@/db/citus";
import { withTestDatabase } from "../db";

/*
 * The Citus rules of the README, checked on the migrated database: every tenant-owned table (one
 * with a tenant_id column) has a primary key that starts with tenant_id and no primary key or
 * unique index (constraint or plain index) without tenant_id; `tenants` is the root, whose keys
 * must include its id. The account and user families (CITUS_DISTRIBUTION_KEYS) follow the same
 * rules on their own column. Only the tables of CITUS_EXEMPT_TABLES escape; each table of both
 * lists is named in the README's Citus section.
 */

withTestDatabase();

const ROOT = "tenants";
const README_SECTION = "### When one Postgres is not enough: sharding by tenant (Citus)";

interface KeyIndex {
  table: string;
  index: string;
  primary: boolean;
  /** Key columns in order (an expression appears as "(expression)"), comma-separated. */
  columns: string;
}

async function publicTables(): Promise<{ table: string; hasTenantId: boolean }[]> {
  return selectRows<{ table: string; hasTenantId: boolean }>(sql`
    select t.table_name::text as "table",
           exists (select 1 from information_schema.columns c
                   where c.table_schema = t.table_schema and c.table_name = t.table_name and c.column_name = 'tenant_id') as "hasTenantId"
    from information_schema.tables t
    where t.table_schema = 'public' and t.table_type = 'BASE TABLE'
    order by 1`);
}

/** Primary keys and unique indexes (a unique constraint is one too) of schema public. */
async function keyIndexes(): Promise<KeyIndex[]> {
  return selectRows<KeyIndex>(sql`
    select c.relname::text as "table", i.relname::text as "index", x.indisprimary as "primary",
           (select string_agg(coalesce(a.attname::text, '(expression)'), ',' order by k.n)
            from unnest(x.indkey::int2[]) with ordinality as k(attnum, n)
            left join pg_attribute a on a.attrelid = c.oid and a.attnum = k.attnum and k.attnum > 0
            where k.n <= x.indnkeyatts) as "columns"
    from pg_index x
    join pg_class c on c.oid = x.indrelid
    join pg_class i on i.oid = x.indexrelid
    join pg_namespace ns on ns.oid = c.relnamespace
    where ns.nspname = 'public' and (x.indisprimary or x.indisunique)
    order by 1, 2`);
}

function citusSection(): string {
  const readme = fs.readFileSync(path.join(process.cwd(), "README.md"), "utf8");
  const start = readme.indexOf(README_SECTION);
  if (start < 0) throw new Error(`README.md has no section "${README_SECTION}"`);
  const rest = readme.slice(start + README_SECTION.length);
  const end = rest.search(/^#{1,3} /m);
  return end < 0 ? rest : rest.slice(0, end);
}

describe("Citus rules (README: sharding by tenant)", () => {
  it("every tenant-owned table keys on tenant_id: primary key first, every unique index includes it", async () => {
    const tables = await publicTables();
    const indexes = await keyIndexes();
    const exempt = new Set<string>(Object.keys(CITUS_EXEMPT_TABLES));
    const offences: string[] = [];

    for (const { table, hasTenantId } of tables) {
      if (exempt.has(table)) continue;
      const ownKey = (CITUS_DISTRIBUTION_KEYS as Record<string, string>)[table];
      const keyColumn = table === ROOT ? "id" : (ownKey ?? "tenant_id");
      if (table !== ROOT && !ownKey && !hasTenantId) {
        offences.push(`${table}: no tenant_id column, and not exempt (CITUS_EXEMPT_TABLES in db/citus.ts, named in the README)`);
        continue;
      }
      const own = indexes.filter((index) => index.table === table);
      const primary = own.find((index) => index.primary);
      if (!primary) offences.push(`${table}: no primary key`);
      for (const index of own) {
        const columns = index.columns.split(",");
        const kind = index.primary ? "primary key" : "unique index";
        if (!columns.includes(keyColumn)) offences.push(`${table}: ${kind} ${index.index} (${index.columns}) lacks ${keyColumn}`);
        else if (index.primary && columns[0] !== keyColumn) offences.push(`${table}: ${kind} ${index.index} (${index.columns}) does not start with ${keyColumn}`);
      }
    }
    expect(offences, `Citus rules broken:\n  ${offences.join("\n  ")}`).toEqual([]);
  });

  it("each exempt or otherwise-keyed table exists and is named in the README's Citus section", async () => {
    const section = citusSection();
    const tables = new Set((await publicTables()).map((t) => t.table));
    const listed = [...Object.keys(CITUS_EXEMPT_TABLES), ...Object.keys(CITUS_DISTRIBUTION_KEYS)];
    const unnamed = listed.filter((table) => !section.includes(`\`${table}\``));
    const missing = listed.filter((table) => !tables.has(table));
    expect(unnamed, `exempt but not named in the README's Citus section: ${unnamed.join(", ")}`).toEqual([]);
    expect(missing, `exempt but not in the schema: ${missing.join(", ")}`).toEqual([]);
  });
});
