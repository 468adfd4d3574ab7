/**
 * bench/checkout: a buyer's click on /pay/<slug> against the production build, real Postgres and
 * the local sandbox (no added latency). For a fresh browser (new checkout) and for a second click
 * with the checkout cookie (reuse), it reports the latency the buyer sees, the app's own part of
 * it (minus the time spent waiting on Whop) and how many Whop calls each click cost.
 */
import os from "node:os";
import { and, count, eq, inArray, isNotNull } from "drizzle-orm";
import { db } from "@/db/client";
import { orders } from "@/db/schema";
import { ownerActor } from "@/lib/auth/actor";
import { signUp } from "@/lib/auth/accounts";
import { CHECKOUT_VISITS_PER_MINUTE_PER_IP, CHECKOUTS_PER_MINUTE_PER_TENANT } from "@/lib/checkout/create-buyer-checkout";
import { createItem, itemFormSchema } from "@/lib/items/items";
import { connectWhopKey } from "@/lib/tenants/connect-whop";
import { getTenantById } from "@/lib/tenants/queries";
import { cpuMsPerRequest, describeCpu, measureCpu } from "./support/cpu";
import { monotonicUs, noteWindow } from "./support/profile";
import { cookieFrom, pingRound, runLoad, type PingRound } from "./support/load";
import { round, summarize } from "./support/stats";
import type { WhopCall } from "./support/whop-recorder";
import { trimFailures } from "./support/results";
import type { BenchContext, BenchResult } from "./types";

const CHECKOUT_COOKIE = "whop_connector_checkout";
const CHECKOUT_PATH = "/api/v1/checkout_configurations";
/** The sandbox's (and Whop's) default: 600 requests per minute per operation and key. */
const SANDBOX_LIMIT_PER_MINUTE_PER_KEY = 600;

const TENANTS = 10;
const WARM_UP = 20;
const SEQUENTIAL = 200;
const CONCURRENT = 400;
const CONCURRENCY = 8;
/** The scenario: 16 connections, new checkouts, ROUNDS runs of HIGH_CONCURRENT buyers; the median run is reported. */
const HIGH_CONCURRENCY = 16;
const HIGH_CONCURRENT = Number(process.env.BENCH_CHECKOUT_BUYERS ?? 300);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
/** The targets: at 16 connections, at least half what the empty route answers; one at a time, the own p50 at most 3x the empty route's. */
const MIN_THROUGHPUT_RATIO = 0.5;
const MAX_OWN_P50_VS_PING = 3;
const REQUEST_TIMEOUT_MS = 15_000;

interface Shop {
  tenantId: string;
  slug: string;
}

interface Buyer {
  shop: Shop;
  /** A distinct X-Forwarded-For per buyer: the app throttles checkout visits per IP. */
  ip: string;
  cookie?: string;
  purchaseUrl?: string;
  orderId?: string;
}

type Kind = "new" | "reuse";

