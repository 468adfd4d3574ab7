/**
 * `npm run test:load`: the production build on the Postgres DATABASE_URL names, flooded with
 * webhook deliveries the way Whop sends them (and worse), then with buyers while the Whop sandbox
 * fails. Each order gets payments and a random mix of refunds (pending → succeeded, partial or full;
 * pending → failed; left pending) and disputes (won, lost, left open), its events shuffled and
 * each replayed, under all three signature schemes. Midway the app's Postgres connections are
 * killed, and later the app itself (SIGKILL, then started again) with events answered but not yet
 * applied; `npm run worker` runs throughout, as in production, and its sweep applies those. Proves
 * that nothing acknowledged is lost, nothing is counted twice, every order and ledger row ends as
 * its events imply, forged deliveries leave no trace, and buyers get the right answers. Bounded:
 * exits by itself (non-zero on any violation) within a few minutes. Sizes: LOAD_DELIVERIES
 * (default 20000), LOAD_TENANTS (50); LOAD_BURSTS (0.15): the share of orders whose deliveries are
 * sent back to back; LOAD_INSTANCES (1): app instances sharing the database, the deliveries spread
 * round-robin over them (the crash hits the first). Whatever DATABASE_URL and DATABASE_POOLER say
 * goes for the app, the worker and the test alike (CI runs it through PgBouncer).
 */
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import { and, eq, inArray, sql } from "drizzle-orm";
import { freePort, runCommand, startApp, type AppProcess } from "../../bench/support/app";
import { spawnWorker } from "../../bench/support/outbound";
import { startWhopSandbox, type WhopSandbox } from "../../sandbox/server";
import { signBare, signLegacy, signStandard } from "../signing";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const DELIVERIES = Number(process.env.LOAD_DELIVERIES ?? 20_000);
const TENANTS = Number(process.env.LOAD_TENANTS ?? 50);
const BURSTS = Number(process.env.LOAD_BURSTS ?? 0.15);
const CONCURRENCY = 32;
const INSTANCES = Math.max(1, Number(process.env.LOAD_INSTANCES ?? 1));
/** Whop retries after 10 s, 20 s and 40 s; compressed a hundredfold. */
const RETRY_DELAYS_MS = [100, 200, 400];
const WATCHDOG_MS = 8 * 60_000;

type Kind = "valid" | "duplicate" | "forged" | "malformed";

interface Outcome {
  status: number;
  attempts: number;
  /** 5xx answers seen, and whether each fell inside the fault window. */
  serverErrors: { status: number; sentAt: number; at: number }[];
}

const problems: string[] = [];
const check = (ok: boolean, message: string) => {
  if (!ok) problems.push(message);
};
const log = (line: string) => console.log(`load: ${line}`);

