import { and, eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { db } from "@/db/client";
import { preparedStatement } from "@/db/prepared";
import { items } from "@/db/schema";
import { withTestDatabase } from "../db";
import { connectedMerchant, fixtureItem } from "../fixtures";

/*
 * A prepared statement is built once on the database and run wherever it is told: on the pool, or
 * on an open transaction's connection — where it sees that transaction's uncommitted rows, and its
 * writes roll back with it.
 */

const titleOf = preparedStatement<{ tenantId: string; itemId: string }, { title: string }[]>((database) =>
  database
    .select({ title: items.title })
    .from(items)
    .where(and(eq(items.tenantId, sql.placeholder("tenantId")), eq(items.id, sql.placeholder("itemId"))))
    .prepare("test_item_title"),
);

const retitle = preparedStatement<{ tenantId: string; itemId: string; title: string }, unknown>((database) =>
  database
    .update(items)
    .set({ title: sql`${sql.placeholder("title")}` })
    .where(and(eq(items.tenantId, sql.placeholder("tenantId")), eq(items.id, sql.placeholder("itemId"))))
    .prepare("test_item_retitle"),
);

withTestDatabase();

describe("prepared statements", () => {
  it("run on the pool, and inside a transaction on its connection: they see its uncommitted writes, and theirs roll back with it", async () => {
    const { tenant } = await connectedMerchant();
    const item = await fixtureItem(tenant, { title: "Course" });
    const ids = { tenantId: tenant.id, itemId: item.id };
    expect(await titleOf(db(), ids)).toEqual([{ title: "Course" }]);

    class RollBack extends Error {}
    await expect(
      db().transaction(async (tx) => {
        await tx.update(items).set({ title: "Draft" }).where(and(eq(items.tenantId, tenant.id), eq(items.id, item.id)));
        // Run on the pool instead, this would read the committed "Course" (and the write below would wait on this row's lock).
        expect(await titleOf(tx, ids)).toEqual([{ title: "Draft" }]);
        await retitle(tx, { ...ids, title: "Written inside" });
        expect(await titleOf(tx, ids)).toEqual([{ title: "Written inside" }]);
        throw new RollBack();
      }),
    ).rejects.toBeInstanceOf(RollBack);
    // Nothing of the transaction survived, the prepared write included.
    expect(await titleOf(db(), ids)).toEqual([{ title: "Course" }]);
  });

  it("fill each run's own values (a statement built once answers for any tenant and item)", async () => {
    const a = await connectedMerchant();
    const b = await connectedMerchant();
    const itemA = await fixtureItem(a.tenant, { title: "A's" });
    const itemB = await fixtureItem(b.tenant, { title: "B's" });
    expect(await titleOf(db(), { tenantId: a.tenant.id, itemId: itemA.id })).toEqual([{ title: "A's" }]);
    expect(await titleOf(db(), { tenantId: b.tenant.id, itemId: itemB.id })).toEqual([{ title: "B's" }]);
    // Another tenant's item is never found.
    expect(await titleOf(db(), { tenantId: a.tenant.id, itemId: itemB.id })).toEqual([]);
  });
});