export async function run(ctx: BenchContext): Promise<BenchResult[]> {
  const totalNew = WARM_UP + SEQUENTIAL + CONCURRENT + ROUNDS * HIGH_CONCURRENT;
  const perTenant = Math.ceil(totalNew / TENANTS);
  // The whole run is counted as if it fell in one minute's window, so no throttle can trigger.
  if (perTenant >= CHECKOUTS_PER_MINUTE_PER_TENANT || perTenant >= SANDBOX_LIMIT_PER_MINUTE_PER_KEY || 2 > CHECKOUT_VISITS_PER_MINUTE_PER_IP) {
    throw new Error("the load plan would hit the app's or the sandbox's throttles; spread it over more tenants");
  }
  ctx.log(
    `checkout: ${TENANTS} tenants (one sandbox company, key and item each), ${totalNew} buyers round-robin over them ` +
      `(≤ ${perTenant} new checkouts per tenant for the whole run; limits: app ${CHECKOUTS_PER_MINUTE_PER_TENANT}/min/tenant, ` +
      `sandbox ${SANDBOX_LIMIT_PER_MINUTE_PER_KEY}/min/key), one X-Forwarded-For per buyer from 198.18.0.0/15 ` +
      `(2 visits per address; app limit ${CHECKOUT_VISITS_PER_MINUTE_PER_IP}/min/IP)`,
  );

  const shops = await setUpShops(ctx);
  const nextIp = buyerAddresses(ctx.runId);
  const buyersFor = (n: number): Buyer[] => Array.from({ length: n }, (_, i) => ({ shop: shops[i % shops.length]!, ip: nextIp() }));

  const warmUp = buyersFor(WARM_UP);
  for (const kind of ["new", "reuse"] as const) {
    const result = await measure(ctx, warmUp, kind, 1, "warm-up");
    if (result.failures.length > 0) throw new Error(`warm-up (${kind}) failed:\n  ${result.failures.join("\n  ")}`);
  }
  ctx.log(`checkout: warm-up done (${WARM_UP} new + ${WARM_UP} reuse)`);

  const results: BenchResult[] = [];
  for (const [buyers, concurrency] of [
    [buyersFor(SEQUENTIAL), 1],
    [buyersFor(CONCURRENT), CONCURRENCY],
  ] as const) {
    for (const kind of ["new", "reuse"] as const) {
      const fromUs = monotonicUs();
      const result = await measure(ctx, buyers, kind, concurrency);
      if (concurrency === 1) noteWindow(`checkout ${kind}, one at a time`, { fromUs, toUs: monotonicUs() }, result.requests);
      ctx.log(`checkout: ${result.scenario} done (${result.requests} requests, ${result.failures.length} failures)`);
      results.push(result);
    }
  }
  // The empty route one at a time, beside the sequential new checkouts (the own-time target's yardstick).
  const pingFromUs = monotonicUs();
  const pingAlone = await pingRound(ctx.appUrl, SEQUENTIAL, 1, { timeoutMs: REQUEST_TIMEOUT_MS });
  noteWindow("ping, one at a time", { fromUs: pingFromUs, toUs: monotonicUs() }, SEQUENTIAL);
  const sequentialNew = results[0]!;
  ctx.log(`checkout: GET /api/ping one at a time: p50 ${pingAlone.latency.p50} ms; new checkout sequential own p50 ${sequentialNew.latencyMs.own.p50} ms`);
  results.push(...(await highConcurrency(ctx, buyersFor, { sequentialNew, pingAlone })));

  await checkOrdersInDatabase(ctx, shops, totalNew);
  return results;
}

/**
 * ROUNDS runs of HIGH_CONCURRENT fresh buyers at HIGH_CONCURRENCY connections, each followed by
 * the same buyers' second click; the run with the median own-time p50 is reported, with the
 * issue's targets on it (own time, and exactly one Whop call per new checkout).
 */
