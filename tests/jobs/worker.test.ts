import { sql } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { db, selectRows } from "@/db/client";
import { enqueue, JOBS, type JobName } from "@/lib/jobs/queue";
import { JOB_SCHEDULES, type JobHandler } from "@/lib/jobs/registry";
import { startWorker, type RunningWorker } from "@/lib/jobs/worker";
import { withTestDatabase } from "../db";

withTestDatabase();

/** A queue of this test alone (test files share the database in CI). */
const testQueue = (label: string) => `test.${label}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}` as JobName;

const running: RunningWorker[] = [];
async function worker(handlers: Record<string, JobHandler>, concurrency: Record<string, number> = {}) {
  const started = await startWorker({ handlers, schedules: {}, concurrency, pollingIntervalSeconds: 0.5, supervise: false });
  running.push(started);
  return started;
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((w) => w.stop({ timeoutMs: 2_000 })));
});

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function states(queue: string): Promise<Record<string, number>> {
  const rows = await selectRows<{ state: string; count: number }>(sql`select state::text as state, count(*)::int as count from pgboss.job where name = ${queue} group by state`);
  return Object.fromEntries(rows.map((r) => [r.state, Number(r.count)]));
}

describe("the worker", () => {
  it("runs each committed job exactly once, with two workers side by side", async () => {
    const queue = testQueue("once");
    const seen: string[] = [];
    const handler: JobHandler = async (data) => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      seen.push(String(data.n));
    };
    await worker({ [queue]: handler }, { [queue]: 3 });
    await worker({ [queue]: handler }, { [queue]: 3 });

    await db().transaction(async (tx) => {
      for (let n = 0; n < 15; n++) await enqueue(tx, queue, { n });
    });
    // Rolled back: never runs.
    await db()
      .transaction(async (tx) => {
        await enqueue(tx, queue, { n: "rolled-back" });
        throw new Error("roll back");
      })
      .catch(() => {});
    for (let n = 15; n < 25; n++) await enqueue(db(), queue, { n });

    await until(() => seen.length >= 25);
    await until(async () => (await states(queue)).completed === 25);
    await new Promise((resolve) => setTimeout(resolve, 1_200)); // a further poll finds nothing more
    expect(seen.sort((a, b) => Number(a) - Number(b))).toEqual(Array.from({ length: 25 }, (_, n) => String(n)));
    expect(await states(queue)).toEqual({ completed: 25 });
  });

  it("retries a job whose handler fails, with its retry count", async () => {
    const queue = testQueue("retry");
    const attempts: number[] = [];
    await worker({
      [queue]: async (_data, job) => {
        attempts.push(job.retryCount);
        if (job.retryCount === 0) throw new Error("Whop answered 503");
      },
    });
    const id = await enqueue(db(), queue, { order: "ord_1" });
    await until(async () => (await states(queue)).completed === 1);
    expect(attempts).toEqual([0, 1]);
    const [row] = await selectRows<{ retry_count: number; state: string }>(sql`select retry_count, state::text as state from pgboss.job where id = ${id}::uuid`);
    expect(row).toEqual({ retry_count: 1, state: "completed" });
  });

  it("gives up after the queue's retry limit and keeps the error on the job", async () => {
    const queue = testQueue("fail");
    let calls = 0;
    await worker({
      [queue]: async () => {
        calls++;
        throw new Error("always broken");
      },
    });
    const id = await enqueue(db(), queue, {});
    await until(async () => (await states(queue)).failed === 1);
    expect(calls).toBe(3); // pg-boss's default retry limit: 2 retries
    const [row] = await selectRows<{ message: string }>(sql`select output->>'message' as message from pgboss.job where id = ${id}::uuid`);
    expect(row?.message).toBe("always broken");
  });

  it("stops gracefully: the job in hand finishes, nothing new is taken", async () => {
    const queue = testQueue("stop");
    let started = 0;
    let finished = 0;
    const stoppable = await startWorker({
      handlers: {
        [queue]: async () => {
          started++;
          await new Promise((resolve) => setTimeout(resolve, 1_500));
          finished++;
        },
      },
      schedules: {},
      pollingIntervalSeconds: 0.5,
      supervise: false,
    });
    await enqueue(db(), queue, { first: true });
    await until(() => started === 1);
    await stoppable.stop({ timeoutMs: 10_000 });
    expect(finished).toBe(1);
    await until(async () => (await states(queue)).completed === 1, 3_000);

    await enqueue(db(), queue, { after: "stop" });
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect(started).toBe(1);
    expect(await states(queue)).toEqual({ completed: 1, created: 1 });
  });

  it("registers the schedules of the registry", async () => {
    const scheduler = await startWorker({ handlers: {}, supervise: false });
    running.push(scheduler);
    const schedules = await scheduler.boss.getSchedules();
    const byName = Object.fromEntries(schedules.map((s: { name: string; cron: string }) => [s.name, s.cron]));
    expect(byName).toMatchObject(JOB_SCHEDULES);
    expect(byName[JOBS.reconcile]).toBe("*/5 * * * *");
  });
});
