/**
 * bench/ingest: Whop's `payment.succeeded` deliveries to POST /api/webhooks/whop/<publicId> at 32
 * connections — verified, recorded once (answered), then applied to a pending order — next to the
 * same load on POST /api/ping, the app's empty route handler (the framework's ceiling on this
 * machine). The apply lag (answer → `applied_at`) is reported per event.
 */
import os from "node:os";
import { cpuMsPerRequest, describeCpu, measureCpu, type CpuShare } from "./support/cpu";
import { noteWindow } from "./support/profile";
import { addPendingOrders, buildDeliveries, checkAnswers, checkDatabase, deliveryRequest, DUPLICATE_SHARE, setUpShops, waitForApplied, type Delivery, CONCURRENCY, DELIVERIES, REQUEST_TIMEOUT_MS, ROUNDS, TENANTS, WARM_UP } from "./support/deliveries";
import { runLoad } from "./support/load";
import { medianRun, noWhopResult, trimFailures } from "./support/results";
import { round, summarize } from "./support/stats";
import type { BenchContext, BenchResult, LatencySummary } from "./types";


/** The targets. */
const MIN_THROUGHPUT_RATIO = 0.7;
const MAX_P99_TO_PING = 3;
const MAX_APPLY_LAG_P99_MS = 1_000;

interface Round {
  wallMs: number;
  rps: number;
  latency: LatencySummary;
  answeredAt: Map<string, number>;
  failures: string[];
}

/** Where a round's CPU went, per request: the app's and Postgres's milliseconds. */
interface CpuPerRequest {
  appMs: number;
  postgresMs: number;
  share: CpuShare;
}

function perRequest(share: CpuShare, requests: number): CpuPerRequest {
  return { appMs: cpuMsPerRequest(share.apps[0]!, share, requests), postgresMs: cpuMsPerRequest(share.postgres, share, requests), share };
}

