import postgres from "postgres";
import { describe, expect, it } from "vitest";

/*
 * Guards scripts/patch-postgres.mjs: with Postgres terminating the app's backends under load (a
 * failover, a restart, pg_terminate_backend), every query must settle — failing with a connection
 * error or succeeding on a fresh connection — and none may hang or crash the process.
 */
describe.skipIf(!process.env.DATABASE_URL)("the postgres driver when Postgres drops its connections", () => {
  it("settles every query, quickly, while backends are terminated mid-load", async () => {
    const url = process.env.DATABASE_URL!;
    // Only this pool's backends are terminated: other test files share the database.
    const application = `driver-resilience-${process.pid}`;
    const pool = postgres(url, { max: 10, connect_timeout: 10, onnotice: () => {}, connection: { application_name: application } });
    const admin = postgres(url, { max: 1, onnotice: () => {} });

    let running = true;
    const slowest: number[] = [];
    let failed = 0;
    let succeeded = 0;
    const worker = async () => {
      while (running) {
        const started = Date.now();
        try {
          await pool.begin(async (tx) => {
            await tx`select 1`;
            await tx`select pg_sleep(0.002)`;
          });
          succeeded++;
        } catch {
          failed++;
        }
        slowest.push(Date.now() - started);
      }
    };
    const workers = Array.from({ length: 24 }, worker);
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (let round = 0; round < 3; round++) {
      await admin`select pg_terminate_backend(pid) from pg_stat_activity where application_name = ${application}`;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const afterFault = succeeded;
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    running = false;
    await Promise.all(workers);
    await pool.end({ timeout: 5 });
    await admin.end({ timeout: 5 });

    expect(failed).toBeGreaterThan(0); // the fault really hit queries in flight
    expect(succeeded).toBeGreaterThan(afterFault); // and the pool recovered
    expect(Math.max(...slowest)).toBeLessThan(5_000); // nothing hung
  }, 30_000);
});
