/**
 * bench/ingest: Whop's `payment.succeeded` deliveries to POST /api/webhooks/whop/<publicId> at 32
 * connections — verified, recorded once and applied to a pending order — next to the same load on
 * POST /api/ping, the app's empty route handler (the framework's ceiling on this machine).
 */
import { randomBytes } from "node:crypto";
import { and, count, eq, inArray, sql } from "drizzle-orm";
import { db } from "@/db/client";
import { items, orders, tenants, webhookEvents } from "@/db/schema";
import { encryptSecret } from "@/lib/crypto/secrets";
import { env } from "@/lib/env";
import { newId, newItemSlug, newPublicTenantId, randomBase62 } from "@/lib/ids";
import { createTimedClient, runClosedLoop, type TimedResponse } from "./support/http";
import { round, summarize } from "./support/stats";
import type { BenchContext, BenchResult, LatencySummary } from "./types";
import { signBare, signLegacy, signStandard } from "../tests/signing";

const TENANTS = Number(process.env.BENCH_INGEST_TENANTS ?? 20);
const DELIVERIES = Number(process.env.BENCH_INGEST_DELIVERIES ?? 6000);
const WARM_UP = Number(process.env.BENCH_INGEST_WARM_UP ?? 500);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONCURRENCY = 32;
const DUPLICATE_SHARE = 0.1;
const REQUEST_TIMEOUT_MS = 15_000;
const MAX_FAILURE_LINES = 20;

/** The targets. */
const MIN_THROUGHPUT_RATIO = 0.7;
const MAX_P99_MS = 50;

interface Shop {
  tenantId: string;
  publicId: string;
  secret: string;
}

interface PendingOrder {
  shop: Shop;
  id: string;
  checkoutId: string;
}

interface Delivery {
  shop: Shop;
  key: string;
  orderId: string;
  body: string;
  headers: Record<string, string>;
  duplicate: boolean;
}

interface Round {
  wallMs: number;
  rps: number;
  latency: LatencySummary;
  failures: string[];
}

