/**
 * `npm run test:outbound`: the merchants' webhooks under faults, on the Postgres DATABASE_URL
 * names. 5,000 order changes (2,500 orders paid, then refunded) are committed through the ledger,
 * each writing its outbound event, deliveries and jobs in the order's transaction; `npm run worker`
 * delivers them to a real receiver that verifies every signature with `standardwebhooks` — while
 * the worker is killed twice (SIGKILL, mid-delivery) and the receiver is down for a while. Proves:
 * every event reaches its endpoint at least once, the receiver sees no event that was not
 * committed, every delivery ends `delivered`, and nothing is left in the outbox or the queue.
 * A killed worker's jobs come back when pg-boss expires them (2 minutes), so a run takes about
 * five minutes; it exits by itself (non-zero on any violation) within twelve.
 */
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { commitOrderChanges, setUpShops, spawnWorker, startReceiver } from "../../bench/support/outbound";

const ORDERS = Number(process.env.OUTBOUND_ORDERS ?? 2_500);
const TENANTS = 5;
const WATCHDOG_MS = 12 * 60_000;
const log = (line: string) => console.log(`outbound: ${line}`);
const problems: string[] = [];
const check = (ok: boolean, message: string) => void (ok || problems.push(message));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl || !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    console.error("outbound: DATABASE_URL must name a real Postgres database, e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/outbound npm run test:outbound");
    process.exit(1);
  }
  const config = {
    NODE_ENV: "production" as const,
    DATABASE_URL: databaseUrl,
    APP_URL: "http://127.0.0.1:3999",
    SESSION_SECRET: randomBytes(32).toString("base64url"),
    ENCRYPTION_KEYS: `outbound:${randomBytes(32).toString("base64")}`,
    LOG_LEVEL: "fatal",
    SMTP_URL: "smtp://127.0.0.1:2525",
    EMAIL_FROM: "Whop Connector <no-reply@localhost>",
    WEBHOOK_ALLOW_PRIVATE_URLS: "1",
  };
  Object.assign(process.env, config);
  (await import("@/lib/env")).resetEnvCache();
  const { closeDatabase, migrateDatabase, selectRows } = await import("@/db/client");
  const { sql } = await import("drizzle-orm");

  let worker: ChildProcess | undefined;
  setTimeout(() => {
    console.error(`outbound: still running after ${WATCHDOG_MS / 60_000} minutes; stopping`);
    if (worker?.pid) process.kill(-worker.pid, "SIGKILL");
    process.exit(1);
  }, WATCHDOG_MS).unref();

  await migrateDatabase();
  const secrets = new Map<string, string>();
  const receiver = await startReceiver(secrets);
  const shops = await setUpShops(receiver, secrets, TENANTS, Math.ceil(ORDERS / TENANTS));
  const changes = shops.reduce((n, shop) => n + 2 * shop.orders.length, 0);

  const env = { ...process.env, ...config };
  worker = spawnWorker(env);
  const started = Date.now();
  const kill = () => worker?.pid && process.kill(-worker.pid, "SIGKILL");

  let killed = 0;
  const faults = (async () => {
    // Kill the worker twice while deliveries flow; the second time the receiver is down for 8 s too.
    for (const share of [0.25, 0.6]) {
      while (receiver.total() < changes * share) await sleep(50);
      kill();
      killed++;
      log(`killed the worker (SIGKILL) at ${receiver.total()} deliveries received`);
      if (share === 0.6) {
        await receiver.down();
        log("receiver down for 8 s");
        await sleep(8_000);
        await receiver.up();
      } else {
        await sleep(1_000);
      }
      worker = spawnWorker(env);
    }
  })();
  const committed = await commitOrderChanges(shops);
  log(`committed ${committed} order changes in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  await faults;

  // Only this run's merchants: in CI the database also holds the other suites' rows.
  const ours = sql.join(shops.map((shop) => sql`${shop.tenantId}`), sql`, `);
  const undelivered = async () => Number((await selectRows<{ n: number }>(sql`select count(*)::int as n from webhook_deliveries where tenant_id in (${ours}) and state <> 'delivered'`))[0]!.n);
  // A delivery job can outlive its delivery: one that found the endpoint busy, or a retry of one a
  // killed worker held, comes back later and finds the delivery done (a no-op). The run ends when
  // both are drained.
  const queuedJobs = async () =>
    Number(
      (await selectRows<{ n: number }>(sql`select count(*)::int as n from pgboss.job where name = 'webhooks.deliver' and state in ('created', 'retry', 'active') and data->>'tenantId' in (${ours})`))[0]!.n,
    );
  const deadline = Date.now() + 9 * 60_000;
  while (((await undelivered()) > 0 || (await queuedJobs()) > 0) && Date.now() < deadline) await sleep(1_000);
  log(`all deliveries ended ${((Date.now() - started) / 1000).toFixed(1)} s after the first commit (the worker killed ${killed} times)`);
  worker?.kill("SIGTERM");
  await new Promise((resolve) => worker?.once("exit", resolve));

  const events = await selectRows<{ tenant_id: string; id: string }>(sql`select tenant_id, id from outbound_events where tenant_id in (${ours}) and type in ('order.paid', 'order.refunded')`);
  const endpointOf = new Map(shops.map((shop) => [shop.tenantId, shop.endpointId]));
  const expected = new Set(events.filter((event) => endpointOf.has(event.tenant_id)).map((event) => `${endpointOf.get(event.tenant_id)}:${event.id}`));
  check(committed === changes, `${committed} of ${changes} order changes applied`);
  check(expected.size === changes, `${expected.size} outbound events for ${changes} order changes`);
  const missing = [...expected].filter((key) => !receiver.seen.has(key));
  const invented = [...receiver.seen.keys()].filter((key) => !expected.has(key));
  check(missing.length === 0, `${missing.length} events never reached their endpoint, e.g. ${missing.slice(0, 3).join(", ")}`);
  check(invented.length === 0, `${invented.length} deliveries of events never committed, e.g. ${invented.slice(0, 3).join(", ")}`);
  check(receiver.forged === 0, `${receiver.forged} deliveries failed signature verification`);
  const left = await undelivered();
  check(left === 0, `${left} deliveries not delivered at the end`);
  const queued = await queuedJobs();
  check(queued === 0, `${queued} delivery jobs still queued at the end`);
  const repeated = [...receiver.seen.values()].filter((n) => n > 1).length;
  log(`receiver: ${receiver.seen.size} distinct events for ${expected.size} expected, ${repeated} delivered more than once (at least once is the promise), ${receiver.forged} bad signatures`);

  await receiver.down();
  await closeDatabase();
  if (problems.length > 0) {
    console.error(`\noutbound: FAILED (${problems.length} problem(s)):\n  ${problems.join("\n  ")}`);
    console.log("0 passed, 1 failed");
    process.exit(1);
  }
  console.log("\noutbound: every check passed");
  console.log("1 passed, 0 failed");
  process.exit(0);
}

await main();
