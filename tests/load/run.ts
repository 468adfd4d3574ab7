/**
 * `npm run test:load`: the production build on the Postgres DATABASE_URL names, flooded with
 * webhook deliveries the way Whop sends them (and worse), then with buyers while the Whop sandbox
 * fails. Proves that nothing acknowledged is lost, nothing is counted twice, forged deliveries
 * leave no trace, and buyers get the right answers. Bounded: exits by itself (non-zero on any
 * violation) within a few minutes. Sizes: LOAD_DELIVERIES (default 20000), LOAD_TENANTS (50).
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import { and, eq, inArray, sql } from "drizzle-orm";
import { freePort, runCommand, startApp, type AppProcess } from "../../bench/support/app";
import { startWhopSandbox, type WhopSandbox } from "../../sandbox/server";
import { signBare, signLegacy, signStandard } from "../signing";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const DELIVERIES = Number(process.env.LOAD_DELIVERIES ?? 20_000);
const TENANTS = Number(process.env.LOAD_TENANTS ?? 50);
const CONCURRENCY = 32;
/** Whop retries after 10 s, 20 s and 40 s; compressed a hundredfold. */
const RETRY_DELAYS_MS = [100, 200, 400];
const WATCHDOG_MS = 8 * 60_000;

type Kind = "valid" | "duplicate" | "forged" | "malformed";