export async function run(ctx: BenchContext): Promise<BenchResult[]> {
  const unique = Math.round(DELIVERIES * (1 - DUPLICATE_SHARE));
  const warmUnique = Math.round(WARM_UP * (1 - DUPLICATE_SHARE));
  ctx.log(
    `ingest: ${TENANTS} tenants, ${WARM_UP} warm-up + ${ROUNDS} × ${DELIVERIES} payment.succeeded deliveries ` +
      `(${Math.round(DUPLICATE_SHARE * 100)} % exact duplicates; schemes 60 % standard, 30 % legacy, 10 % bare) at ${CONCURRENCY} connections, ` +
      `then ${ROUNDS} × ${DELIVERIES} of the same requests to POST /api/ping`,
  );
  const shops = await setUpShops(ctx.runId);
  const pending = await addPendingOrders(shops, warmUnique + ROUNDS * unique);
  ctx.log(`ingest: ${shops.length} tenants and ${pending.length} pending orders inserted`);

  const client = createTimedClient(ctx.appUrl, { maxSockets: CONCURRENCY, timeoutMs: REQUEST_TIMEOUT_MS });
  const whopMark = ctx.whop.calls.length;
  try {
    // Warm-up: both routes, so neither pays for first compilation / connection set-up in the figures.
    const warm = buildDeliveries(pending.splice(0, warmUnique), WARM_UP);
    const warmIngest = await fire(client, warm, "ingest");
    if (warmIngest.failures.length > 0) throw new Error(`warm-up failed:\n  ${warmIngest.failures.slice(0, 10).join("\n  ")}`);
    await fire(client, warm, "ping");

    const ingestRounds: Round[] = [];
    const pingRounds: Round[] = [];
    const dbFailures: string[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      // Signed right before sending: the standard and legacy schemes allow ±300 s.
      const deliveries = buildDeliveries(pending.splice(0, unique), DELIVERIES);
      const ingest = await fire(client, deliveries, "ingest");
      dbFailures.push(...(await checkDatabase(deliveries)));
      const ping = await fire(client, deliveries, "ping");
      ingestRounds.push(ingest);
      pingRounds.push(ping);
      ctx.log(
        `ingest: round ${r + 1}/${ROUNDS}: webhook ${ingest.rps.toFixed(0)} req/s (p50 ${ingest.latency.p50} ms, p99 ${ingest.latency.p99} ms, ${ingest.failures.length} failures); ` +
          `ping ${ping.rps.toFixed(0)} req/s (p50 ${ping.latency.p50} ms, p99 ${ping.latency.p99} ms)`,
      );
    }
    const whopCalls = ctx.whop.since(whopMark).length;

    const ingestMedian = medianRound(ingestRounds);
    const pingMedian = medianRound(pingRounds);
    const ratio = ingestMedian.rps / pingMedian.rps;
    const p99s = ingestRounds.map((r) => r.latency.p99).sort((a, b) => a - b);
    const medianP99 = p99s[Math.floor(p99s.length / 2)]!;
    const perRound = {
      webhookRps: ingestRounds.map((r) => Math.round(r.rps)),
      webhookP50Ms: ingestRounds.map((r) => r.latency.p50),
      webhookP99Ms: ingestRounds.map((r) => r.latency.p99),
      pingRps: pingRounds.map((r) => Math.round(r.rps)),
      pingP99Ms: pingRounds.map((r) => r.latency.p99),
    };
    const failures = [...ingestRounds.flatMap((r) => r.failures), ...dbFailures];
    if (whopCalls > 0) failures.push(`${whopCalls} Whop calls during webhook ingestion (expected none)`);

    return [
      result("POST /api/webhooks/whop/[tenantId] (payment.succeeded)", ingestMedian, failures, {
        metrics: { ...perRound, throughputRatioToEmptyRoute: round(ratio, 3), rounds: ROUNDS },
        targets: [
          { name: "ingest throughput vs empty route", target: `≥ ${MIN_THROUGHPUT_RATIO * 100} %`, actual: `${(ratio * 100).toFixed(0)} % (${ingestMedian.rps.toFixed(0)} / ${pingMedian.rps.toFixed(0)} req/s)`, met: ratio >= MIN_THROUGHPUT_RATIO },
          { name: "ingest p99", target: `≤ ${MAX_P99_MS} ms`, actual: `${medianP99} ms (median of ${ROUNDS} runs)`, met: medianP99 <= MAX_P99_MS },
        ],
      }),
      result("POST /api/ping (empty route, same requests)", pingMedian, pingRounds.flatMap((r) => r.failures), { metrics: { rounds: ROUNDS } }),
    ];
  } finally {
    client.close();
  }
}

/** Tenants as a connected merchant leaves them: a webhook secret, one item. Straight into Postgres (no Whop involved). */
async function setUpShops(runId: string): Promise<Shop[]> {
  const keys = env().encryptionKeys;
  const shops = Array.from({ length: TENANTS }, (): Shop => ({ tenantId: newId("ten"), publicId: newPublicTenantId(), secret: `ws_${randomBase62(40)}` }));
  await db()
    .insert(tenants)
    .values(
      shops.map((shop, i) => ({
        id: shop.tenantId,
        publicId: shop.publicId,
        whopCompanyId: `biz_${randomBase62(14)}`,
        whopCompanyTitle: `Bench ingest ${runId} ${i}`,
        environment: "sandbox" as const,
        whopApiKeyCiphertext: encryptSecret(`apik_${randomBase62(30)}`, { tenantId: shop.tenantId, field: "whop_api_key" }, keys),
        whopApiKeyHint: "bnch",
        webhookSecretCiphertext: encryptSecret(shop.secret, { tenantId: shop.tenantId, field: "webhook_secret" }, keys),
        connectedAt: new Date(),
        keyVerifiedAt: new Date(),
      })),
    );
  await db()
    .insert(items)
    .values(shops.map((shop) => ({ id: itemIdOf(shop), tenantId: shop.tenantId, slug: newItemSlug(), title: "Bench ingest item", priceMinor: 2500, currency: "usd" })));
  return shops;
}

