/**
 * Whop's `payment.succeeded` deliveries for the ingest and scale-out benchmarks: connected tenants
 * and pending orders straight into Postgres, signed deliveries with exact copies among them, and
 * the checks that every answer and every row came out exactly once.
 */
import { randomBytes } from "node:crypto";
import { and, count, eq, inArray, sql } from "drizzle-orm";
import { db } from "@/db/client";
import { orders, webhookEvents } from "@/db/schema";
import { encryptSecret } from "@/lib/crypto/secrets";
import { env } from "@/lib/env";
import { newId, newItemSlug, newPublicTenantId, randomBase62 } from "@/lib/ids";
import { insertItems } from "@/lib/items/items";
import { insertTenants } from "@/lib/tenants/queries";
import type { LoadResponse, PreparedRequest } from "./load";
import { signBare, signLegacy, signStandard } from "../../tests/signing";

/** The ingest load, shared by bench/ingest and bench/scaleout (which splits the connections over two instances). */
export const TENANTS = Number(process.env.BENCH_INGEST_TENANTS ?? 20);
export const DELIVERIES = Number(process.env.BENCH_INGEST_DELIVERIES ?? 6000);
export const WARM_UP = Number(process.env.BENCH_INGEST_WARM_UP ?? 500);
export const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
export const CONCURRENCY = 32;
export const REQUEST_TIMEOUT_MS = 15_000;

export const DUPLICATE_SHARE = 0.1;

export interface Shop {
  tenantId: string;
  publicId: string;
  secret: string;
}

export interface PendingOrder {
  shop: Shop;
  id: string;
  checkoutId: string;
}

export interface Delivery {
  shop: Shop;
  key: string;
  orderId: string;
  body: string;
  headers: Record<string, string>;
  duplicate: boolean;
}

/** Tenants as a connected merchant leaves them: a webhook secret, one item. Straight into Postgres (no Whop involved). */
export async function setUpShops(runId: string, n: number, label: string): Promise<Shop[]> {
  const keys = env().encryptionKeys;
  const shops = Array.from({ length: n }, (): Shop => ({ tenantId: newId("ten"), publicId: newPublicTenantId(), secret: `ws_${randomBase62(40)}` }));
  await db().transaction(async (tx) => {
    await insertTenants(
      tx,
      shops.map((shop, i) => ({
        id: shop.tenantId,
        publicId: shop.publicId,
        whopCompanyId: `biz_${randomBase62(14)}`,
        whopCompanyTitle: `Bench ${label} ${runId} ${i}`,
        whopApiKeyCiphertext: encryptSecret(`apik_${randomBase62(30)}`, { tenantId: shop.tenantId, field: "whop_api_key" }, keys),
        whopApiKeyHint: "bnch",
        webhookSecretCiphertext: encryptSecret(shop.secret, { tenantId: shop.tenantId, field: "webhook_secret" }, keys),
        connectedAt: new Date(),
        keyVerifiedAt: new Date(),
      })),
    );
    await insertItems(
      tx,
      shops.map((shop) => ({ id: itemIdOf(shop), tenantId: shop.tenantId, slug: newItemSlug(), title: `Bench ${label} item`, priceMinor: 2500, currency: "usd" })),
    );
  });
  return shops;
}

const itemIds = new Map<string, string>();
function itemIdOf(shop: Shop): string {
  let id = itemIds.get(shop.tenantId);
  if (!id) itemIds.set(shop.tenantId, (id = newId("item")));
  return id;
}