async function highConcurrency(
  ctx: BenchContext,
  buyersFor: (n: number) => Buyer[],
  { sequentialNew, pingAlone }: { sequentialNew: BenchResult; pingAlone: PingRound },
): Promise<BenchResult[]> {
  const runs: Record<Kind, BenchResult[]> = { new: [], reuse: [] };
  const pings: PingRound[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const buyers = buyersFor(HIGH_CONCURRENT);
    for (const kind of ["new", "reuse"] as const) {
      const cpu = measureCpu([ctx.appPgid], os.availableParallelism());
      const result = await measure(ctx, buyers, kind, HIGH_CONCURRENCY);
      const share = cpu();
      noteWindow(`checkout ${kind} @${HIGH_CONCURRENCY}`, share, result.requests);
      ctx.log(
        `checkout: ${result.scenario} run ${r + 1}/${ROUNDS}: ${rpsOf(result)} req/s, own p50 ${result.latencyMs.own.p50} ms, p99 ${result.latencyMs.own.p99} ms (${result.failures.length} failures); ` +
          `CPU per click: app ${cpuMsPerRequest(share.apps[0]!, share, result.requests)} ms, postgres ${cpuMsPerRequest(share.postgres, share, result.requests)} ms, bench process (sandbox, load) ${cpuMsPerRequest(share.bench, share, result.requests)} ms; cores: ${describeCpu(share, ["app"])}`,
      );
      runs[kind].push(result);
    }
    const cpu = measureCpu([ctx.appPgid], os.availableParallelism());
    pings.push(await pingRound(ctx.appUrl, HIGH_CONCURRENT, HIGH_CONCURRENCY, { timeoutMs: REQUEST_TIMEOUT_MS }));
    const share = cpu();
    noteWindow(`ping @${HIGH_CONCURRENCY} (checkout's)`, share, HIGH_CONCURRENT);
    ctx.log(`checkout: GET /api/ping @${HIGH_CONCURRENCY} run ${r + 1}/${ROUNDS}: ${pings.at(-1)!.rps} req/s; CPU per request: app ${cpuMsPerRequest(share.apps[0]!, share, HIGH_CONCURRENT)} ms`);
  }
  const ping = [...pings].sort((a, b) => a.rps - b.rps)[Math.floor(pings.length / 2)]!;
  const pingFailures = [...pingAlone.failures, ...pings.flatMap((p) => p.failures)];
  return (["new", "reuse"] as const).map((kind) => {
    const all = runs[kind];
    const median = [...all].sort((a, b) => a.latencyMs.own.p50 - b.latencyMs.own.p50)[Math.floor(all.length / 2)]!;
    const p99s = all.map((r) => r.latencyMs.own.p99).sort((a, b) => a - b);
    const medianP99 = p99s[Math.floor(p99s.length / 2)]!;
    const calls = { min: Math.min(...all.map((r) => r.whopCallsPerRequest.min)), max: Math.max(...all.map((r) => r.whopCallsPerRequest.max)) };
    const expected = kind === "new" ? 1 : 0;
    return {
      ...median,
      scenario: `${median.scenario} (median of ${all.length} runs)`,
      failures: trimFailures([...all.flatMap((r) => r.failures), ...(kind === "new" ? pingFailures : [])]),
      whopCallsPerRequest: { ...median.whopCallsPerRequest, ...calls },
      metrics: { ownP50PerRunMs: all.map((r) => r.latencyMs.own.p50), ownP99PerRunMs: all.map((r) => r.latencyMs.own.p99), totalP50PerRunMs: all.map((r) => r.latencyMs.total.p50), rounds: all.length },
      targets:
        kind === "new"
          ? [
              {
                name: `checkout throughput vs empty route @${HIGH_CONCURRENCY}`,
                target: `≥ ${MIN_THROUGHPUT_RATIO * 100} %`,
                actual: `${Math.round((100 * rpsOf(median)) / ping.rps)} % (${rpsOf(median)} / ${ping.rps} req/s; own p50 ${median.latencyMs.own.p50} ms, p99 ${medianP99} ms)`,
                met: rpsOf(median) >= MIN_THROUGHPUT_RATIO * ping.rps,
              },
              {
                name: "checkout own p50 one at a time vs the ping's",
                target: `≤ ${MAX_OWN_P50_VS_PING}×`,
                actual: `${round(sequentialNew.latencyMs.own.p50 / pingAlone.latency.p50, 1)}× (${sequentialNew.latencyMs.own.p50} / ${pingAlone.latency.p50} ms)`,
                met: sequentialNew.latencyMs.own.p50 <= MAX_OWN_P50_VS_PING * pingAlone.latency.p50,
              },
              { name: "Whop calls per new checkout", target: `= ${expected}`, actual: calls.min === calls.max ? String(calls.min) : `${calls.min}–${calls.max}`, met: calls.min === expected && calls.max === expected },
            ]
          : undefined,
    };
  });
}

