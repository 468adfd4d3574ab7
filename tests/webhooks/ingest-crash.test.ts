import { sql } from "drizzle-orm";
import { afterAll, describe, expect, it, vi } from "vitest";

/*
 * The process dies between the answer and the apply: the work `afterResponse` was given never
 * runs. The delivery was answered 200 `recorded`, so Whop will not send it again (or only as a
 * duplicate): the event must still reach the ledger, exactly once, through the worker's sweep.
 */
vi.mock("@/lib/http/after-response", () => ({
  afterResponse: () => {},
  afterResponseSettled: async () => {},
}));

const { selectRows } = await import("@/db/client");
const { JOBS } = await import("@/lib/jobs/queue");
const { JOB_SCHEDULES } = await import("@/lib/jobs/registry");
const { applyRecordedJob } = await import("@/lib/jobs/scheduled");
const { startWorker } = await import("@/lib/jobs/worker");
const { webhookStatus } = await import("@/lib/tenants/webhook-status");
const { withTestDatabase } = await import("../db");
const { signStandard } = await import("../fixtures");
const { deliver, envelope, eventsOf, ledgerOf, merchantWithOrder, orderNow, paymentData } = await import("../ledger/helpers");

withTestDatabase();

const workers: { stop(options?: { timeoutMs?: number }): Promise<void> }[] = [];
afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.stop({ timeoutMs: 2_000 })));
});

async function until(condition: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("a crash between the answer and the apply", () => {
  it("loses nothing: the recorded event is applied once by the worker's sweep, and Whop's retry stays a duplicate", async () => {
    const m = await merchantWithOrder();
    const body = envelope("payment.succeeded", paymentData(m.order));
    const headers = signStandard(m.secret, body);

    const answered = await deliver(m.tenant, body, headers);
    expect(answered.status).toBe(200);
    expect(await answered.json()).toEqual({ ok: true, result: "recorded" });
    expect(await eventsOf(m.tenant)).toMatchObject([{ appliedAt: null }]);
    expect((await orderNow(m.order)).status).toBe("pending");
    expect((await webhookStatus(m.tenant.id)).lastDelivery).toMatchObject({ result: "recorded", eventType: "payment.succeeded" });

    // The worker starts the sweep's chain itself, without waiting for the minute's cron tick: a
    // run of it is waiting or under way as soon as the worker has started (its own, or a chain
    // another worker on this database left waiting; the queue holds one at a time).
    const before = new Date();
    const worker = await startWorker({ handlers: { [JOBS.applyRecorded]: applyRecordedJob }, schedules: { [JOBS.applyRecorded]: JOB_SCHEDULES[JOBS.applyRecorded] }, pollingIntervalSeconds: 0.5, supervise: false });
    workers.push(worker);
    const [started] = await selectRows<{ n: number }>(
      sql`select count(*)::int as n from pgboss.job where name = ${JOBS.applyRecorded} and (state in ('created', 'retry', 'active') or created_on >= ${before.toISOString()}::timestamptz)`,
    );
    expect(Number(started?.n)).toBeGreaterThanOrEqual(1);
    await until(async () => (await orderNow(m.order)).status === "paid", 10_000);

    const [event] = await eventsOf(m.tenant);
    expect(event).toMatchObject({ result: "applied", orderId: m.order.id, appliedAt: expect.any(Date), duplicates: 0 });
    expect((await ledgerOf(m.tenant)).payments).toHaveLength(1);
    expect((await webhookStatus(m.tenant.id)).lastDelivery).toMatchObject({ result: "applied" });
    // The sweep keeps itself going: its next run is already queued.
    const [queued] = await selectRows<{ n: number }>(sql`select count(*)::int as n from pgboss.job where name = ${JOBS.applyRecorded} and state = 'created'`);
    expect(Number(queued?.n)).toBe(1);

    // A copy arriving later (Whop retrying anyway) changes nothing and is counted.
    const copy = await deliver(m.tenant, body, headers);
    expect(await copy.json()).toEqual({ ok: true, result: "duplicate" });
    expect(await eventsOf(m.tenant)).toMatchObject([{ result: "applied", duplicates: 1 }]);
    expect((await ledgerOf(m.tenant)).payments).toHaveLength(1);
  });
});
