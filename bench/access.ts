/**
 * bench/access: the merchant API's `GET /api/v1/access?item=…&email=…` for a merchant with 100k
 * memberships — token check and access answer, two Postgres round trips, no Whop call — at 32
 * connections next to the empty route under the same load, and one at a time (the app's own time
 * without queueing). Plus EXPLAIN (ANALYZE) of the token and access queries.
 */
import os from "node:os";
import { sql, type SQL } from "drizzle-orm";
import { db } from "@/db/client";
import { accessByTokenHashSql } from "@/lib/api/access";
import { hashCredential } from "@/lib/api/key-format";
import { API_SCOPES } from "@/lib/api/scopes";
import { createApiToken } from "@/lib/api/tokens";
import { ownerActor } from "@/lib/auth/actor";
import { insertUser } from "@/lib/auth/accounts";
import { insertItem } from "@/lib/items/items";
import { getTenantById } from "@/lib/tenants/queries";
import { cpuMsPerRequest, describeCpu, measureCpu } from "./support/cpu";
import { noteWindow } from "./support/profile";
import { pingRound, runLoad, type PreparedRequest } from "./support/load";
import { medianRun, noWhopResult } from "./support/results";
import { round, summarize } from "./support/stats";
import type { BenchContext, BenchResult, LatencySummary } from "./types";

const MEMBERSHIPS = Number(process.env.BENCH_ACCESS_MEMBERSHIPS ?? 100_000);
const REQUESTS = Number(process.env.BENCH_ACCESS_REQUESTS ?? 6000);
const SEQUENTIAL = Number(process.env.BENCH_ACCESS_SEQUENTIAL ?? 500);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONCURRENCY = 32;
const REQUEST_TIMEOUT_MS = 15_000;
/** Earlier (revoked) tokens in the table, so that it has the size of a service with many merchants. */
const OTHER_TOKENS = 5000;
/** Every tenth membership has ended; a tenth of the asked emails never bought. */
const UNKNOWN_SHARE = 0.1;
/** An earlier target, kept for reading the ratio: the app's own time one at a time. */
const MAX_P50_MS = 5;
/** The issue's target: at 32 connections, at least 70 % of what the empty route answers. */
const MIN_THROUGHPUT_RATIO = 0.7;

interface Ask {
  request: PreparedRequest;
  expectAccess: boolean;
}