/** Ten merchants made the way the product makes them: sign-up, live key check, item with its Whop product. */
async function setUpShops(ctx: BenchContext): Promise<Shop[]> {
  return Promise.all(
    Array.from({ length: TENANTS }, async (_, i) => {
      const res = await fetch(`${ctx.sandboxUrl}/_sandbox/companies`, { method: "POST", body: JSON.stringify({ title: `Bench Shop ${i + 1}` }) });
      if (!res.ok) throw new Error(`sandbox refused to create a company (${res.status})`);
      const { companyKey } = (await res.json()) as { companyKey: string };

      const signedUp = await signUp({ email: `bench-${ctx.runId}-${i}@example.com`, password: "bench password, long enough", ip: null });
      if (!signedUp.ok) throw new Error(`sign-up failed: ${signedUp.reason}`);
      const { user, tenant } = signedUp;
      const connected = await connectWhopKey(ownerActor(tenant, user), companyKey);
      if (!connected.ok) throw new Error(`connecting the sandbox key failed: ${connected.message}`);

      const created = await createItem(
        ownerActor((await getTenantById(tenant.id))!, user),
        itemFormSchema.parse({ title: `Bench preset pack ${i + 1}`, price: "19.99", currency: "usd", description: "Made by npm run bench" }),
      );
      if (!created.ok) throw new Error(`creating the item failed: ${created.message}`);
      return { tenantId: tenant.id, slug: created.item.slug };
    }),
  );
}

/**
 * Sends every buyer's click (`concurrency` at a time), then checks each answer and ties the Whop
 * calls of the phase to the clicks: by purchase_url → Idempotency-Key (= order id) for a new
 * checkout, by the known order id for a reuse. A call tied to no click is a failure too.
 */