export async function run(ctx: BenchContext): Promise<BenchResult[]> {
  const unique = Math.round(DELIVERIES * (1 - DUPLICATE_SHARE));
  const warmUnique = Math.round(WARM_UP * (1 - DUPLICATE_SHARE));
  ctx.log(
    `ingest: ${TENANTS} tenants, ${WARM_UP} warm-up + ${ROUNDS} × ${DELIVERIES} payment.succeeded deliveries ` +
      `(${Math.round(DUPLICATE_SHARE * 100)} % exact duplicates; schemes 60 % standard, 30 % legacy, 10 % bare) at ${CONCURRENCY} connections, ` +
      `then ${ROUNDS} × ${DELIVERIES} of the same requests to POST /api/ping`,
  );
  const shops = await setUpShops(ctx.runId, TENANTS, "ingest");
  const pending = await addPendingOrders(shops, warmUnique + ROUNDS * unique);
  ctx.log(`ingest: ${shops.length} tenants and ${pending.length} pending orders inserted`);

  const whopMark = ctx.whop.calls.length;
  // Warm-up: both routes, so neither pays for first compilation / connection set-up in the figures.
  const warm = buildDeliveries(pending.splice(0, warmUnique), WARM_UP);
  const warmIngest = await fire(ctx.appUrl, warm, "ingest");
  const warmApplied = await waitForApplied(warm, warmIngest.answeredAt);
  if (warmIngest.failures.length + warmApplied.failures.length > 0) throw new Error(`warm-up failed:\n  ${[...warmIngest.failures, ...warmApplied.failures].slice(0, 10).join("\n  ")}`);
  await fire(ctx.appUrl, warm, "ping");

  const ingestRounds: Round[] = [];
  const pingRounds: Round[] = [];
  const dbFailures: string[] = [];
  const lagRounds: LatencySummary[] = [];
  // CPU per request: a delivery's from its request to its ledger transaction (the whole round until
  // every event is applied), against an empty request's. A delivery costs what its answer and its
  // apply cost, whichever process and moment that CPU is spent in.
  const cores = os.availableParallelism();
  const deliveryCpu: CpuPerRequest[] = [];
  const pingCpu: CpuPerRequest[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    // Signed right before sending: the standard and legacy schemes allow ±300 s.
    const deliveries = buildDeliveries(pending.splice(0, unique), DELIVERIES);
    const ingestCpu = measureCpu([ctx.appPgid], cores);
    const ingest = await fire(ctx.appUrl, deliveries, "ingest");
    const answering = ingestCpu();
    // The ledger catches up before anything else runs (the ping round must not share the machine with it).
    const applied = await waitForApplied(deliveries, ingest.answeredAt);
    deliveryCpu.push(perRequest(ingestCpu(), DELIVERIES));
    noteWindow("ingest @32 (answer + apply)", deliveryCpu.at(-1)!.share, DELIVERIES);
    lagRounds.push(summarize(applied.lags));
    dbFailures.push(...applied.failures, ...(await checkDatabase(deliveries)));
    const pingCpuOf = measureCpu([ctx.appPgid], cores);
    const ping = await fire(ctx.appUrl, deliveries, "ping");
    pingCpu.push(perRequest(pingCpuOf(), DELIVERIES));
    noteWindow("ping @32 (ingest's)", pingCpu.at(-1)!.share, DELIVERIES);
    ingestRounds.push(ingest);
    pingRounds.push(ping);
    ctx.log(
      `ingest: round ${r + 1}/${ROUNDS}: webhook ${ingest.rps.toFixed(0)} req/s (p50 ${ingest.latency.p50} ms, p99 ${ingest.latency.p99} ms, ${ingest.failures.length} failures); ` +
        `ping ${ping.rps.toFixed(0)} req/s (p50 ${ping.latency.p50} ms, p99 ${ping.latency.p99} ms); ` +
        `apply lag p50 ${lagRounds[r]!.p50} ms, p99 ${lagRounds[r]!.p99} ms, max ${lagRounds[r]!.max} ms; ` +
        `CPU per delivery: app ${deliveryCpu[r]!.appMs} ms, postgres ${deliveryCpu[r]!.postgresMs} ms; per ping: app ${pingCpu[r]!.appMs} ms; ` +
        `cores while answering: ${describeCpu(answering, ["app"])}; during the ping: ${describeCpu(pingCpu[r]!.share, ["app"])}`,
    );
  }
  const whopCalls = ctx.whop.since(whopMark).length;

  const ingestMedian = medianRound(ingestRounds);
  const pingMedian = medianRound(pingRounds);
  const ratio = ingestMedian.rps / pingMedian.rps;
  const p99s = ingestRounds.map((r) => r.latency.p99).sort((a, b) => a - b);
  const medianP99 = p99s[Math.floor(p99s.length / 2)]!;
  const pingP99s = pingRounds.map((r) => r.latency.p99).sort((a, b) => a - b);
  const medianPingP99 = pingP99s[Math.floor(pingP99s.length / 2)]!;
  const lagP99s = lagRounds.map((r) => r.p99).sort((a, b) => a - b);
  const medianLagP99 = lagP99s[Math.floor(lagP99s.length / 2)]!;
  const perRound = {
    webhookRps: ingestRounds.map((r) => Math.round(r.rps)),
    webhookP50Ms: ingestRounds.map((r) => r.latency.p50),
    webhookP99Ms: ingestRounds.map((r) => r.latency.p99),
    pingRps: pingRounds.map((r) => Math.round(r.rps)),
    pingP99Ms: pingRounds.map((r) => r.latency.p99),
    applyLagP50Ms: lagRounds.map((r) => r.p50),
    applyLagP99Ms: lagRounds.map((r) => r.p99),
    applyLagMaxMs: lagRounds.map((r) => r.max),
    appCpuMsPerDelivery: deliveryCpu.map((c) => c.appMs),
    postgresCpuMsPerDelivery: deliveryCpu.map((c) => c.postgresMs),
    appCpuMsPerPing: pingCpu.map((c) => c.appMs),
    postgresCpuMsPerPing: pingCpu.map((c) => c.postgresMs),
  };
  const failures = [...ingestRounds.flatMap((r) => r.failures), ...dbFailures];
  if (whopCalls > 0) failures.push(`${whopCalls} Whop calls during webhook ingestion (expected none)`);

  return [
    result("POST /api/webhooks/whop/[tenantId] (payment.succeeded)", ingestMedian, failures, {
      metrics: { ...perRound, throughputRatioToEmptyRoute: round(ratio, 3), rounds: ROUNDS },
      targets: [
        { name: "ingest throughput vs empty route", target: `≥ ${MIN_THROUGHPUT_RATIO * 100} %`, actual: `${(ratio * 100).toFixed(0)} % (${ingestMedian.rps.toFixed(0)} / ${pingMedian.rps.toFixed(0)} req/s)`, met: ratio >= MIN_THROUGHPUT_RATIO },
        { name: "ingest p99 vs the ping's p99", target: `≤ ${MAX_P99_TO_PING}×`, actual: `${(medianP99 / medianPingP99).toFixed(2)}× (${medianP99} / ${medianPingP99} ms, medians of ${ROUNDS} runs)`, met: medianP99 <= MAX_P99_TO_PING * medianPingP99 },
        { name: "apply lag p99 (answered → applied)", target: `≤ ${MAX_APPLY_LAG_P99_MS} ms`, actual: `${medianLagP99} ms (median of ${ROUNDS} runs)`, met: medianLagP99 <= MAX_APPLY_LAG_P99_MS },
      ],
    }),
    result("POST /api/ping (empty route, same requests)", pingMedian, pingRounds.flatMap((r) => r.failures), { metrics: { rounds: ROUNDS } }),
  ];
}

/**
 * Sends every delivery once with autocannon at CONCURRENCY connections, to the webhook route or
 * (same headers and body) to /api/ping, and checks each answer (support/deliveries.ts).
 */
async function fire(appUrl: string, deliveries: Delivery[], target: "ingest" | "ping"): Promise<Round> {
  const { responses, wallMs } = await runLoad([{ url: appUrl, connections: CONCURRENCY, requests: deliveries.map((d) => deliveryRequest(d, target)) }], { timeoutMs: REQUEST_TIMEOUT_MS });
  const { times, answeredAt, failures } = checkAnswers(deliveries, responses[0]!, target);
  return { wallMs, rps: (deliveries.length * 1000) / wallMs, latency: summarize(times), answeredAt, failures: trimFailures(failures) };
}

/** The run with the median throughput, so its latency figures come from the same run. */
function medianRound(rounds: Round[]): Round {
  return medianRun(rounds, (r) => r.rps);
}

function result(scenario: string, r: Round, failures: string[], extra: Pick<BenchResult, "metrics" | "targets">): BenchResult {
  return noWhopResult({ benchmark: "ingest", scenario: `${scenario}, concurrency ${CONCURRENCY}`, requests: DELIVERIES, concurrency: CONCURRENCY, wallMs: r.wallMs, latency: r.latency, failures, ...extra });
}