interface Delivery {
  kind: Kind;
  tenantPublicId: string;
  body: string;
  headers: Record<string, string>;
  /** The event key a valid delivery must be recorded under. */
  key?: string;
}

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
  let app: AppProcess | undefined;
  const cleanUp = async () => {
    await app?.stop();
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
      SESSION_SECRET: randomBytes(32).toString("base64url"),
      ENCRYPTION_KEYS: `load:${randomBytes(32).toString("base64")}`,
      LOG_LEVEL: "fatal",
    };
    Object.assign(process.env, config);
    (await import("@/lib/env")).resetEnvCache();
    const appEnv = { ...process.env, ...config };
    await runCommand("npm", ["run", "-s", "db:migrate"], appEnv, 120_000);
    app = await startApp(appEnv, { port, readyTimeoutMs: 60_000, log: () => {} });
    log(`app on ${app.url}, sandbox ${sandbox.url}, run ${runId}`);

    await webhookFlood(app.url, runId);
    await checkoutsUnderWhopFaults(app.url, sandbox, runId);
  } catch (error) {
    problems.push(`crashed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    if (app) console.error(app.tail().slice(-20).join("\n"));
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

interface Shop {
  tenantId: string;
  publicId: string;
  secret: string;
  orders: { id: string; checkoutId: string; amountMinor: number; refund: boolean; failedFirst: boolean }[];
}

async function setUpShops(runId: string, ordersPerShop: number): Promise<Shop[]> {
  const { db } = await import("@/db/client");
  const { items, orders, tenants } = await import("@/db/schema");
  const { signUp } = await import("@/lib/auth/accounts");
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
    await db().insert(items).values({ id: itemId, tenantId, slug: newItemSlug(), title: "Load item", priceMinor: 2500, currency: "usd" });
    const shopOrders = Array.from({ length: ordersPerShop }, () => ({
      id: newId("ord"),
      checkoutId: `ch_${randomBase62(15)}`,
      amountMinor: 2500,
      refund: Math.random() < 0.2,
      failedFirst: Math.random() < 0.1,
    }));
    await db()
      .insert(orders)
      .values(shopOrders.map((o) => ({ id: o.id, tenantId, itemId, amountMinor: o.amountMinor, currency: "usd", attemptId: randomBase62(24), whopCheckoutId: o.checkoutId })));
    shops.push({ tenantId, publicId: account.tenant.publicId, secret, orders: shopOrders });
  }
  return shops;
}

function eventsFor(shop: Shop, order: Shop["orders"][number], n: number): { body: string; id: string }[] {
  const id = () => `msg_${randomBytes(12).toString("hex")}`;
  const payment = (extra: Record<string, unknown> = {}) => ({
    id: `pay_${order.id.slice(4, 18)}`,
    status: "paid",
    substatus: "succeeded",
    total: 25,
    currency: "usd",
    refunded_amount: 0,
    checkout_configuration_id: order.checkoutId,
    user: { id: "user_load", email: `buyer${n}@example.com` },
    membership: { id: `mem_${order.id.slice(4, 18)}` },
    metadata: { order_id: order.id, tenant_id: shop.tenantId },
    ...extra,
  });
  const envelope = (type: string, data: unknown) => {
    const msg = id();
    return { id: msg, body: JSON.stringify({ id: msg, api_version: "v1", timestamp: new Date().toISOString(), type, data }) };
  };
  const events = [
    envelope("payment.succeeded", payment()),
    envelope("membership.activated", { id: `mem_${order.id.slice(4, 18)}`, status: "active", metadata: { order_id: order.id } }),
  ];
  if (order.failedFirst) events.push(envelope("payment.failed", payment({ status: "open", substatus: "failed" })));
  if (order.refund) {
    events.push(envelope("refund.created", { id: `rfnd_${n}`, amount: 25, currency: "usd", status: "succeeded", payment: payment({ substatus: "refunded", refunded_amount: 25 }) }));
  }
  return events;
}

function buildDeliveries(shops: Shop[]): Delivery[] {
  const valid: Delivery[] = [];
  let n = 0;
  for (const shop of shops) {
    for (const order of shop.orders) {
      for (const event of eventsFor(shop, order, n++)) {
        const roll = Math.random();
        // A mix of the three schemes; the key follows the scheme (webhook-id header, else body id).
        const headers = roll < 0.6 ? signStandard(shop.secret, event.body, event.id) : roll < 0.9 ? signLegacy(shop.secret, event.body) : signBare(shop.secret, event.body);
        valid.push({ kind: "valid", tenantPublicId: shop.publicId, body: event.body, headers, key: event.id });
      }
    }
  }
  const pick = () => shops[Math.floor(Math.random() * shops.length)]!;
  const duplicates = Array.from({ length: Math.round(DELIVERIES * 0.25) }, (): Delivery => ({ ...valid[Math.floor(Math.random() * valid.length)]!, kind: "duplicate" }));
  const forged = Array.from({ length: Math.round(DELIVERIES * 0.1) }, (): Delivery => {
    const shop = pick();
    const order = shop.orders[0]!;
    const msg = `msg_forged${randomBytes(8).toString("hex")}`;
    const body = JSON.stringify({ id: msg, api_version: "v1", type: "payment.succeeded", data: { id: "pay_forged", total: 25, currency: "usd", metadata: { order_id: order.id } } });
    return { kind: "forged", tenantPublicId: shop.publicId, body, headers: signStandard(`ws_${randomBytes(20).toString("hex")}`, body, msg), key: msg };
  });
  const malformed = Array.from({ length: Math.round(DELIVERIES * 0.05) }, (_, i): Delivery => {
    const shop = pick();
    const body = i % 2 === 0 ? `{"type": "payment.succeeded", "data": ${randomBytes(4).toString("hex")}` : JSON.stringify({ data: { id: "x" } });
    return { kind: "malformed", tenantPublicId: shop.publicId, body, headers: signStandard(shop.secret, body, `msg_bad${i}`) };
  });
  return shuffle([...valid, ...duplicates, ...forged, ...malformed]);
}

const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

const latencies: number[] = [];

function post(baseUrl: string, delivery: Delivery): Promise<number> {
  const url = new URL(`/api/webhooks/whop/${delivery.tenantPublicId}`, baseUrl);
  const sentAt = performance.now();
  return new Promise<number>((resolve) => {
    const req = http.request(
      { host: url.hostname, port: url.port, path: url.pathname, method: "POST", agent, headers: { "content-type": "application/json", ...delivery.headers } },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
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

async function webhookFlood(appUrl: string, runId: string): Promise<void> {
  // ~60% of the deliveries are unique valid events, 2.5 events per order on average.
  const ordersPerShop = Math.max(1, Math.round((DELIVERIES * 0.6) / 2.5 / TENANTS));
  const shops = await setUpShops(runId, ordersPerShop);
  const deliveries = buildDeliveries(shops);
  log(`webhooks: ${deliveries.length} deliveries to ${shops.length} tenants (${shops.length * ordersPerShop} orders): 25% duplicates, 10% forged, 5% malformed, shuffled`);

  // The fault's span in ms since the start; a request whose flight overlaps it belongs to it.
  const fault = { from: Infinity, to: Infinity };
  const outcomes = new Map<Delivery, Outcome>();
  let next = 0;
  let done = 0;
  const faultAt = Math.floor(deliveries.length * 0.4);
  const started = Date.now();

  async function sendWithRetries(delivery: Delivery): Promise<void> {
    const outcome: Outcome = { status: 0, attempts: 0, serverErrors: [] };
    for (let attempt = 0; ; attempt++) {
      outcome.attempts++;
      const sentAt = Date.now() - started;
      outcome.status = await post(appUrl, delivery);
      if (outcome.status >= 500 || outcome.status === 0) outcome.serverErrors.push({ status: outcome.status, sentAt, at: Date.now() - started });
      const retryable = outcome.status >= 500 || outcome.status === 0;
      if (!retryable || attempt >= RETRY_DELAYS_MS.length) break;
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
  check(wrong("valid", (s) => s === 200) === 0, `${wrong("valid", (s) => s === 200)} valid deliveries never got a 2xx after Whop's retries`);
  check(wrong("duplicate", (s) => s === 200) === 0, `${wrong("duplicate", (s) => s === 200)} duplicate deliveries were not answered 200`);
  check(wrong("forged", (s) => s === 401) === 0, `${wrong("forged", (s) => s === 401)} forged deliveries were not answered 401`);
  check(wrong("malformed", (s) => s === 400) === 0, `${wrong("malformed", (s) => s === 400)} malformed deliveries were not answered 400`);
  const errors = [...outcomes.values()].flatMap((o) => o.serverErrors);
  const duringFault = (e: Outcome["serverErrors"][number]) => e.sentAt <= fault.to && e.at >= fault.from;
  const stray = errors.filter((e) => !duringFault(e));
  const fault5xx = errors.length - stray.length;
  check(stray.length === 0, `${stray.length} 5xx/dropped answers outside the injected fault (${fault.from}–${fault.to} ms): ${JSON.stringify(stray.slice(0, 10))}`);
  log(`webhooks: ${fault5xx} 5xx/dropped answers during the injected fault, all retried`);

  await verifyRecorded(shops, deliveries);
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

async function verifyRecorded(shops: Shop[], deliveries: Delivery[]): Promise<void> {
  const { db } = await import("@/db/client");
  const { orders, webhookEvents } = await import("@/db/schema");
  const tenantIds = shops.map((s) => s.tenantId);
  const rows = await db()
    .select({ tenantId: webhookEvents.tenantId, key: webhookEvents.eventKey, duplicates: webhookEvents.duplicates })
    .from(webhookEvents)
    .where(inArray(webhookEvents.tenantId, tenantIds));
  const recorded = new Set(rows.map((r) => `${r.tenantId}|${r.key}`));
  const tenantOf = new Map(shops.map((s) => [s.publicId, s.tenantId]));
  const expectedKeys = new Set(deliveries.filter((d) => d.kind === "valid").map((d) => `${tenantOf.get(d.tenantPublicId)}|${d.key}`));
  const forgedKeys = deliveries.filter((d) => d.kind === "forged").map((d) => `${tenantOf.get(d.tenantPublicId)}|${d.key}`);

  const missing = [...expectedKeys].filter((k) => !recorded.has(k)).length;
  check(missing === 0, `${missing} acknowledged events are missing from webhook_events`);
  check(rows.length === expectedKeys.size, `webhook_events holds ${rows.length} rows for ${expectedKeys.size} unique events (no more, no less expected)`);
  const forgedStored = forgedKeys.filter((k) => recorded.has(k)).length;
  check(forgedStored === 0, `${forgedStored} forged deliveries left a row`);

  const expected = new Map(shops.flatMap((s) => s.orders.map((o) => [o.id, o.refund ? "refunded" : "paid"] as const)));
  const stored = await db().select({ id: orders.id, status: orders.status, valid: orders.membershipValid, refunded: orders.refundedMinor }).from(orders).where(inArray(orders.tenantId, tenantIds));
  let wrongState = 0;
  for (const order of stored) {
    const want = expected.get(order.id);
    if (!want) continue;
    if (order.status !== want || order.valid !== true || order.refunded !== (want === "refunded" ? 2500 : 0)) {
      wrongState++;
      if (wrongState <= 5) problems.push(`order ${order.id}: ${order.status}/${order.valid}/${order.refunded}, expected ${want}`);
    }
  }
  check(wrongState === 0, `${wrongState} orders are not in the state their events imply`);
  log(`webhooks: ${rows.length} events recorded once each for ${expectedKeys.size} unique valid events; ${stored.length} orders checked; 0 rows from ${forgedKeys.length} forged deliveries${forgedStored ? " (VIOLATED)" : ""}`);
}

// ---------------------------------------------------------------------------------------------
// 2. Buyers while Whop fails

async function checkoutsUnderWhopFaults(appUrl: string, sandbox: WhopSandbox, runId: string): Promise<void> {
  const { db } = await import("@/db/client");
  const { orders } = await import("@/db/schema");
  const { signUp } = await import("@/lib/auth/accounts");
  const { connectWhopKey } = await import("@/lib/tenants/connect-whop");
  const { getTenantById } = await import("@/lib/tenants/queries");
  const { createItem, itemFormSchema } = await import("@/lib/items/items");

  const shops: { tenantId: string; slug: string }[] = [];
  for (let i = 0; i < 5; i++) {
    const company = (await (await fetch(`${sandbox.url}/_sandbox/companies`, { method: "POST", body: "{}" })).json()) as { companyKey: string };
    const account = await signUp({ email: `load-buyers-${runId}-${i}@example.com`, password: "load test password", ip: null });
    if (!account.ok) throw new Error("sign-up failed");
    const connected = await connectWhopKey({ tenant: account.tenant, actorUserId: account.user.id, pastedKey: company.companyKey, ip: null });
    if (!connected.ok) throw new Error(connected.message);
    const tenant = (await getTenantById(account.tenant.id))!;
    const item = await createItem({ tenant, userId: account.user.id, ip: null }, itemFormSchema.parse({ title: "Faulty times", price: "5", currency: "usd" }));
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
    .select({ status: orders.status, purchaseUrl: orders.purchaseUrl })
    .from(orders)
    .where(and(inArray(orders.tenantId, shops.map((s) => s.tenantId))));
  const orphans = rows.filter((r) => r.status === "pending" && !r.purchaseUrl).length;
  check(orphans === 0, `${orphans} orders left pending without a Whop checkout`);
  check(rows.length === BUYERS, `${rows.length} orders for ${BUYERS} buyers`);
  check(rows.filter((r) => r.status === "pending").length === (tally[303] ?? 0), "pending orders with a checkout do not match the buyers sent to Whop");
  check(rows.filter((r) => r.status === "checkout_failed").length === (tally[502] ?? 0) + (tally[503] ?? 0), "failed checkouts do not match the error pages");
}

void main();