async function measure(
  ctx: BenchContext,
  buyers: Buyer[],
  kind: Kind,
  concurrency: number,
  label = concurrency === 1 ? "sequential" : `concurrency ${concurrency}`,
): Promise<BenchResult> {
  const mark = ctx.whop.calls.length;
  const requests = buyers.map((buyer) => {
    const headers: Record<string, string> = { "x-forwarded-for": buyer.ip, accept: "text/html", "user-agent": "whop-connector-bench" };
    if (kind === "reuse" && buyer.cookie) headers.cookie = `${CHECKOUT_COOKIE}=${buyer.cookie}`;
    return { method: "GET" as const, path: `/pay/${buyer.shop.slug}`, headers };
  });
  const { responses: [responses = []], wallMs } = await runLoad([{ url: ctx.appUrl, connections: concurrency, requests }], { timeoutMs: REQUEST_TIMEOUT_MS });
  // The recorder notes a call once its answer is written; let those last notes land.
  await new Promise((resolve) => setImmediate(resolve));

  const calls = ctx.whop.since(mark);
  const byPurchaseUrl = new Map(calls.filter((c) => c.purchaseUrl).map((c) => [c.purchaseUrl!, c]));
  const byKey = new Map<string, WhopCall[]>();
  for (const call of calls) if (call.idempotencyKey) byKey.set(call.idempotencyKey, [...(byKey.get(call.idempotencyKey) ?? []), call]);

  const failures: string[] = [];
  const totals: number[] = [];
  const whopTimes: number[] = [];
  const callCounts: number[] = [];
  let attributed = 0;
  const expected = kind === "new" ? 1 : 0;

  buyers.forEach((buyer, i) => {
    const res = responses[i]!;
    const fail = (why: string) => failures.push(`#${i} ${kind} /pay/${buyer.shop.slug}: ${why}`);
    if (res instanceof Error) {
      fail(res.message);
      return;
    }
    const location = typeof res.headers.location === "string" ? res.headers.location : "";
    let own: WhopCall[] = [];
    if (kind === "new") {
      const call = byPurchaseUrl.get(location);
      own = call?.idempotencyKey ? (byKey.get(call.idempotencyKey) ?? []) : call ? [call] : [];
      const cookie = cookieFrom(res.headers["set-cookie"], CHECKOUT_COOKIE);
      if (res.status !== 303) fail(`expected 303, got ${res.status} ${res.body.slice(0, 120).replace(/\s+/g, " ")}`);
      else if (!location.startsWith(`${ctx.sandboxUrl}/checkout/`)) fail(`303 to ${location}, not to the sandbox's checkout`);
      else if (!call) fail(`303 to ${location}, a purchase_url no Whop call answered`);
      else if (call.method !== "POST" || call.path !== CHECKOUT_PATH) fail(`the Whop call was ${call.method} ${call.path}`);
      else if (!call.idempotencyKey || call.idempotencyKey !== call.orderId) fail(`Idempotency-Key ${call.idempotencyKey} ≠ metadata.order_id ${call.orderId}`);
      else if (!cookie) fail(`no ${CHECKOUT_COOKIE} cookie set`);
      else Object.assign(buyer, { cookie, purchaseUrl: location, orderId: call.orderId });
    } else {
      own = buyer.orderId ? (byKey.get(buyer.orderId) ?? []) : [];
      if (res.status !== 303) fail(`expected 303, got ${res.status} ${res.body.slice(0, 120).replace(/\s+/g, " ")}`);
      else if (location !== buyer.purchaseUrl) fail(`303 to ${location}, not to the first click's ${buyer.purchaseUrl}`);
    }
    if (own.length !== expected) fail(`${own.length} Whop calls (expected ${expected})`);
    attributed += own.length;

    const whopMs = own.reduce((sum, c) => sum + c.durationMs, 0);
    totals.push(res.ms);
    whopTimes.push(whopMs);
    callCounts.push(own.length);
  });
  if (calls.length !== attributed) failures.push(`${calls.length - attributed} Whop calls during the phase were tied to no click`);

  return {
    benchmark: "checkout",
    scenario: `${kind === "new" ? "new checkout" : "reuse (same cookie)"}, ${label}`,
    requests: buyers.length,
    concurrency,
    wallMs: Math.round(wallMs),
    latencyMs: {
      total: summarize(totals),
      whop: summarize(whopTimes),
      own: summarize(totals.map((t, i) => t - whopTimes[i]!)),
    },
    whopCallsPerRequest: {
      expected,
      min: Math.min(...callCounts),
      max: Math.max(...callCounts),
      mean: callCounts.length === 0 ? 0 : callCounts.reduce((a, b) => a + b, 0) / callCounts.length,
    },
    failures: trimFailures(failures),
  };
}

/** Every new checkout left exactly one pending order with its purchase URL; reuses left none. */
async function checkOrdersInDatabase(ctx: BenchContext, shops: Shop[], expectedOrders: number): Promise<void> {
  const tenantIds = shops.map((s) => s.tenantId);
  const [all] = await db().select({ n: count() }).from(orders).where(inArray(orders.tenantId, tenantIds));
  const [ready] = await db()
    .select({ n: count() })
    .from(orders)
    .where(and(inArray(orders.tenantId, tenantIds), eq(orders.status, "pending"), isNotNull(orders.purchaseUrl)));
  if (all?.n !== expectedOrders || ready?.n !== expectedOrders) {
    throw new Error(`Postgres holds ${all?.n} orders (${ready?.n} pending with a purchase URL) for ${expectedOrders} new checkouts`);
  }
  ctx.log(`checkout: Postgres holds exactly ${expectedOrders} pending orders with a purchase URL for ${expectedOrders} new checkouts (reuses made none)`);
}

/** Distinct addresses from 198.18.0.0/15 (RFC 2544, set aside for benchmarks), starting where the run id says. */
function buyerAddresses(runId: string): () => string {
  let n = parseInt(runId.slice(0, 5), 16) % 131_072;
  return () => {
    n = (n + 1) % 131_072;
    return `198.${18 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}`;
  };
}

function rpsOf(result: BenchResult): number {
  return Math.round((result.requests / result.wallMs) * 1000);
}