function preflight(): string {
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl || !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    console.error("load: DATABASE_URL must name a real Postgres database, e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/load npm run test:load");
    process.exit(1);
  }
  if (!fs.existsSync(path.join(ROOT, ".next", "BUILD_ID"))) {
    console.error("load: no production build in .next/: run `npm run build` first");
    process.exit(1);
  }
  return databaseUrl;
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const databaseUrl = preflight();
  const runId = randomBytes(3).toString("hex");
  let sandbox: WhopSandbox | undefined;
  const apps: AppProcess[] = [];
  let worker: ReturnType<typeof spawnWorker> | undefined;
  const cleanUp = async () => {
    await Promise.all(apps.map((app) => app.stop()));
    if (worker?.pid && worker.exitCode === null) {
      const exited = new Promise((resolve) => worker!.once("exit", resolve));
      process.kill(-worker.pid, "SIGTERM");
      await exited;
    }
    await sandbox?.close();
    const { closeDatabase } = await import("@/db/client");
    await closeDatabase();
  };
  setTimeout(() => {
    console.error(`load: still running after ${WATCHDOG_MS / 60_000} minutes; stopping`);
    void cleanUp().finally(() => process.exit(1));
  }, WATCHDOG_MS).unref();

  try {
    sandbox = await startWhopSandbox({ port: 0, timeScale: 0.01 });
    const port = await freePort();
    const config = {
      NODE_ENV: "production" as const,
      NEXT_TELEMETRY_DISABLED: "1",
      DATABASE_URL: databaseUrl,
      APP_URL: `http://127.0.0.1:${port}`,
      WHOP_API_ORIGIN: sandbox.url,
      WHOP_SANDBOX_API_ORIGIN: sandbox.url,
      SESSION_SECRET: randomBytes(32).toString("base64url"),
      ENCRYPTION_KEYS: `load:${randomBytes(32).toString("base64")}`,
      LOG_LEVEL: "fatal",
      // Required in production. The sign-ups' mail is queued and the worker's attempts fail (nothing
      // listens on that port) and are retried later: no mail leaves this test.
      SMTP_URL: `smtp://127.0.0.1:${await freePort()}`,
      EMAIL_FROM: "Whop Connector <no-reply@localhost>",
    };
    Object.assign(process.env, config);
    (await import("@/lib/env")).resetEnvCache();
    const appEnv = { ...process.env, ...config };
    await runCommand("npm", ["run", "-s", "db:migrate"], appEnv, 120_000);
    const ports = [port, ...(await Promise.all(Array.from({ length: INSTANCES - 1 }, () => freePort())))];
    apps.push(...(await Promise.all(ports.map((p) => startApp(appEnv, { port: p, readyTimeoutMs: 60_000, log: () => {} })))));
    worker = spawnWorker(appEnv);
    log(`app on ${apps.map((app) => app.url).join(", ")}${process.env.DATABASE_POOLER ? ` (through a ${process.env.DATABASE_POOLER}-mode pooler)` : ""}, sandbox ${sandbox.url}, worker pid ${worker.pid}, run ${runId}`);

    // The crash: SIGKILL to the first app's whole process group, then `next start` again on the same port.
    const crashAndRestart = async () => {
      process.kill(-apps[0]!.pgid, "SIGKILL");
      apps[0] = await startApp(appEnv, { port, readyTimeoutMs: 60_000, log: () => {} });
    };
    await webhookFlood(apps.map((app) => app.url), runId, crashAndRestart);
    await checkoutsUnderWhopFaults(apps[0]!.url, sandbox, runId);
  } catch (error) {
    problems.push(`crashed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    for (const app of apps) console.error(app.tail().slice(-20).join("\n"));
  }
  await cleanUp();

  if (problems.length > 0) {
    console.error(`\nload: FAILED (${problems.length} problem(s)):\n  ${problems.slice(0, 40).join("\n  ")}`);
    console.log("0 passed, 1 failed");
    process.exit(1);
  }
  console.log("\nload: every check passed");
  console.log("1 passed, 0 failed");
  process.exit(0);
}

// ---------------------------------------------------------------------------------------------
// 1. Webhook flood with a database fault in the middle

type Scheme = "standard" | "legacy" | "bare";
type RefundPath = "succeeded" | "failed" | "pending";
type DisputeOutcome = "won" | "lost" | "open";

/** A refund as Whop lives it: created `pending`, then `refund.updated` to its end (or never). */
interface RefundPlan {
  id: string;
  amountMinor: number;
  path: RefundPath;
}

/** A dispute: `dispute.created` (needs_response), then `dispute.updated` with each later status. */
interface DisputePlan {
  id: string;
  amountMinor: number;
  outcome: DisputeOutcome;
  /** Whop's statuses in lifecycle order, one event each. */
  statuses: string[];
}

interface OrderPlan {
  id: string;
  checkoutId: string;
  paymentId: string;
  membershipId: string;
  amountMinor: number;
  failedFirst: boolean;
  refunds: RefundPlan[];
  disputes: DisputePlan[];
}

interface Shop {
  tenantId: string;
  publicId: string;
  secret: string;
  orders: OrderPlan[];
}

/** One event as Whop would send it, and the key it must be recorded under. */
interface SentEvent {
  shop: Shop;
  type: string;
  body: string;
  scheme: Scheme;
  /** The `webhook-id` of a Standard delivery: Whop's retries keep it. */
  webhookId: string | null;
  key: string;
}

interface Delivery {
  kind: Kind;
  tenantPublicId: string;
  body: string;
  /** Signed per attempt, as Whop does: Standard and legacy signatures expire after 5 minutes. */
  headers: () => Record<string, string>;
  /** The event a valid or duplicate delivery carries. */
  event?: SentEvent;
  /** The key a forged delivery would have been recorded under, had it been accepted. */
  forgedKey?: string;
}

const ORDER_MINOR = 2500;
/** Mean events per order of the mix below (payment, membership, refunds, disputes). */
const EVENTS_PER_ORDER = 4;

const hex = (bytes: number) => randomBytes(bytes).toString("hex");
const messageId = () => `msg_${hex(12)}`;
const between = (min: number, max: number) => min + Math.floor(Math.random() * (max - min + 1));

/** The mix: half the orders get one or two refunds (to succeed, fail or stay pending), a quarter a dispute. */
function planOrder(id: string, checkoutId: string): OrderPlan {
  const refunds: RefundPlan[] = [];
  const roll = Math.random();
  const refundCount = roll < 0.45 ? 0 : roll < 0.8 ? 1 : 2;
  let refundable = ORDER_MINOR;
  for (let i = 0; i < refundCount; i++) {
    const r = Math.random();
    let path: RefundPath = r < 0.45 ? "succeeded" : r < 0.7 ? "failed" : "pending";
    if (path === "succeeded" && refundable === 0) path = "failed";
    // A succeeded refund is partial (some of what is left) or takes everything left.
    const amountMinor = path === "succeeded" ? (refundable > 100 && Math.random() < 0.6 ? between(100, refundable - 1) : refundable) : between(100, ORDER_MINOR);
    if (path === "succeeded") refundable -= amountMinor;
    refunds.push({ id: `rfnd_${hex(8)}`, amountMinor, path });
  }
  const disputes: DisputePlan[] = [];
  if (Math.random() < 0.28) {
    const d = Math.random();
    const outcome: DisputeOutcome = d < 1 / 3 ? "won" : d < 2 / 3 ? "lost" : "open";
    const reviewed = Math.random() < 0.5 ? ["under_review"] : [];
    const statuses = ["needs_response", ...reviewed, ...(outcome === "open" ? [] : [outcome])];
    disputes.push({ id: `dspt_${hex(8)}`, amountMinor: ORDER_MINOR, outcome, statuses });
  }
  const tail = id.slice(4, 18);
  return { id, checkoutId, paymentId: `pay_${tail}`, membershipId: `mem_${tail}`, amountMinor: ORDER_MINOR, failedFirst: Math.random() < 0.1, refunds, disputes };
}

async function setUpShops(runId: string, ordersPerShop: number): Promise<Shop[]> {
  const { db } = await import("@/db/client");
  const { orders, tenants } = await import("@/db/schema");
  const { signUp } = await import("@/lib/auth/accounts");
  const { insertItem } = await import("@/lib/items/items");
  const { encryptSecret } = await import("@/lib/crypto/secrets");
  const { env } = await import("@/lib/env");
  const { newId, newItemSlug, randomBase62 } = await import("@/lib/ids");

  const shops: Shop[] = [];
  for (let t = 0; t < TENANTS; t++) {
    const account = await signUp({ email: `load-${runId}-${t}@example.com`, password: "load test password", ip: null });
    if (!account.ok) throw new Error("sign-up failed");
    const tenantId = account.tenant.id;
    const secret = `ws_${randomBase62(40)}`;
    await db()
      .update(tenants)
      .set({
        whopCompanyId: `biz_${randomBase62(14)}`,
        whopCompanyTitle: `Load ${t}`,
        whopApiKeyCiphertext: encryptSecret(`apik_${randomBase62(30)}`, { tenantId, field: "whop_api_key" }, env().encryptionKeys),
        whopApiKeyHint: "load",
        webhookSecretCiphertext: encryptSecret(secret, { tenantId, field: "webhook_secret" }, env().encryptionKeys),
      })
      .where(eq(tenants.id, tenantId));
    const itemId = newId("item");
    await db().transaction((tx) => insertItem(tx, { id: itemId, tenantId, slug: newItemSlug(), title: "Load item", priceMinor: ORDER_MINOR, currency: "usd" }));
    const shopOrders = Array.from({ length: ordersPerShop }, () => planOrder(newId("ord"), `ch_${randomBase62(15)}`));
    await db()
      .insert(orders)
      .values(shopOrders.map((o) => ({ id: o.id, tenantId, itemId, amountMinor: o.amountMinor, currency: "usd", attemptId: randomBase62(24), whopCheckoutId: o.checkoutId })));
    shops.push({ tenantId, publicId: account.tenant.publicId, secret, orders: shopOrders });
  }
  return shops;
}

const major = (minor: number) => minor / 100;

/** v1 payloads. A Refund's embedded payment has no status, substatus or refunded_amount; a Dispute's has no metadata. */
function refundData(shop: Shop, order: OrderPlan, refund: Pick<RefundPlan, "id" | "amountMinor">, status: string) {
  return {
    id: refund.id,
    amount: major(refund.amountMinor),
    currency: "usd",
    status,
    created_at: new Date().toISOString(),
    payment: { id: order.paymentId, total: major(order.amountMinor), subtotal: major(order.amountMinor), usd_total: major(order.amountMinor), currency: "usd", metadata: { order_id: order.id, tenant_id: shop.tenantId } },
  };
}

function disputeData(order: OrderPlan, dispute: Pick<DisputePlan, "id" | "amountMinor">, status: string) {
  return {
    id: dispute.id,
    status,
    amount: major(dispute.amountMinor),
    currency: "usd",
    reason: "fraudulent",
    needs_response_by: new Date(Date.now() + 7 * 86_400_000).toISOString(),
    payment: { id: order.paymentId, total: major(order.amountMinor), currency: "usd" },
  };
}

function paymentData(shop: Shop, order: OrderPlan, n: number, extra: Record<string, unknown> = {}) {
  return {
    id: order.paymentId,
    status: "paid",
    substatus: "succeeded",
    total: major(order.amountMinor),
    subtotal: major(order.amountMinor),
    currency: "usd",
    refunded_amount: 0,
    billing_reason: "one_time",
    checkout_configuration_id: order.checkoutId,
    user: { id: "user_load", email: `buyer${n}@example.com` },
    membership: { id: order.membershipId, status: "active" },
    metadata: { order_id: order.id, tenant_id: shop.tenantId },
    ...extra,
  };
}

/** Every event Whop sends about one order, in lifecycle order (they are sent shuffled). */
function eventsOf(shop: Shop, order: OrderPlan, n: number): { type: string; data: unknown }[] {
  const events: { type: string; data: unknown }[] = [
    { type: "payment.succeeded", data: paymentData(shop, order, n) },
    { type: "membership.activated", data: { id: order.membershipId, status: "active", checkout_configuration_id: order.checkoutId, metadata: { order_id: order.id } } },
  ];
  if (order.failedFirst) events.push({ type: "payment.failed", data: paymentData(shop, order, n, { status: "open", substatus: "failed" }) });
  for (const refund of order.refunds) {
    events.push({ type: "refund.created", data: refundData(shop, order, refund, "pending") });
    if (refund.path !== "pending") events.push({ type: "refund.updated", data: refundData(shop, order, refund, refund.path) });
  }
  for (const dispute of order.disputes) {
    dispute.statuses.forEach((status, i) => events.push({ type: i === 0 ? "dispute.created" : "dispute.updated", data: disputeData(order, dispute, status) }));
  }
  return events;
}

/**
 * Wraps an event in its v1 envelope under one of the three schemes, and says which key it must be
 * recorded under: the `webhook-id` under Standard Webhooks, else the body's id, else a digest of
 * the body (a tenth of the bodies carry no id).
 */
function sendable(shop: Shop, type: string, data: unknown): SentEvent {
  const bodyId = Math.random() < 0.1 ? null : messageId();
  const body = JSON.stringify({ ...(bodyId ? { id: bodyId } : {}), api_version: "v1", timestamp: new Date().toISOString(), type, data });
  const roll = Math.random();
  const scheme: Scheme = roll < 0.5 ? "standard" : roll < 0.8 ? "legacy" : "bare";
  // Under Standard the header wins even when it is not the body's id.
  const webhookId = scheme === "standard" ? (bodyId && Math.random() < 0.5 ? bodyId : messageId()) : null;
  const key = webhookId ?? bodyId ?? `sha256:${createHash("sha256").update(body).digest("hex")}`;
  return { shop, type, body, scheme, webhookId, key };
}

/**
 * The headers of one copy of an event. A Standard replay keeps its `webhook-id`; a legacy or bare
 * copy may carry any `webhook-id` (those signatures do not cover it): a replay always carries a
 * fresh one, which must not make it a new event.
 */
function signer(event: SentEvent, copy: "original" | "replay"): () => Record<string, string> {
  const { secret } = event.shop;
  if (event.scheme === "standard") return () => signStandard(secret, event.body, event.webhookId!);
  const stray: Record<string, string> = copy === "replay" || Math.random() < 0.5 ? { "webhook-id": messageId() } : {};
  if (event.scheme === "legacy") return () => ({ ...signLegacy(secret, event.body), ...stray });
  return () => ({ ...signBare(secret, event.body), ...stray });
}

function signWith(scheme: Scheme, secret: string, body: string, id: string): Record<string, string> {
  return scheme === "standard" ? signStandard(secret, body, id) : scheme === "legacy" ? signLegacy(secret, body) : signBare(secret, body);
}

const SCHEMES: Scheme[] = ["standard", "legacy", "bare"];

function buildDeliveries(shops: Shop[]): { deliveries: Delivery[]; events: SentEvent[]; bursts: number } {
  const events: SentEvent[] = [];
  const groups: Delivery[][] = [];
  let n = 0;
  for (const shop of shops) {
    for (const order of shop.orders) {
      const group: Delivery[] = [];
      for (const { type, data } of eventsOf(shop, order, n++)) {
        const event = sendable(shop, type, data);
        events.push(event);
        group.push({ kind: "valid", tenantPublicId: shop.publicId, body: event.body, headers: signer(event, "original"), event });
        group.push({ kind: "duplicate", tenantPublicId: shop.publicId, body: event.body, headers: signer(event, "replay"), event });
      }
      groups.push(group);
    }
  }
  const replay = (event: SentEvent): Delivery => ({ kind: "duplicate", tenantPublicId: event.shop.publicId, body: event.body, headers: signer(event, "replay"), event });
  const extraReplays = Array.from({ length: Math.round(DELIVERIES * 0.05) }, () => replay(events[Math.floor(Math.random() * events.length)]!));

  const pick = () => shops[Math.floor(Math.random() * shops.length)]!;
  // Forgeries that would change an order if accepted: a payment, a full refund, a lost dispute, or
  // a real event's body altered after Whop signed it.
  const forged = Array.from({ length: Math.round(DELIVERIES * 0.1) }, (_, i): Delivery => {
    const shop = pick();
    const order = shop.orders[i % shop.orders.length]!;
    const scheme = SCHEMES[i % 3]!;
    const msg = `msg_forged${hex(8)}`;
    if (i % 4 === 3) {
      const real = events[Math.floor(Math.random() * events.length)]!;
      const payload = JSON.parse(real.body) as { data: Record<string, unknown> };
      const body = JSON.stringify({ ...payload, data: { ...payload.data, amount: 999, total: 999, status: "succeeded" } });
      return { kind: "forged", tenantPublicId: real.shop.publicId, body, headers: () => signWith(real.scheme, real.shop.secret, real.body, real.webhookId ?? msg) };
    }
    const [type, data] =
      i % 4 === 0
        ? ["payment.succeeded", { id: "pay_forged", total: 25, currency: "usd", metadata: { order_id: order.id } }]
        : i % 4 === 1
          ? ["refund.updated", refundData(shop, order, { id: `rfnd_forged${hex(6)}`, amountMinor: ORDER_MINOR }, "succeeded")]
          : ["dispute.updated", disputeData(order, { id: `dspt_forged${hex(6)}`, amountMinor: ORDER_MINOR }, "lost")];
    const body = JSON.stringify({ id: msg, api_version: "v1", timestamp: new Date().toISOString(), type, data });
    const wrongSecret = `ws_${hex(20)}`;
    return { kind: "forged", tenantPublicId: shop.publicId, body, headers: () => signWith(scheme, wrongSecret, body, msg), forgedKey: msg };
  });
  const malformed = Array.from({ length: Math.round(DELIVERIES * 0.05) }, (_, i): Delivery => {
    const shop = pick();
    const body = i % 2 === 0 ? `{"type": "refund.created", "data": ${hex(4)}` : JSON.stringify({ data: { id: "x" } });
    return { kind: "malformed", tenantPublicId: shop.publicId, body, headers: () => signWith(SCHEMES[i % 3]!, shop.secret, body, `msg_bad${i}`) };
  });

  // Most orders' deliveries are scattered through the whole flood; some orders arrive as a burst
  // (their deliveries back to back, shuffled), so that concurrent senders race one order's
  // payment, refunds, disputes and replays against each other.
  const burst = groups.filter(() => Math.random() < BURSTS);
  const bursting = new Set(burst);
  const deliveries = shuffle([...groups.filter((g) => !bursting.has(g)).flat(), ...extraReplays, ...forged, ...malformed]);
  for (const group of burst) deliveries.splice(Math.floor(Math.random() * (deliveries.length + 1)), 0, ...shuffle(group));
  return { deliveries, events, bursts: burst.length };
}

// Idle sockets are closed here after 4 s, well before the app's keep-alive timeout (65 s) would
// close them under a request just being sent (a dropped connection no fault caused). With several
// instances, or one down after its crash, a socket may sit idle that long.
const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY, timeout: 4_000 });

const latencies: number[] = [];

function post(baseUrl: string, delivery: Delivery): Promise<number> {
  const url = new URL(`/api/webhooks/whop/${delivery.tenantPublicId}`, baseUrl);
  const sentAt = performance.now();
  return new Promise<number>((resolve) => {
    const req = http.request(
      { host: url.hostname, port: url.port, path: url.pathname, method: "POST", agent, headers: { "content-type": "application/json", ...delivery.headers() } },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
        // Cut short mid-answer (the crash): no "end" ever comes, and it is a dropped connection too.
        res.on("error", () => resolve(0));
      },
    );
    req.setTimeout(10_000, () => req.destroy());
    req.on("error", () => resolve(0)); // a dropped connection: Whop would retry
    req.end(delivery.body);
  }).then((status) => {
    latencies.push(performance.now() - sentAt);
    return status;
  });
}

function tally<T>(values: T[]): Record<string, number> {
  return values.reduce<Record<string, number>>((acc, v) => ({ ...acc, [String(v)]: (acc[String(v)] ?? 0) + 1 }), {});
}

/** Events of these tenants recorded (answered) but not applied yet. */
async function unappliedEvents(tenantIds: string[]): Promise<number> {
  const { db } = await import("@/db/client");
  const { webhookEvents } = await import("@/db/schema");
  const { count, isNull } = await import("drizzle-orm");
  const [row] = await db()
    .select({ n: count() })
    .from(webhookEvents)
    .where(and(inArray(webhookEvents.tenantId, tenantIds), isNull(webhookEvents.appliedAt)));
  return row?.n ?? 0;
}

async function webhookFlood(appUrls: string[], runId: string, crashAndRestart: () => Promise<void>): Promise<void> {
  // ~40% of the deliveries are unique valid events and ~45% replays of them.
  const ordersPerShop = Math.max(1, Math.round((DELIVERIES * 0.4) / EVENTS_PER_ORDER / TENANTS));
  const shops = await setUpShops(runId, ordersPerShop);
  const { deliveries, events, bursts } = buildDeliveries(shops);
  const plans = shops.flatMap((s) => s.orders);
  const refunds = plans.flatMap((o) => o.refunds);
  const disputes = plans.flatMap((o) => o.disputes);
  log(
    `webhooks: ${deliveries.length} deliveries (${JSON.stringify(tally(deliveries.map((d) => d.kind)))}) of ${events.length} unique events ` +
      `(schemes ${JSON.stringify(tally(events.map((e) => e.scheme)))}; ${events.filter((e) => !e.key.startsWith("msg_")).length} keyed by body digest) ` +
      `to ${shops.length} tenants, ${plans.length} orders (${bursts} sent as bursts), shuffled`,
  );
  log(
    `webhooks: scenario: refunds ${JSON.stringify(tally(refunds.map((r) => (r.path === "succeeded" ? (r.amountMinor === ORDER_MINOR ? "succeeded_full" : "succeeded_partial") : r.path))))}, ` +
      `disputes ${JSON.stringify(tally(disputes.map((d) => d.outcome)))}, expected orders ${JSON.stringify(tally(plans.map((o) => expectOrder(o).status)))}`,
  );

  // The faults' spans in ms since the start; a request whose flight overlaps one belongs to it.
  const fault = { from: Infinity, to: Infinity };
  const crash = { from: Infinity, to: Infinity };
  const tenantIds = shops.map((s) => s.tenantId);
  const outcomes = new Map<Delivery, Outcome>();
  let next = 0;
  let done = 0;
  const faultAt = Math.floor(deliveries.length * 0.4);
  const crashAt = Math.floor(deliveries.length * 0.7);
  let restarting: Promise<void> | undefined;
  let sent = 0;
  let caughtUnapplied = -1;
  const started = Date.now();

  async function sendWithRetries(delivery: Delivery): Promise<void> {
    const outcome: Outcome = { status: 0, attempts: 0, serverErrors: [] };
    for (let attempt = 0; ; attempt++) {
      outcome.attempts++;
      const sentAt = Date.now() - started;
      // Round-robin over the instances, as a load balancer would; a retry may land on another one.
      outcome.status = await post(appUrls[(sent++) % appUrls.length]!, delivery);
      if (outcome.status >= 500 || outcome.status === 0) outcome.serverErrors.push({ status: outcome.status, sentAt, at: Date.now() - started });
      const retryable = outcome.status >= 500 || outcome.status === 0;
      if (!retryable) break;
      // Whop keeps retrying for 70 s, longer than the app takes to start again after its crash.
      if (restarting && outcome.status === 0) {
        await restarting;
        continue;
      }
      if (attempt >= RETRY_DELAYS_MS.length) break;
      await new Promise((resolve) => setTimeout(resolve, RETRY_DELAYS_MS[attempt]));
    }
    outcomes.set(delivery, outcome);
  }

  async function worker(): Promise<void> {
    while (next < deliveries.length) {
      const delivery = deliveries[next++]!;
      await sendWithRetries(delivery);
      done++;
      if (done === faultAt) {
        fault.from = Date.now() - started;
        void injectDatabaseFault(() => (fault.to = Date.now() - started));
      }
      if (done === crashAt) {
        crash.from = Date.now() - started;
        restarting = (async () => {
          const restarted = crashAndRestart();
          // Right after the SIGKILL: what the crash caught between the answer and the apply.
          caughtUnapplied = await unappliedEvents(tenantIds);
          await restarted;
          crash.to = Date.now() - started;
          restarting = undefined;
          log(`webhooks: killed the app (SIGKILL) with ${caughtUnapplied} events answered but not applied; started again in ${((crash.to - crash.from) / 1000).toFixed(1)} s`);
        })();
      }
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = (Date.now() - started) / 1000;
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!.toFixed(0);
  log(`webhooks: sent in ${seconds.toFixed(1)} s (${Math.round(deliveries.length / seconds)} deliveries/s incl. retries and the fault); latency p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${at(1)} ms`);

  // Expected HTTP answers.
  const byKind = (kind: Kind) => [...outcomes].filter(([d]) => d.kind === kind).map(([, o]) => o);
  const wrong = (kind: Kind, ok: (status: number) => boolean) => byKind(kind).filter((o) => !ok(o.status)).length;
  const answers = (kind: Kind, want: number) => {
    const bad = wrong(kind, (s) => s === want);
    check(bad === 0, `${bad} ${kind} deliveries were not answered ${want} (after Whop's retries)`);
    log(`webhooks: ${kind}: ${byKind(kind).length - bad}/${byKind(kind).length} answered ${want}`);
  };
  answers("valid", 200);
  answers("duplicate", 200);
  answers("forged", 401);
  answers("malformed", 400);
  const errors = [...outcomes.values()].flatMap((o) => o.serverErrors);
  const during = (span: { from: number; to: number }) => (e: Outcome["serverErrors"][number]) => e.sentAt <= span.to && e.at >= span.from;
  const stray = errors.filter((e) => !during(fault)(e) && !(e.status === 0 && during(crash)(e)));
  const fault5xx = errors.filter(during(fault)).length;
  check(stray.length === 0, `${stray.length} 5xx/dropped answers outside the injected faults (database ${fault.from}–${fault.to} ms, crash ${crash.from}–${crash.to} ms): ${JSON.stringify(stray.slice(0, 10))}`);
  log(`webhooks: ${fault5xx} 5xx/dropped answers during the database fault, ${errors.length - fault5xx - stray.length} dropped by the crash, all retried`);

  // The crash must have caught events between their answer and their apply, or it proved nothing.
  check(caughtUnapplied > 0, `the crash caught no event between its answer and its apply (${caughtUnapplied})`);
  // What the requests could not apply (the crash, the database fault) the worker's sweep does, within seconds.
  const sweepStarted = Date.now();
  let left = await unappliedEvents(tenantIds);
  const leftAtEnd = left;
  while (left > 0 && Date.now() - sweepStarted < 60_000) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    left = await unappliedEvents(tenantIds);
  }
  check(left === 0, `${left} events answered 200 but still not applied 60 s after the flood`);
  log(`webhooks: ${leftAtEnd} events unapplied when the flood ended, ${left} after ${((Date.now() - sweepStarted) / 1000).toFixed(1)} s (the worker's sweep)`);

  await verifyRecorded(shops, deliveries, outcomes);
}

/** Kills every connection the app holds to Postgres (as a failover or restart would), twice. */
async function injectDatabaseFault(end: () => void): Promise<void> {
  const { db } = await import("@/db/client");
  for (let round = 0; round < 2; round++) {
    await db()
      .execute(sql`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and backend_type = 'client backend'`)
      .catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  if (process.env.LOAD_RESTART_POSTGRES === "1") {
    const cluster = fs.readdirSync("/etc/postgresql")[0]!;
    execFileSync("pg_ctlcluster", ["--skip-systemctl-redirect", cluster, "main", "restart"], { stdio: "ignore" });
  }
  // The pool needs a moment to reconnect: the fault lasts until then.
  setTimeout(end, 1_500);
  log("webhooks: injected a database fault (terminated the app's Postgres connections)");
}

interface ExpectedOrder {
  status: string;
  paidMinor: number;
  refundedMinor: number;
  refundPending: boolean;
}

/**
 * An order's end state from its scenario, by the ledger's rules (worked out here on their own, so
 * that a wrong derivation in the product shows): only succeeded refunds count as refunded, a
 * pending one flags `refund_pending`, a failed one changes nothing; a lost dispute makes it
 * dispute_lost, an open one disputed (either outranks refunds), a won one leaves it to the refunds.
 */
function expectOrder(order: OrderPlan): ExpectedOrder {
  const paidMinor = order.amountMinor; // one succeeded payment of the order's price
  const refundedMinor = order.refunds.filter((r) => r.path === "succeeded").reduce((total, r) => total + r.amountMinor, 0);
  const refundPending = order.refunds.some((r) => r.path === "pending");
  const status = order.disputes.some((d) => d.outcome === "lost")
    ? "dispute_lost"
    : order.disputes.some((d) => d.outcome === "open")
      ? "disputed"
      : refundedMinor === 0
        ? "paid"
        : refundedMinor >= paidMinor
          ? "refunded"
          : "partially_refunded";
  return { status, paidMinor, refundedMinor, refundPending };
}

/** Counts rows that differ from what was expected, and lists the first few. */
function differences(label: string) {
  let count = 0;
  return {
    note(ok: boolean, what: () => string) {
      if (ok) return;
      count++;
      if (count <= 5) problems.push(`${label}: ${what()}`);
    },
    get count() {
      return count;
    },
  };
}

async function verifyRecorded(shops: Shop[], deliveries: Delivery[], outcomes: Map<Delivery, Outcome>): Promise<void> {
  const { db } = await import("@/db/client");
  const { ledgerDisputes, ledgerPayments, ledgerRefunds, orders, webhookEvents } = await import("@/db/schema");
  const tenantIds = shops.map((s) => s.tenantId);

  // webhook_events: exactly one row per unique event key, under its scheme, counting every copy.
  const rows = await db()
    .select({ tenantId: webhookEvents.tenantId, key: webhookEvents.eventKey, type: webhookEvents.eventType, scheme: webhookEvents.scheme, duplicates: webhookEvents.duplicates })
    .from(webhookEvents)
    .where(inArray(webhookEvents.tenantId, tenantIds));
  const copies = new Map<string, { event: SentEvent; acknowledged: number; attempts: number }>();
  for (const delivery of deliveries) {
    if (!delivery.event) continue;
    const id = `${delivery.event.shop.tenantId}|${delivery.event.key}`;
    const entry = copies.get(id) ?? { event: delivery.event, acknowledged: 0, attempts: 0 };
    const outcome = outcomes.get(delivery);
    if (outcome?.status === 200) entry.acknowledged++;
    entry.attempts += outcome?.attempts ?? 0;
    copies.set(id, entry);
  }
  const recorded = new Map(rows.map((r) => [`${r.tenantId}|${r.key}`, r]));
  const events = differences("webhook_events");
  for (const [id, { event, acknowledged, attempts }] of copies) {
    const row = recorded.get(id);
    events.note(row !== undefined, () => `no row for acknowledged ${event.scheme} event ${event.type} (key ${event.key})`);
    if (!row) continue;
    events.note(row.scheme === event.scheme && row.type === event.type, () => `${event.key} recorded as ${row.scheme} ${row.type}, sent as ${event.scheme} ${event.type}`);
    // Every acknowledged copy after the first was counted; none more often than it was sent.
    events.note(row.duplicates >= acknowledged - 1 && row.duplicates <= attempts - 1, () => `${event.key}: ${row.duplicates} duplicates counted for ${acknowledged} acknowledged copies (${attempts} attempts)`);
  }
  for (const [id, row] of recorded) events.note(copies.has(id), () => `unexpected row ${row.scheme} ${row.type} (key ${row.key})`);
  check(events.count === 0, `${events.count} webhook_events rows missing, extra or miscounted`);
  check(rows.length === copies.size, `webhook_events holds ${rows.length} rows for ${copies.size} unique events (no more, no less expected)`);
  const forgedKeys = deliveries.filter((d) => d.kind === "forged" && d.forgedKey).map((d) => `${shops.find((s) => s.publicId === d.tenantPublicId)!.tenantId}|${d.forgedKey}`);
  const forgedStored = forgedKeys.filter((k) => recorded.has(k)).length;
  check(forgedStored === 0, `${forgedStored} forged deliveries left a row`);
  log(`webhooks: webhook_events: ${rows.length} rows for ${copies.size} unique events, ${events.count} wrong; 0 rows expected from ${forgedKeys.length} forged deliveries: ${forgedStored}`);

  // Orders, and their ledger rows: one per payment, refund and dispute id, in its final state.
  const plans = new Map(shops.flatMap((s) => s.orders.map((o) => [o.id, o] as const)));
  const stored = await db()
    .select({ id: orders.id, status: orders.status, valid: orders.membershipValid, paid: orders.paidMinor, refunded: orders.refundedMinor, refundPending: orders.refundPending, paymentId: orders.whopPaymentId })
    .from(orders)
    .where(inArray(orders.tenantId, tenantIds));
  const orderDiffs = differences("order");
  for (const order of stored) {
    const plan = plans.get(order.id);
    if (!plan) continue;
    const want = expectOrder(plan);
    const got = { status: order.status, paidMinor: order.paid, refundedMinor: order.refunded, refundPending: order.refundPending };
    orderDiffs.note(JSON.stringify(got) === JSON.stringify(want) && order.valid === true && order.paymentId === plan.paymentId, () => {
      const story = [...plan.refunds.map((r) => `refund ${r.amountMinor} ${r.path}`), ...plan.disputes.map((d) => `dispute ${d.statuses.join("→")}`)].join(", ") || "no refund or dispute";
      return `${order.id} (${story}): ${JSON.stringify({ ...got, membershipValid: order.valid, paymentId: order.paymentId })}, expected ${JSON.stringify(want)}`;
    });
  }
  check(stored.length === plans.size, `${stored.length} orders stored for ${plans.size} planned`);
  check(orderDiffs.count === 0, `${orderDiffs.count} orders are not in the state their events imply`);

  const orderOf = new Map([...plans.values()].map((o) => [o.paymentId, o] as const));
  const payments = await db().select().from(ledgerPayments).where(inArray(ledgerPayments.tenantId, tenantIds));
  const paymentDiffs = differences("ledger_payments");
  for (const row of payments) {
    const plan = orderOf.get(row.id);
    paymentDiffs.note(plan !== undefined && row.orderId === plan.id && row.status === "succeeded" && row.amountMinor === plan.amountMinor, () => `${row.id}: ${row.status} ${row.amountMinor} for order ${row.orderId}`);
  }
  paymentDiffs.note(payments.length === plans.size, () => `${payments.length} rows for ${plans.size} payments`);
  check(paymentDiffs.count === 0, `${paymentDiffs.count} ledger_payments rows wrong`);

  const refundPlans = new Map([...plans.values()].flatMap((o) => o.refunds.map((r) => [r.id, { order: o, refund: r }] as const)));
  const refundRows = await db().select().from(ledgerRefunds).where(inArray(ledgerRefunds.tenantId, tenantIds));
  const refundDiffs = differences("ledger_refunds");
  for (const row of refundRows) {
    const plan = refundPlans.get(row.id);
    refundDiffs.note(
      plan !== undefined && row.status === plan.refund.path && row.amountMinor === plan.refund.amountMinor && row.orderId === plan.order.id && row.paymentId === plan.order.paymentId,
      () => `${row.id}: ${row.status} ${row.amountMinor} order ${row.orderId} payment ${row.paymentId}, expected ${plan ? `${plan.refund.path} ${plan.refund.amountMinor} order ${plan.order.id}` : "no such refund"}`,
    );
  }
  const refundIds = new Set(refundRows.map((r) => r.id));
  for (const id of refundPlans.keys()) refundDiffs.note(refundIds.has(id), () => `${id}: no row`);
  check(refundDiffs.count === 0, `${refundDiffs.count} ledger_refunds rows wrong, missing or extra`);

  const disputePlans = new Map([...plans.values()].flatMap((o) => o.disputes.map((d) => [d.id, { order: o, dispute: d }] as const)));
  const disputeRows = await db().select().from(ledgerDisputes).where(inArray(ledgerDisputes.tenantId, tenantIds));
  const disputeDiffs = differences("ledger_disputes");
  for (const row of disputeRows) {
    const plan = disputePlans.get(row.id);
    // An open dispute takes Whop's latest word, which depends on the order of arrival.
    const statusOk = plan !== undefined && (plan.dispute.outcome === "open" ? plan.dispute.statuses.includes(row.whopStatus) : row.whopStatus === plan.dispute.outcome);
    disputeDiffs.note(
      plan !== undefined && statusOk && row.phase === plan.dispute.outcome && row.amountMinor === plan.dispute.amountMinor && row.orderId === plan.order.id && row.paymentId === plan.order.paymentId,
      () => `${row.id}: ${row.phase}/${row.whopStatus} ${row.amountMinor} order ${row.orderId} payment ${row.paymentId}, expected ${plan ? `${plan.dispute.outcome} (${plan.dispute.statuses.join("→")}) order ${plan.order.id}` : "no such dispute"}`,
    );
  }
  const disputeIds = new Set(disputeRows.map((r) => r.id));
  for (const id of disputePlans.keys()) disputeDiffs.note(disputeIds.has(id), () => `${id}: no row`);
  check(disputeDiffs.count === 0, `${disputeDiffs.count} ledger_disputes rows wrong, missing or extra`);

  log(
    `webhooks: orders ${stored.length - orderDiffs.count}/${stored.length} as expected; ledger rows wrong: payments ${paymentDiffs.count}/${payments.length}, ` +
      `refunds ${refundDiffs.count}/${refundRows.length} (for ${refundPlans.size}), disputes ${disputeDiffs.count}/${disputeRows.length} (for ${disputePlans.size})`,
  );
}

// ---------------------------------------------------------------------------------------------
// 2. Buyers while Whop fails

async function checkoutsUnderWhopFaults(appUrl: string, sandbox: WhopSandbox, runId: string): Promise<void> {
  const { db } = await import("@/db/client");
  const { orders } = await import("@/db/schema");
  const { signUp } = await import("@/lib/auth/accounts");
  const { ownerActor } = await import("@/lib/auth/actor");
  const { connectWhopKey } = await import("@/lib/tenants/connect-whop");
  const { getTenantById } = await import("@/lib/tenants/queries");
  const { createItem, itemFormSchema } = await import("@/lib/items/items");

  const shops: { tenantId: string; slug: string }[] = [];
  for (let i = 0; i < 5; i++) {
    const company = (await (await fetch(`${sandbox.url}/_sandbox/companies`, { method: "POST", body: "{}" })).json()) as { companyKey: string };
    const account = await signUp({ email: `load-buyers-${runId}-${i}@example.com`, password: "load test password", ip: null });
    if (!account.ok) throw new Error("sign-up failed");
    const connected = await connectWhopKey(ownerActor(account.tenant, account.user), company.companyKey);
    if (!connected.ok) throw new Error(connected.message);
    const tenant = (await getTenantById(account.tenant.id))!;
    const item = await createItem(ownerActor(tenant, account.user), itemFormSchema.parse({ title: "Faulty times", price: "5", currency: "usd" }));
    if (!item.ok) throw new Error(item.message);
    shops.push({ tenantId: tenant.id, slug: item.item.slug });
  }

  const BUYERS = 150;
  const statuses: number[] = [];
  let sent = 0;
  const fault = (mode: "500" | "429" | "hang", count: number) =>
    fetch(`${sandbox.url}/_sandbox/faults`, { method: "POST", body: JSON.stringify({ mode, count }) });
  const get = (slug: string, ip: string) =>
    new Promise<{ status: number; body: string }>((resolve) => {
      const url = new URL(`/pay/${slug}`, appUrl);
      const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: "GET", agent, headers: { "x-forwarded-for": ip } }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", () => resolve({ status: 0, body: "" }));
      });
      req.setTimeout(30_000, () => req.destroy());
      req.on("error", () => resolve({ status: 0, body: "" }));
      req.end();
    });

  const bodiesByStatus = new Map<number, string>();
  async function worker(w: number): Promise<void> {
    while (sent < BUYERS) {
      const n = sent++;
      // Faults land on a share of the requests: 500s, 429s, and a few that hang past the timeout.
      if (n === 20) await fault("500", 30);
      if (n === 60) await fault("429", 3);
      if (n === 100) await fault("hang", 2);
      const shop = shops[n % shops.length]!;
      const response = await get(shop.slug, `198.18.${w}.${n % 250}`);
      statuses.push(response.status);
      bodiesByStatus.set(response.status, response.body);
    }
  }
  await Promise.all(Array.from({ length: 8 }, (_, w) => worker(w)));

  const tally = statuses.reduce<Record<number, number>>((acc, s) => ({ ...acc, [s]: (acc[s] ?? 0) + 1 }), {});
  log(`checkouts under Whop faults: ${JSON.stringify(tally)} (303 = sent to Whop; 502 = Whop failing; 503 = Whop rate-limiting)`);
  check(statuses.every((s) => s === 303 || s === 502 || s === 503), `unexpected answers to buyers: ${JSON.stringify(tally)}`);
  check((tally[502] ?? 0) > 0 && (tally[503] ?? 0) > 0, `the injected faults did not show (${JSON.stringify(tally)})`);
  if (bodiesByStatus.has(502)) check(bodiesByStatus.get(502)!.includes("Nothing was charged"), "the 502 page does not reassure the buyer");

  const rows = await db()
    .select({ status: orders.status, purchaseUrl: orders.purchaseUrl, failureReason: orders.failureReason })
    .from(orders)
    .where(and(inArray(orders.tenantId, shops.map((s) => s.tenantId))));
  const orphans = rows.filter((r) => r.status === "pending" && !r.purchaseUrl).length;
  check(orphans === 0, `${orphans} orders left pending without a Whop checkout`);
  check(rows.length === BUYERS, `${rows.length} orders for ${BUYERS} buyers`);
  check(rows.filter((r) => r.status === "pending").length === (tally[303] ?? 0), "pending orders with a checkout do not match the buyers sent to Whop");
  const failed = rows.filter((r) => r.status === "failed");
  check(failed.length === (tally[502] ?? 0) + (tally[503] ?? 0), `${failed.length} failed orders for ${(tally[502] ?? 0) + (tally[503] ?? 0)} error pages`);
  check(failed.every((r) => (r.failureReason ?? "").trim() !== ""), `${failed.filter((r) => !r.failureReason?.trim()).length} failed orders without a failure_reason`);
  check(rows.every((r) => r.status === "pending" || r.status === "failed"), `orders in other states after checkouts: ${JSON.stringify(rows.filter((r) => r.status !== "pending" && r.status !== "failed").map((r) => r.status))}`);
}

void main();
