import { PGlite } from "@electric-sql/pglite";
import { drizzle } from "drizzle-orm/pglite";
import { migrate } from "drizzle-orm/pglite/migrator";
import { describe, expect, it } from "vitest";
import { MIGRATIONS, migrationsUpTo } from "./migrations-up-to";

/*
 * Migration 0015 (accounts and teams) on data written under 0014: every tenant gets an account of
 * its own, every user becomes the Owner of their tenant's account, open sessions keep working in
 * it, and a TOTP secret remembers the tenant it was sealed under. Runs on a PGlite of its own,
 * whatever DATABASE_URL says: the data must be written before the migration runs.
 */

describe("migration 0015: accounts and teams", () => {
  it("gives each tenant an account, makes its users Owners, keeps sessions and two-factor working", async () => {
    const client = new PGlite();
    const db = drizzle(client);
    await migrate(db, { migrationsFolder: migrationsUpTo("0014_two_factor") });

    await client.exec(`
      insert into tenants (id, public_id) values ('ten_One000000000000000000', 'wh_one'), ('ten_Two000000000000000000', 'wh_two');
      insert into users (tenant_id, id, email, password_hash) values
        ('ten_One000000000000000000', 'usr_one', 'one@example.com', 'x'),
        ('ten_Two000000000000000000', 'usr_two', 'two@example.com', 'x');
      insert into user_emails (email, tenant_id, user_id) values ('one@example.com', 'ten_One000000000000000000', 'usr_one'), ('two@example.com', 'ten_Two000000000000000000', 'usr_two');
      insert into sessions (tenant_id, id, user_id, expires_at) values ('ten_One000000000000000000', 'ses_one', 'usr_one', now() + interval '1 day');
      insert into user_two_factor (tenant_id, user_id, secret_ciphertext) values ('ten_One000000000000000000', 'usr_one', 'v1.sealed');
    `);

    await migrate(db, { migrationsFolder: MIGRATIONS });

    const rows = async (query: string) => (await client.query(query)).rows;
    expect(await rows("select id, account_id from tenants order by id")).toEqual([
      { id: "ten_One000000000000000000", account_id: "acc_One000000000000000000" },
      { id: "ten_Two000000000000000000", account_id: "acc_Two000000000000000000" },
    ]);
    expect(await rows("select id from accounts order by id")).toEqual([{ id: "acc_One000000000000000000" }, { id: "acc_Two000000000000000000" }]);
    expect(await rows("select account_id, user_id, role from account_members order by user_id")).toEqual([
      { account_id: "acc_One000000000000000000", user_id: "usr_one", role: "owner" },
      { account_id: "acc_Two000000000000000000", user_id: "usr_two", role: "owner" },
    ]);
    expect(await rows("select user_id, id, account_id from sessions")).toEqual([{ user_id: "usr_one", id: "ses_one", account_id: "acc_One000000000000000000" }]);
    expect(await rows("select user_id, sealed_tenant_id from user_two_factor")).toEqual([{ user_id: "usr_one", sealed_tenant_id: "ten_One000000000000000000" }]);
    expect(await rows("select email, user_id from user_emails order by email")).toEqual([
      { email: "one@example.com", user_id: "usr_one" },
      { email: "two@example.com", user_id: "usr_two" },
    ]);
    await client.close();
    // Two full migrations on an embedded database: slow on a busy machine.
  }, 60_000);
});