const itemIds = new Map<string, string>();
function itemIdOf(shop: Shop): string {
  let id = itemIds.get(shop.tenantId);
  if (!id) itemIds.set(shop.tenantId, (id = newId("item")));
  return id;
}

async function addPendingOrders(shops: Shop[], n: number): Promise<PendingOrder[]> {
  const pending = Array.from({ length: n }, (_, i): PendingOrder => ({ shop: shops[i % shops.length]!, id: newId("ord"), checkoutId: `ch_${randomBase62(15)}` }));
  for (let i = 0; i < pending.length; i += 2000) {
    await db()
      .insert(orders)
      .values(
        pending.slice(i, i + 2000).map((o) => ({
          id: o.id,
          tenantId: o.shop.tenantId,
          itemId: itemIdOf(o.shop),
          amountMinor: 2500,
          currency: "usd",
          attemptId: randomBase62(24),
          whopCheckoutId: o.checkoutId,
          purchaseUrl: `https://whop.com/checkout/${o.checkoutId}`,
        })),
      );
  }
  return pending;
}

/** One signed delivery per order, then exact copies (same body, same headers) of random ones up to `total`, shuffled. */
function buildDeliveries(pending: PendingOrder[], total: number): Delivery[] {
  const originals = pending.map((order, n): Delivery => {
    const msg = `msg_${randomBytes(12).toString("hex")}`;
    const body = JSON.stringify({
      id: msg,
      api_version: "v1",
      timestamp: new Date().toISOString(),
      type: "payment.succeeded",
      data: {
        id: `pay_${order.id.slice(4, 18)}`,
        status: "paid",
        substatus: "succeeded",
        total: 25,
        subtotal: 25,
        currency: "usd",
        refunded_amount: 0,
        checkout_configuration_id: order.checkoutId,
        user: { id: `user_${randomBase62(12)}`, email: `buyer${n}@example.com` },
        membership: { id: `mem_${order.id.slice(4, 18)}` },
        metadata: { order_id: order.id, tenant_id: order.shop.tenantId },
      },
    });
    const roll = n % 10;
    const headers = roll < 6 ? signStandard(order.shop.secret, body, msg) : roll < 9 ? signLegacy(order.shop.secret, body) : signBare(order.shop.secret, body);
    return { shop: order.shop, key: msg, orderId: order.id, body, headers: { ...headers, "content-type": "application/json", "user-agent": "Svix-Webhooks/1.0" }, duplicate: false };
  });
  const copies = Array.from({ length: total - originals.length }, (): Delivery => ({ ...originals[Math.floor(Math.random() * originals.length)]!, duplicate: true }));
  const all = [...originals, ...copies];
  for (let i = all.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all;
}




/**
 * Sends every delivery at CONCURRENCY connections, to the webhook route or to /api/ping, and
 * checks each answer: 200 with result applied/duplicate (webhook) or 204 (ping). Of the copies of
 * one event exactly one is applied, whichever arrives first.
 */
async function fire(client: ReturnType<typeof createTimedClient>, deliveries: Delivery[], target: "ingest" | "ping"): Promise<Round> {
  const { results, wallMs } = await runClosedLoop(deliveries.length, CONCURRENCY, (i) => {
    const d = deliveries[i]!;
    return client.post(target === "ingest" ? `/api/webhooks/whop/${d.shop.publicId}` : "/api/ping", d.headers, d.body);
  });
  const failures: string[] = [];
  const times: number[] = [];
  const applied = new Map<string, number>();
  results.forEach((res, i) => {
    const d = deliveries[i]!;
    if (res instanceof Error) {
      failures.push(`#${i} ${target}: ${res.message}`);
      return;
    }
    times.push(res.ms);
    if (target === "ping") {
      if (res.status !== 204) failures.push(`#${i} ping: expected 204, got ${res.status}`);
      return;
    }
    const outcome = resultOf(res);
    if (res.status !== 200 || (outcome !== "applied" && outcome !== "duplicate")) {
      failures.push(`#${i} ${d.duplicate ? "copy" : "delivery"} of ${d.key}: ${res.status} ${res.body.slice(0, 160)}`);
      return;
    }
    if (outcome === "applied") applied.set(d.key, (applied.get(d.key) ?? 0) + 1);
  });
  if (target === "ingest") {
    const keys = new Set(deliveries.map((d) => d.key));
    for (const key of keys) if (applied.get(key) !== 1) failures.push(`event ${key} applied ${applied.get(key) ?? 0} times (expected once)`);
  }
  return { wallMs, rps: (deliveries.length * 1000) / wallMs, latency: summarize(times), failures: trim(failures) };
}

function resultOf(res: TimedResponse): string | undefined {
  try {
    return (JSON.parse(res.body) as { result?: string }).result;
  } catch {
    return undefined;
  }
}

/** Each event recorded exactly once, its copies counted as duplicates, and its order paid. */
async function checkDatabase(deliveries: Delivery[]): Promise<string[]> {
  const keys = [...new Set(deliveries.map((d) => d.key))];
  const orderIds = [...new Set(deliveries.map((d) => d.orderId))];
  const tenantIds = [...new Set(deliveries.map((d) => d.shop.tenantId))];
  const failures: string[] = [];
  let recorded = 0;
  let duplicates = 0;
  let applied = 0;
  for (let i = 0; i < keys.length; i += 5000) {
    const [row] = await db()
      .select({
        n: count(),
        duplicates: sql<string>`coalesce(sum(${webhookEvents.duplicates}), 0)`,
        applied: sql<string>`count(*) filter (where ${webhookEvents.result} = 'applied')`,
      })
      .from(webhookEvents)
      .where(and(inArray(webhookEvents.tenantId, tenantIds), inArray(webhookEvents.eventKey, keys.slice(i, i + 5000))));
    recorded += row?.n ?? 0;
    duplicates += Number(row?.duplicates ?? 0);
    applied += Number(row?.applied ?? 0);
  }
  let paid = 0;
  for (let i = 0; i < orderIds.length; i += 5000) {
    const [row] = await db()
      .select({ n: count() })
      .from(orders)
      .where(and(inArray(orders.tenantId, tenantIds), inArray(orders.id, orderIds.slice(i, i + 5000)), eq(orders.status, "paid")));
    paid += row?.n ?? 0;
  }
  const copies = deliveries.length - keys.length;
  if (recorded !== keys.length) failures.push(`Postgres holds ${recorded} events for ${keys.length} distinct deliveries`);
  if (applied !== keys.length) failures.push(`${applied} events recorded as applied, expected ${keys.length}`);
  if (duplicates !== copies) failures.push(`duplicates counted ${duplicates}, expected ${copies}`);
  if (paid !== orderIds.length) failures.push(`${paid} of ${orderIds.length} orders paid`);
  return failures;
}

/** The run with the median throughput, so its latency figures come from the same run. */
function medianRound(rounds: Round[]): Round {
  const sorted = [...rounds].sort((a, b) => a.rps - b.rps);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function result(scenario: string, r: Round, failures: string[], extra: Pick<BenchResult, "metrics" | "targets">): BenchResult {
  const zero = { p50: 0, p99: 0, mean: 0, max: 0 };
  return {
    benchmark: "ingest",
    scenario: `${scenario}, concurrency ${CONCURRENCY}`,
    requests: DELIVERIES,
    concurrency: CONCURRENCY,
    wallMs: Math.round(r.wallMs),
    latencyMs: { total: r.latency, whop: zero, own: r.latency },
    whopCallsPerRequest: { expected: 0, min: 0, max: 0, mean: 0 },
    failures: trim(failures),
    ...extra,
  };
}

function trim(failures: string[]): string[] {
  return failures.length > MAX_FAILURE_LINES ? [...failures.slice(0, MAX_FAILURE_LINES), `… and ${failures.length - MAX_FAILURE_LINES} more`] : failures;
}
