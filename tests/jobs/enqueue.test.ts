import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { db, runScript, selectRows } from "@/db/client";
import { enqueue, JOBS, QUEUE_OPTIONS } from "@/lib/jobs/queue";
import { toDrizzleSql } from "@/lib/jobs/pg-boss-db";
import { withTestDatabase } from "../db";

withTestDatabase();

async function job(id: string) {
  const [row] = await selectRows<{ name: string; data: Record<string, unknown>; state: string; startAfter: string }>(
    sql`select name, data, state::text as state, start_after::text as "startAfter" from pgboss.job where id = ${id}::uuid`,
  );
  return row;
}

describe("enqueue", () => {
  it("the queues exist right after the migrations, before any worker ran", async () => {
    const queues = await selectRows<{ name: string; policy: string }>(sql`select name, policy from pgboss.queue order by name`);
    expect(queues.map((q) => q.name)).toEqual(expect.arrayContaining(Object.values(JOBS)));
    // queues.json (also read by the image's migrator) lists exactly the jobs.
    expect(Object.keys(QUEUE_OPTIONS).sort()).toEqual(Object.values(JOBS).sort());
    expect(queues.find((q) => q.name === JOBS.reconcile)?.policy).toBe("stately");
  });

  it("a job enqueued in a transaction that rolls back does not exist", async () => {
    const marker = `rollback-${Math.random()}`;
    let id: string | null = null;
    await expect(
      db().transaction(async (tx) => {
        id = await enqueue(tx, JOBS.deliverWebhook, { marker });
        throw new Error("roll back");
      }),
    ).rejects.toThrow("roll back");
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(await job(id!)).toBeUndefined();
    const rows = await selectRows(sql`select id from pgboss.job where data->>'marker' = ${marker}`);
    expect(rows).toEqual([]);
  });

  it("a job enqueued in a committed transaction exists with its data, delayed when asked", async () => {
    const id = await db().transaction((tx) => enqueue(tx, JOBS.deliverWebhook, { delivery: "whd_1", nested: { a: [1, 2] } }, { startAfterSeconds: 30 }));
    const row = await job(id!);
    expect(row).toMatchObject({ name: JOBS.deliverWebhook, data: { delivery: "whd_1", nested: { a: [1, 2] } }, state: "created" });
    const [{ delay }] = (await selectRows<{ delay: number }>(sql`select extract(epoch from start_after - now())::float8 as delay from pgboss.job where id = ${id}::uuid`)) as [{ delay: number }];
    expect(Number(delay)).toBeGreaterThan(20);
    expect(Number(delay)).toBeLessThanOrEqual(31);
  });

  it("enqueues on the database itself too", async () => {
    const id = await enqueue(db(), JOBS.deliverWebhook, { on: "db" });
    expect((await job(id!))?.name).toBe(JOBS.deliverWebhook);
  });

  it("a singleton key makes enqueueing idempotent, per queue", async () => {
    const key = `delivery-${Math.random()}`;
    const first = await db().transaction((tx) => enqueue(tx, JOBS.deliverWebhook, { n: 1 }, { singletonKey: key }));
    expect(first).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(await enqueue(db(), JOBS.deliverWebhook, { n: 2 }, { singletonKey: key })).toBeNull();
    const rows = await selectRows<{ data: { n: number } }>(sql`select data from pgboss.job where name = ${JOBS.deliverWebhook} and singleton_key = ${key}`);
    expect(rows).toEqual([{ data: { n: 1 } }]);
    // Another key, or no key, is another job.
    expect(await enqueue(db(), JOBS.deliverWebhook, { n: 3 }, { singletonKey: `${key}-other` })).not.toBeNull();
    expect(await enqueue(db(), JOBS.deliverWebhook, { n: 4 })).not.toBeNull();
  });

  it("a scheduled job's queue (stately) holds one waiting job at most", async () => {
    await enqueue(db(), JOBS.expireCheckouts, {});
    expect(await enqueue(db(), JOBS.expireCheckouts, {})).toBeNull();
    const rows = await selectRows(sql`select id from pgboss.job where name = ${JOBS.expireCheckouts} and state = 'created'`);
    expect(rows).toHaveLength(1);
  });
});

describe("the pg-boss SQL adapter", () => {
  it("keeps a repeated placeholder one parameter, numbered in order of first appearance", async () => {
    const query = toDrizzleSql("select $2::text as b, $1::int as a, $2 || 'x' as bx", [7, "hi"]);
    const [row] = await selectRows<{ a: number; b: string; bx: string }>(query);
    expect(row).toEqual({ a: 7, b: "hi", bx: "hix" });
  });

  it("binds objects as JSON and arrays as Postgres arrays", async () => {
    const query = toDrizzleSql("select $1::jsonb as j, array_length($2::uuid[], 1) as n, $3::text[] as t", [
      { a: 1, s: "it's \"quoted\"" },
      ["00000000-0000-0000-0000-000000000001", "00000000-0000-0000-0000-000000000002"],
      ['a"b', "c\\d", "e,f"],
    ]);
    const [row] = await selectRows<{ j: unknown; n: number; t: string[] }>(query);
    expect(row).toEqual({ j: { a: 1, s: "it's \"quoted\"" }, n: 2, t: ['a"b', "c\\d", "e,f"] });
  });

  it("runs pg-boss's multi-statement scripts, and a failed one leaves no transaction open", async () => {
    expect(await runScript<{ n: number }>("begin; create temporary table if not exists script_probe (n int); select 2 as n; commit;")).toEqual([{ n: 2 }]);
    await expect(runScript("begin; select 1; select 1 / 0; commit;")).rejects.toThrow(/division by zero/);
    const [row] = await selectRows<{ ok: number }>(sql`select 1 as ok`);
    expect(row).toEqual({ ok: 1 });
    // Not inside a leftover transaction: a fresh one starts and commits.
    await db().transaction(async (tx) => {
      await selectRows(sql`select 1`, tx);
    });
  });
});
