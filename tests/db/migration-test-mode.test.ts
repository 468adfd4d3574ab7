import { PGlite } from "@electric-sql/pglite";
import { drizzle } from "drizzle-orm/pglite";
import { migrate } from "drizzle-orm/pglite/migrator";
import { describe, expect, it } from "vitest";
import { MIGRATIONS, migrationsUpTo } from "./migrations-up-to";

/*
 * The test-mode migration on data written before it: every tenant becomes its account's tenant in
 * the environment its key was accepted in (a key connected while WHOP_API_ORIGIN was a sandbox was
 * recorded as sandbox: Test; production, or not connected yet: Live), account_tenants names it, and
 * open sessions keep working in it. Runs on a PGlite of its own, whatever DATABASE_URL says: the
 * data must be written before the migration runs.
 */

const BEFORE = "0018_overview_rollups";

describe("migration: test mode", () => {
  it("puts each tenant in the environment its key belongs to, one per account, and keeps sessions in it", async () => {
    const client = new PGlite();
    const db = drizzle(client);
    await migrate(db, { migrationsFolder: migrationsUpTo(BEFORE) });

    await client.exec(`
      insert into accounts (id) values ('acc_prod'), ('acc_sand'), ('acc_new');
      insert into tenants (id, account_id, public_id, environment) values
        ('ten_prod', 'acc_prod', 'wh_prod', 'production'),
        ('ten_sand', 'acc_sand', 'wh_sand', 'sandbox'),
        ('ten_new', 'acc_new', 'wh_new', null);
      insert into users (id, email, password_hash) values ('usr_one', 'one@example.com', 'x');
      insert into sessions (user_id, id, account_id, expires_at) values
        ('usr_one', 'ses_prod', 'acc_prod', now() + interval '1 day'),
        ('usr_one', 'ses_sand', 'acc_sand', now() + interval '1 day');
    `);

    await migrate(db, { migrationsFolder: MIGRATIONS });

    const rows = async (query: string) => (await client.query(query)).rows;
    expect(await rows("select id, environment from tenants order by id")).toEqual([
      { id: "ten_new", environment: "live" },
      { id: "ten_prod", environment: "live" },
      { id: "ten_sand", environment: "test" },
    ]);
    expect(await rows("select account_id, environment, tenant_id from account_tenants order by account_id")).toEqual([
      { account_id: "acc_new", environment: "live", tenant_id: "ten_new" },
      { account_id: "acc_prod", environment: "live", tenant_id: "ten_prod" },
      { account_id: "acc_sand", environment: "test", tenant_id: "ten_sand" },
    ]);
    expect(await rows("select id, environment from sessions order by id")).toEqual([
      { id: "ses_prod", environment: "live" },
      { id: "ses_sand", environment: "test" },
    ]);
    // One tenant per account and environment, from now on.
    await expect(client.exec("insert into account_tenants (account_id, environment, tenant_id) values ('acc_prod', 'live', 'ten_new')")).rejects.toThrow(/duplicate key/);
    await client.close();
    // Two full migrations on an embedded database.
  }, 60_000);
});
