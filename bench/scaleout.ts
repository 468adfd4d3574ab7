/**
 * bench/scaleout: the ingest load of bench/ingest (payment.succeeded deliveries with 10 % exact
 * copies, three schemes, many tenants) sent to one app instance, then split between two instances
 * of the same build and configuration on two ports sharing one Postgres — the way a round-robin
 * load balancer would split it, so copies of one event land on different instances. Reports the
 * throughput ratio, where the machine's cores went, and whether dedupe stayed exact.
 */
import os from "node:os";
import { describeCpu, measureCpu, type CpuShare } from "./support/cpu";
import { addPendingOrders, buildDeliveries, checkAnswers, checkDatabase, deliveryRequest, DUPLICATE_SHARE, setUpShops, waitForApplied, type Delivery, CONCURRENCY, DELIVERIES, REQUEST_TIMEOUT_MS, ROUNDS, TENANTS, WARM_UP } from "./support/deliveries";
import { runLoad } from "./support/load";
import { medianRun, noWhopResult, trimFailures } from "./support/results";
import { round, summarize } from "./support/stats";
import type { BenchContext, BenchResult, LatencySummary } from "./types";


/** The target, "where the cores allow it". */
const MIN_SCALE = 1.6;
/**
 * Below this many cores the target cannot be reached on one machine: two app instances that each
 * keep a core busy, plus Postgres and the load generator, need about four.
 */
const CORES_FOR_TARGET = 4;

interface Round {
  wallMs: number;
  rps: number;
  latency: LatencySummary;
  /** Per instance: deliveries answered per second over that instance's own wall time. */
  perInstanceRps: number[];
  /** Events whose copies landed on more than one instance. */
  splitEvents: number;
  cpu: CpuShare;
  answeredAt: Map<string, number>;
  failures: string[];
}

export async function run(ctx: BenchContext): Promise<BenchResult[]> {
  const cores = os.availableParallelism();
  const unique = Math.round(DELIVERIES * (1 - DUPLICATE_SHARE));
  const warmUnique = Math.round(WARM_UP * (1 - DUPLICATE_SHARE));
  ctx.log(
    `scaleout: ${TENANTS} tenants; per round ${DELIVERIES} payment.succeeded deliveries (${Math.round(DUPLICATE_SHARE * 100)} % exact copies) at ${CONCURRENCY} connections ` +
      `to one instance, and ${DELIVERIES} fresh ones split between two instances (${CONCURRENCY / 2} + ${CONCURRENCY / 2} connections); ${ROUNDS} rounds; ${cores} cores`,
  );
  const shops = await setUpShops(ctx.runId, TENANTS, "scaleout");
  const pending = await addPendingOrders(shops, warmUnique + 2 * ROUNDS * unique);
  const whopMark = ctx.whop.calls.length;

  const second = await ctx.startAnotherInstance("scaleout");
  try {
    const one = [ctx.appUrl];
    const two = [ctx.appUrl, second.url];
    const pgids = [ctx.appPgid, second.pgid];
    // Warm-up: the second instance is cold (first requests compile routes and fill the JIT and the pool).
    const warmDeliveries = buildDeliveries(pending.splice(0, warmUnique), WARM_UP);
    const warm = await fire(two, pgids, cores, warmDeliveries);
    warm.failures.push(...(await waitForApplied(warmDeliveries, warm.answeredAt)).failures);
    if (warm.failures.length > 0) throw new Error(`warm-up failed:\n  ${warm.failures.slice(0, 10).join("\n  ")}`);

    const single: Round[] = [];
    const double: Round[] = [];
    const dbFailures: string[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      // Alternate which goes first, so a drift in the machine's load does not favour one side.
      for (const urls of r % 2 === 0 ? [one, two] : [two, one]) {
        // Signed right before sending: the standard and legacy schemes allow ±300 s.
        const deliveries = buildDeliveries(pending.splice(0, unique), DELIVERIES);
        const result = await fire(urls, pgids, cores, deliveries);
        const applied = await waitForApplied(deliveries, result.answeredAt);
        dbFailures.push(...[...applied.failures, ...(await checkDatabase(deliveries))].map((f) => `${urls.length} instance(s): ${f}`));
        (urls.length === 1 ? single : double).push(result);
      }
      const [s, d] = [single.at(-1)!, double.at(-1)!];
      ctx.log(
        `scaleout: round ${r + 1}/${ROUNDS}: one instance ${s.rps.toFixed(0)} req/s (p99 ${s.latency.p99} ms; cores: ${describeCpu(s.cpu, ["app"])}); ` +
          `two instances ${d.rps.toFixed(0)} req/s (${d.perInstanceRps.map((x) => x.toFixed(0)).join(" + ")}; p99 ${d.latency.p99} ms; cores: ${describeCpu(d.cpu, ["app 1", "app 2"])}); ` +
          `${d.splitEvents} events had copies on both instances; ${s.failures.length + d.failures.length} failures`,
      );
    }
    const whopCalls = ctx.whop.since(whopMark).length;

    const singleMedian = medianRound(single);
    const doubleMedian = medianRound(double);
    const ratio = doubleMedian.rps / singleMedian.rps;
    const failures = [...single.flatMap((r) => r.failures), ...double.flatMap((r) => r.failures), ...dbFailures];
    if (whopCalls > 0) failures.push(`${whopCalls} Whop calls during webhook ingestion (expected none)`);
    const splitEvents = double.map((r) => r.splitEvents);
    const limit =
      cores < CORES_FOR_TARGET
        ? `; not reachable here: ${cores} cores shared by both instances, Postgres and the load generator (busy ${doubleMedian.cpu.machine} of ${cores} with two instances, ${singleMedian.cpu.machine} with one)`
        : "";

    const metrics = {
      cores,
      rounds: ROUNDS,
      scaleRatio: round(ratio, 3),
      oneInstanceRps: single.map((r) => Math.round(r.rps)),
      twoInstancesRps: double.map((r) => Math.round(r.rps)),
      twoInstancesPerInstanceRps: double.map((r) => r.perInstanceRps.map((x) => Math.round(x)).join(" + ")).join("; "),
      oneInstanceP99Ms: single.map((r) => r.latency.p99),
      twoInstancesP99Ms: double.map((r) => r.latency.p99),
      eventsWithCopiesOnBothInstances: splitEvents,
      cpuOneInstance: describeCpu(singleMedian.cpu, ["app"]),
      cpuTwoInstances: describeCpu(doubleMedian.cpu, ["app 1", "app 2"]),
    };
    return [
      result(`ingest, 1 instance, ${CONCURRENCY} connections`, singleMedian, [], { metrics: { rounds: ROUNDS } }),
      result(`ingest, 2 instances (${CONCURRENCY / 2} + ${CONCURRENCY / 2} connections), copies across instances`, doubleMedian, failures, {
        metrics,
        targets: [
          {
            name: "scale-out: 2 instances vs 1 (ingest req/s)",
            target: `≥ ${MIN_SCALE}× where cores allow`,
            actual: `${ratio.toFixed(2)}× (${doubleMedian.rps.toFixed(0)} / ${singleMedian.rps.toFixed(0)} req/s, median of ${ROUNDS}${limit})`,
            met: ratio >= MIN_SCALE,
          },
          {
            name: "scale-out: dedupe exact across instances",
            target: "1 row per event, duplicates = copies, orders paid once",
            actual: failures.length === 0 ? `exact (${ROUNDS} rounds; ${splitEvents.join(", ")} events with copies on both instances)` : `${failures.length} failures`,
            met: failures.length === 0,
          },
        ],
      }),
    ];
  } finally {
    await second.stop();
  }
}