export async function addPendingOrders(shops: Shop[], n: number): Promise<PendingOrder[]> {
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

/**
 * One signed delivery per order (60 % standard `webhook-*` headers, 30 % legacy `t=…,v1=…`, 10 %
 * bare HMAC), then exact copies (same body, same headers) of random ones up to `total`, shuffled.
 * Sign right before sending: the standard and legacy schemes allow ±300 s.
 */
export function buildDeliveries(pending: PendingOrder[], total: number): Delivery[] {
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

/** The delivery as Whop posts it, to the tenant's webhook URL or (same headers and body) to the empty route. */
export function deliveryRequest(d: Delivery, target: "ingest" | "ping"): PreparedRequest {
  return { method: "POST", path: target === "ingest" ? `/api/webhooks/whop/${d.shop.publicId}` : "/api/ping", headers: d.headers, body: d.body };
}

/**
 * Checks each answer: 200 with result recorded/duplicate (webhook) or 204 (ping); and, over all the
 * answers given (possibly by several instances), that of the copies of one event exactly one was
 * recorded, whichever arrived first. Returns the answers' times, when each event's recording was
 * answered (epoch ms, by key) and the failures.
 */
export function checkAnswers(deliveries: Delivery[], answers: (LoadResponse | Error)[], target: "ingest" | "ping"): { times: number[]; answeredAt: Map<string, number>; failures: string[] } {
  const failures: string[] = [];
  const times: number[] = [];
  const applied = new Map<string, number>();
  const answeredAt = new Map<string, number>();
  answers.forEach((res, i) => {
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
    const outcome = resultOf(res.body);
    if (res.status !== 200 || (outcome !== "recorded" && outcome !== "duplicate")) {
      failures.push(`#${i} ${d.duplicate ? "copy" : "delivery"} of ${d.key}: ${res.status} ${res.body.slice(0, 160)}`);
      return;
    }
    if (outcome === "recorded") {
      applied.set(d.key, (applied.get(d.key) ?? 0) + 1);
      answeredAt.set(d.key, res.at);
    }
  });
  if (target === "ingest") {
    const keys = new Set(deliveries.map((d) => d.key));
    for (const key of keys) if (applied.get(key) !== 1) failures.push(`event ${key} recorded ${applied.get(key) ?? 0} times (expected once)`);
  }
  return { times, answeredAt, failures };
}

/** How long the bench waits for the ledger to catch up with the answers before it calls an event lost. */
const APPLY_WAIT_MS = 60_000;

/**
 * Waits until every event is applied (the app applies each right after answering it), then
 * answers the apply lag of each: `applied_at` − the moment its recording was answered (ms).
 */
export async function waitForApplied(deliveries: Delivery[], answeredAt: Map<string, number>): Promise<{ lags: number[]; failures: string[] }> {
  const keys = [...new Set(deliveries.map((d) => d.key))];
  const tenantIds = [...new Set(deliveries.map((d) => d.shop.tenantId))];
  const deadline = Date.now() + APPLY_WAIT_MS;
  let rows: { key: string; appliedAt: number | null }[] = [];
  for (;;) {
    rows = [];
    for (let i = 0; i < keys.length; i += 5000) {
      rows.push(
        ...(await db()
          .select({ key: webhookEvents.eventKey, appliedAt: sql<number | null>`(extract(epoch from ${webhookEvents.appliedAt}) * 1000)::float8` })
          .from(webhookEvents)
          .where(and(inArray(webhookEvents.tenantId, tenantIds), inArray(webhookEvents.eventKey, keys.slice(i, i + 5000))))),
      );
    }
    if (rows.every((row) => row.appliedAt !== null) || Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const unapplied = rows.filter((row) => row.appliedAt === null).length;
  const lags = rows.flatMap((row) => {
    const answered = answeredAt.get(row.key);
    return row.appliedAt === null || answered === undefined ? [] : [Math.max(0, Number(row.appliedAt) - answered)];
  });
  return { lags, failures: unapplied > 0 ? [`${unapplied} events still unapplied ${APPLY_WAIT_MS / 1000} s after the load`] : [] };
}

function resultOf(body: string): string | undefined {
  try {
    return (JSON.parse(body) as { result?: string }).result;
  } catch {
    return undefined;
  }
}

/** Each event recorded exactly once, its copies counted as duplicates, and its order paid. */
export async function checkDatabase(deliveries: Delivery[]): Promise<string[]> {
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