export async function run(ctx: BenchContext): Promise<BenchResult[]> {
  ctx.log(`access: one merchant with ${MEMBERSHIPS} memberships (10 % ended); ${ROUNDS} × ${REQUESTS} GET /api/v1/access at ${CONCURRENCY} connections, ${ROUNDS} × ${SEQUENTIAL} one at a time`);
  const started = performance.now();
  const whopMark = ctx.whop.calls.length;
  const { tenantId, itemId, userId } = await generate(ctx.runId);
  const created = await createApiToken(ownerActor((await getTenantById(tenantId))!, { id: userId, email: "bench@example.com" }), "bench", API_SCOPES);
  if (!created.ok) throw new Error(created.message);
  const token = created.token;
  ctx.log(`access: data generated and analysed in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  const ask = (n: number): Ask => {
    const buyer = n <= MEMBERSHIPS ? n : MEMBERSHIPS + n; // beyond MEMBERSHIPS: never bought
    return {
      request: {
        method: "GET",
        path: `/api/v1/access?${new URLSearchParams({ item: itemId, email: `buyer${buyer}@access.example` })}`,
        headers: { authorization: `Bearer ${token}`, "user-agent": "whop-connector-bench" },
      },
      expectAccess: buyer <= MEMBERSHIPS && buyer % 10 !== 0,
    };
  };
  const asks = (count: number) => Array.from({ length: count }, () => ask(Math.random() < UNKNOWN_SHARE ? MEMBERSHIPS + 1 : 1 + Math.floor(Math.random() * MEMBERSHIPS)));

  // Warm-up: both routes, so neither pays for first compilation or connection set-up in the figures.
  const warm = await fire(ctx.appUrl, asks(500), CONCURRENCY);
  if (warm.failures.length > 0) throw new Error(`access warm-up failed:\n  ${warm.failures.slice(0, 10).join("\n  ")}`);
  await pingRound(ctx.appUrl, 500, CONCURRENCY, { timeoutMs: REQUEST_TIMEOUT_MS });

  const loaded: Round[] = [];
  const ceiling: Round[] = [];
  const alone: Round[] = [];
  const cores = os.availableParallelism();
  for (let r = 0; r < ROUNDS; r++) {
    const accessCpu = measureCpu([ctx.appPgid], cores);
    loaded.push(await fire(ctx.appUrl, asks(REQUESTS), CONCURRENCY));
    const accessShare = accessCpu();
    noteWindow("access @32", accessShare, REQUESTS);
    const pingCpu = measureCpu([ctx.appPgid], cores);
    ceiling.push(await pingRound(ctx.appUrl, REQUESTS, CONCURRENCY, { timeoutMs: REQUEST_TIMEOUT_MS }));
    const pingShare = pingCpu();
    noteWindow("ping @32 (access's)", pingShare, REQUESTS);
    alone.push(await fire(ctx.appUrl, asks(SEQUENTIAL), 1));
    const l = loaded[r]!;
    ctx.log(
      `access: run ${r + 1}/${ROUNDS}: ${l.rps} req/s, p50 ${l.latency.p50} ms, p99 ${l.latency.p99} ms at ${CONCURRENCY}; empty route ${ceiling[r]!.rps} req/s; one at a time p50 ${alone[r]!.latency.p50} ms; ` +
        `CPU per request: app ${cpuMsPerRequest(accessShare.apps[0]!, accessShare, REQUESTS)} ms, postgres ${cpuMsPerRequest(accessShare.postgres, accessShare, REQUESTS)} ms (cores: ${describeCpu(accessShare, ["app"])}); ` +
        `per ping: app ${cpuMsPerRequest(pingShare.apps[0]!, pingShare, REQUESTS)} ms`,
    );
  }

  const l = medianRun(loaded, (x) => x.latency.p50);
  const c = medianRun(ceiling, (x) => x.rps);
  const a = medianRun(alone, (x) => x.latency.p50);
  const plans = await explainQueries(itemId, token);
  for (const plan of plans) {
    ctx.log(`access: EXPLAIN ${plan.label}: ${plan.seqScans.length > 0 ? `SEQ SCAN on ${plan.seqScans.join(", ")}` : `index only (${plan.indexes.join(", ")})`}, ${plan.executionMs} ms`);
  }
  const seqScans = plans.flatMap((p) => p.seqScans.map((table) => `${p.label}: ${table}`));

  const result = (scenario: string, round: Round, concurrency: number, extra: Partial<Parameters<typeof noWhopResult>[0]>): BenchResult =>
    noWhopResult({ benchmark: "access", scenario, requests: round.requests, concurrency, wallMs: round.wallMs, latency: round.latency, failures: round.failures, ...extra });
  const whopCalls = ctx.whop.since(whopMark).length;
  return [
    result(`GET /api/v1/access, ${MEMBERSHIPS} memberships, ${CONCURRENCY} connections`, l, CONCURRENCY, {
      failures: [...l.failures, ...(whopCalls > 0 ? [`${whopCalls} Whop calls during the access benchmark (expected none)`] : [])],
      metrics: {
        rps: l.rps,
        emptyRouteRps: c.rps,
        throughputRatio: round(l.rps / c.rps),
        p50PerRunMs: loaded.map((x) => x.latency.p50),
        rpsPerRun: loaded.map((x) => x.rps),
        ...Object.fromEntries(plans.map((p) => [`EXPLAIN ${p.label}`, `${p.executionMs} ms; ${p.seqScans.length > 0 ? `Seq Scan on ${p.seqScans.join(", ")}` : p.indexes.join(", ")}`])),
      },
      targets: [
        {
          name: `access throughput vs empty route @${CONCURRENCY}`,
          target: `≥ ${MIN_THROUGHPUT_RATIO * 100} %`,
          actual: `${Math.round((100 * l.rps) / c.rps)} % (${l.rps} / ${c.rps} req/s; p50 ${l.latency.p50} ms, median of ${ROUNDS} runs)`,
          met: l.rps >= MIN_THROUGHPUT_RATIO * c.rps,
        },
        { name: "access queries use indexes", target: "no Seq Scan", actual: seqScans.length === 0 ? "none" : seqScans.join("; "), met: seqScans.length === 0 },
      ],
    }),
    result(`GET /api/ping (empty route), same load`, c, CONCURRENCY, { metrics: { rps: c.rps, rpsPerRun: ceiling.map((x) => x.rps) } }),
    result(`GET /api/v1/access one at a time`, a, 1, {
      metrics: { p50PerRunMs: alone.map((x) => x.latency.p50) },
      // Not the issue's target (that is at 32 connections): the app's own time without queueing, for reading the one above.
      targets: [{ name: "access p50 one at a time (no queueing)", target: `≤ ${MAX_P50_MS} ms`, actual: `${a.latency.p50} ms (median of ${ROUNDS} runs)`, met: a.latency.p50 <= MAX_P50_MS }],
    }),
  ];
}

interface Round {
  requests: number;
  wallMs: number;
  rps: number;
  latency: LatencySummary;
  failures: string[];
}

async function fire(appUrl: string, list: Ask[], connections: number): Promise<Round> {
  const load = await runLoad([{ url: appUrl, requests: list.map((a) => a.request), connections }], { timeoutMs: REQUEST_TIMEOUT_MS });
  const times: number[] = [];
  const failures: string[] = [];
  load.responses[0]!.forEach((answer, i) => {
    if (answer instanceof Error) return void failures.push(`${list[i]!.request.path}: ${answer.message}`);
    times.push(answer.ms);
    if (answer.status !== 200) return void failures.push(`${list[i]!.request.path}: ${answer.status} ${answer.body.slice(0, 120)}`);
    const body = JSON.parse(answer.body) as { access?: boolean };
    if (body.access !== list[i]!.expectAccess) failures.push(`${list[i]!.request.path}: access ${body.access}, expected ${list[i]!.expectAccess}`);
  });
  return { requests: list.length, wallMs: load.wallMs, rps: Math.round((list.length / load.wallMs) * 1000), latency: summarize(times), failures: [...new Set(failures)] };
}


/**
 * Straight into Postgres: one tenant, one item, MEMBERSHIPS paid orders whose memberships Whop
 * reported (every tenth ended), each with a buyer email, Whop user and hashed license key, and
 * OTHER_TOKENS other tokens; ANALYZE.
 */
async function generate(runId: string): Promise<{ tenantId: string; itemId: string; userId: string }> {
  const prefix = `ba${runId}`;
  const tenantId = `ten_${prefix}`;
  const userId = `usr_${prefix}`;
  const itemId = `item_${`${prefix}${"0".repeat(20)}`.slice(0, 20)}`;
  await db().execute(sql`insert into accounts (id) values (${`acc_${prefix}`})`);
  await db().execute(sql`
    insert into tenants (id, account_id, public_id, whop_company_id, whop_company_title, environment, connected_at, key_verified_at)
    values (${tenantId}, ${`acc_${prefix}`}, ${`wh_${prefix}`}, ${`biz_${prefix}`}, 'Bench access', 'live', now(), now())`);
  await db().execute(sql`insert into account_tenants (account_id, environment, tenant_id) values (${`acc_${prefix}`}, 'live', ${tenantId})`);
  await db().execute(sql`insert into tenant_public_ids (public_id, tenant_id) values (${`wh_${prefix}`}, ${tenantId})`);
  await db().transaction((tx) => insertUser(tx, { id: userId, email: `bench-${runId}-access@example.com`, passwordHash: "not a hash: nobody signs in" }));
  await db().transaction((tx) =>
    insertItem(tx, { id: itemId, tenantId, slug: `${prefix}slug`.padEnd(16, "0").slice(0, 16), title: "Bench course", priceMinor: 2500, currency: "usd" }),
  );
  await db().execute(sql`
    insert into orders (id, tenant_id, item_id, status, amount_minor, currency, attempt_id, whop_payment_id, whop_membership_id, whop_user_id,
                        buyer_email, membership_valid, membership_status, license_key_hash, license_key_hint, paid_at, created_at, updated_at)
    select 'ord_' || ${prefix} || '_' || g, ${tenantId}, ${itemId}, 'paid', 2500, 'usd', md5(g::text),
           'pay_' || substr(md5('pay' || g::text), 1, 14), 'mem_' || substr(md5('mem' || g::text), 1, 14), 'user_' || substr(md5('user' || g::text), 1, 10),
           'buyer' || g || '@access.example', g % 10 <> 0, case when g % 10 <> 0 then 'active' else 'canceled' end,
           encode(sha256(('LIC-' || ${prefix} || '-' || g)::bytea), 'hex'), right(g::text, 4),
           now() - g * interval '1 second', now() - g * interval '1 second', now()
    from generate_series(1, ${MEMBERSHIPS}) g`);
  // The token lookup should meet a table of realistic size (a handful of rows would rightly be read whole).
  await db().execute(sql`
    insert into api_tokens (id, tenant_id, name, token_hash, token_hint, created_at, revoked_at)
    select 'tok_' || ${prefix} || '_' || g, ${tenantId}, 'old app ' || g, encode(sha256((${prefix} || g)::text::bytea), 'hex'), right(g::text, 4), now(), now()
    from generate_series(1, ${OTHER_TOKENS}) g`);
  await db().execute(sql`insert into api_token_hashes (token_hash, tenant_id, token_id) select token_hash, tenant_id, id from api_tokens where tenant_id = ${tenantId}`);
  await db().execute(sql`analyze tenants, items, orders, api_tokens, api_token_hashes`);
  return { tenantId, itemId, userId };
}

interface Plan {
  label: string;
  executionMs: number;
  seqScans: string[];
  indexes: string[];
}

/** The two queries behind one access answer, from the app's own builders. */
async function explainQueries(itemId: string, token: string): Promise<Plan[]> {
  return [
    // The route's one statement: the token, the item and the buyer's orders.
    await explain("token + access by email", accessByTokenHashSql(hashCredential(token), { item: itemId, email: "buyer4242@access.example" })),
  ];
}

async function explain(label: string, query: SQL): Promise<Plan> {
  const rows = (await db().execute(sql`explain (analyze, buffers) ${query}`)) as unknown as Record<string, string>[];
  const lines = rows.map((row) => row["QUERY PLAN"] ?? Object.values(row)[0] ?? "");
  const seqScans = lines.flatMap((line) => /Seq Scan on (\w+)/.exec(line)?.[1] ?? []).filter((table) => ["orders", "api_tokens", "api_token_hashes"].includes(table));
  const indexes = [...new Set(lines.flatMap((line) => /Index (?:Only )?Scan(?: Backward)? using (\w+)/.exec(line)?.[1] ?? []))];
  const executionMs = Number(/Execution Time: ([\d.]+) ms/.exec(lines.join("\n"))?.[1] ?? Number.NaN);
  return { label, executionMs, seqScans, indexes };
}