/**
 * Sends the deliveries once: to one instance at CONCURRENCY connections, or split in two halves
 * (the deliveries are shuffled, so an event's copies fall on either side) at CONCURRENCY / 2
 * connections each. Every answer is checked, and each event applied once over both instances.
 */
async function fire(urls: string[], pgids: number[], cores: number, deliveries: Delivery[]): Promise<Round> {
  const size = Math.ceil(deliveries.length / urls.length);
  const parts = urls.map((url, i) => ({ url, deliveries: deliveries.slice(i * size, (i + 1) * size) }));
  const cpu = measureCpu(pgids.slice(0, urls.length), cores);
  const { responses, wallMs, targetWallMs } = await runLoad(
    parts.map((p) => ({ url: p.url, connections: CONCURRENCY / urls.length, requests: p.deliveries.map((d) => deliveryRequest(d, "ingest")) })),
    { timeoutMs: REQUEST_TIMEOUT_MS },
  );
  const share = cpu();
  const { times, answeredAt, failures } = checkAnswers(deliveries, responses.flat(), "ingest");
  const instancesOf = new Map<string, Set<number>>();
  parts.forEach((p, i) => p.deliveries.forEach((d) => instancesOf.set(d.key, (instancesOf.get(d.key) ?? new Set()).add(i))));
  return {
    wallMs,
    rps: (deliveries.length * 1000) / wallMs,
    latency: summarize(times),
    perInstanceRps: parts.map((p, i) => (p.deliveries.length * 1000) / targetWallMs[i]!),
    splitEvents: [...instancesOf.values()].filter((s) => s.size > 1).length,
    cpu: share,
    answeredAt,
    failures: trimFailures(failures),
  };
}

/** The run with the median throughput, so its latency figures come from the same run. */
function medianRound(rounds: Round[]): Round {
  return medianRun(rounds, (r) => r.rps);
}

function result(scenario: string, r: Round, failures: string[], extra: Pick<BenchResult, "metrics" | "targets">): BenchResult {
  return noWhopResult({ benchmark: "scaleout", scenario: scenario, requests: DELIVERIES, concurrency: CONCURRENCY, wallMs: r.wallMs, latency: r.latency, failures, ...extra });
}
