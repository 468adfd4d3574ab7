/**
 * bench/outbound: the merchants' webhooks at volume. 10,000 order changes (5,000 orders paid, then
 * refunded) committed through the ledger — each writing its outbound event, deliveries and jobs in
 * the order's transaction — while one `npm run worker` delivers them to a local receiver that
 * verifies every signature. Reports throughput (deliveries per second from the first commit to the
 * last delivery), the lag from an event's commit to its delivery's first arrival (p50/p99; target
 * p99 ≤ 2 s) and the worker's peak RSS (target ≤ 200 MB).
 */
import { sql } from "drizzle-orm";
import { selectRows } from "@/db/client";
import { commitOrderChanges, setUpShops, spawnWorker, startReceiver } from "./support/outbound";
import { GroupRssSampler } from "./support/rss";
import { noWhopResult } from "./support/results";
import { round, summarize } from "./support/stats";
import type { BenchContext, BenchResult } from "./types";

const ORDERS = Number(process.env.BENCH_OUTBOUND_ORDERS ?? 5_000);
const TENANTS = 10;
/**
 * `BENCH_OUTBOUND_DRAIN=1`: every change is committed before the worker starts, and the figure is
 * how fast it drains the backlog (first arrival → last), independent of the commit rate — the
 * worker's delivery capacity, for comparing changes to it on a busy machine.
 */
const DRAIN = process.env.BENCH_OUTBOUND_DRAIN === "1";
/** `BENCH_OUTBOUND_ANSWER_MS`: the receiver takes this long to answer each delivery (default 0: at once). */
const ANSWER_MS = Number(process.env.BENCH_OUTBOUND_ANSWER_MS ?? 0);
const MAX_LAG_P99_MS = 2_000;
const MAX_WORKER_RSS_MB = 200;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function run(ctx: BenchContext): Promise<BenchResult[]> {
  ctx.log(`outbound: ${ORDERS * 2} order changes of ${TENANTS} merchants, one worker, a local receiver${ANSWER_MS > 0 ? ` answering after ${ANSWER_MS} ms` : ""}`);
  const secrets = new Map<string, string>();
  const receiver = await startReceiver(secrets, ANSWER_MS);
  const shops = await setUpShops(receiver, secrets, TENANTS, Math.ceil(ORDERS / TENANTS));
  const changes = shops.reduce((n, shop) => n + 2 * shop.orders.length, 0);

  const startWorker = () => {
    const worker = spawnWorker({ ...process.env, WEBHOOK_ALLOW_PRIVATE_URLS: "1", LOG_LEVEL: "warn" });
    return { worker, rss: new GroupRssSampler(worker.pid ?? -1).start() };
  };
  let running = DRAIN ? undefined : startWorker();
  // Let it start and poll before the first commit, so start-up is not counted as lag.
  if (running) await sleep(4_000);
  const started = Date.now();
  const committed = await commitOrderChanges(shops);
  const committedMs = Date.now() - started;
  running ??= startWorker();
  const { worker, rss } = running;
  const failures: string[] = [];
  const deadline = Date.now() + 10 * 60_000;
  while (receiver.seen.size < changes && Date.now() < deadline) await sleep(200);
  const wallMs = Date.now() - started;
  rss.stop();
  worker.kill("SIGTERM");
  await new Promise((resolve) => worker.once("exit", resolve));
  await receiver.down();
  if (committed !== changes) failures.push(`${committed} of ${changes} order changes applied`);
  if (receiver.seen.size < changes) failures.push(`${receiver.seen.size} of ${changes} events delivered within 10 minutes`);
  if (receiver.forged > 0) failures.push(`${receiver.forged} deliveries failed signature verification`);

  // Lag: the event's commit (its created_at, in the database's clock, the same machine's) → the receiver's first arrival.
  const ours = sql.join(shops.map((shop) => sql`${shop.tenantId}`), sql`, `);
  const events = await selectRows<{ tenant_id: string; id: string; created_ms: number }>(
    sql`select tenant_id, id, (extract(epoch from created_at) * 1000)::float8 as created_ms from outbound_events where tenant_id in (${ours}) and type in ('order.paid', 'order.refunded')`,
  );
  const endpointOf = new Map(shops.map((shop) => [shop.tenantId, shop.endpointId]));
  const lags: number[] = [];
  for (const event of events) {
    const arrived = receiver.firstArrival.get(`${endpointOf.get(event.tenant_id)}:${event.id}`);
    if (arrived !== undefined) lags.push(Math.max(0, arrived - Number(event.created_ms)));
  }
  const lag = summarize(lags);
  // Jobs beyond one per delivery: attempts put off because their endpoint was at its bound.
  const [{ jobs }] = (await selectRows<{ jobs: number }>(
    sql`select (select count(*) from pgboss.job where name = 'webhooks.deliver' and data->>'tenantId' in (${ours})) + (select count(*) from pgboss.archive where name = 'webhooks.deliver' and data->>'tenantId' in (${ours})) as jobs`,
  )) as [{ jobs: number }];
  const peakMb = round(rss.peakBytes / 1024 / 1024, 1);
  const arrivals = [...receiver.firstArrival.values()];
  const drainMs = arrivals.length > 1 ? Math.max(...arrivals) - Math.min(...arrivals) : wallMs;
  const throughput = round((receiver.seen.size / (DRAIN ? drainMs : wallMs)) * 1000, 1);
  ctx.log(`outbound${DRAIN ? " (drain: all committed before the worker started)" : ""}: ${receiver.seen.size} delivered in ${(wallMs / 1000).toFixed(1)} s (${throughput}/s; commits took ${(committedMs / 1000).toFixed(1)} s), lag p50 ${lag.p50} ms p99 ${lag.p99} ms, worker peak RSS ${peakMb} MB, ${Number(jobs)} jobs, at most ${receiver.peakOpenPerEndpoint} requests open at one endpoint`);
  return [
    noWhopResult({
      benchmark: "outbound",
      scenario: `${changes} order changes → signed deliveries (one worker${DRAIN ? ", draining a backlog: lag not meaningful" : ""})`,
      requests: changes,
      concurrency: 1,
      wallMs,
      latency: lag,
      failures,
      metrics: { deliveriesPerSecond: throughput, commitSeconds: round(committedMs / 1000, 1), lagP50Ms: lag.p50, lagP99Ms: lag.p99, workerPeakRssMb: peakMb, jobs: Number(jobs), peakOpenPerEndpoint: receiver.peakOpenPerEndpoint },
      targets: [
        { name: "lag commit → first delivery, p99", target: `≤ ${MAX_LAG_P99_MS} ms`, actual: `${lag.p99} ms`, met: lag.p99 <= MAX_LAG_P99_MS },
        { name: "worker peak RSS", target: `≤ ${MAX_WORKER_RSS_MB} MB`, actual: `${peakMb} MB`, met: peakMb <= MAX_WORKER_RSS_MB },
      ],
    }),
  ];
}
