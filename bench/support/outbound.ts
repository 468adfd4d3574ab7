/**
 * What the outbound fault test (tests/load/outbound.ts) and the outbound benchmark share: merchants
 * with one endpoint each on a local receiver that verifies every delivery with `standardwebhooks`,
 * order changes committed through the ledger (each writing its outbound event, deliveries and jobs
 * in the order's transaction), and `npm run worker` as a process of its own.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Webhook } from "standardwebhooks";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export interface Receiver {
  url: string;
  /** `endpoint id:event id` → times delivered (verified). */
  seen: Map<string, number>;
  /** `endpoint id:event id` → when it first arrived (ms since the epoch). */
  firstArrival: Map<string, number>;
  forged: number;
  /** The most requests one endpoint had open at the receiver at once. */
  peakOpenPerEndpoint: number;
  total(): number;
  up(): Promise<void>;
  down(): Promise<void>;
}

/**
 * Answers 200 to a delivery whose signature verifies with the secret of the endpoint its path names
 * (`/hooks/<endpoint id>`), else 400 — after `answerDelayMs`, like an app that takes that long.
 */
export async function startReceiver(secrets: Map<string, string>, answerDelayMs = 0): Promise<Receiver> {
  let server: http.Server | undefined;
  let port = 0;
  const receiver: Receiver = {
    url: "",
    seen: new Map(),
    firstArrival: new Map(),
    forged: 0,
    peakOpenPerEndpoint: 0,
    total: () => [...receiver.seen.values()].reduce((sum, n) => sum + n, 0),
    async up() {
      const open = new Map<string, number>();
      server = http.createServer((request, response) => {
        const path = request.url ?? "";
        open.set(path, (open.get(path) ?? 0) + 1);
        receiver.peakOpenPerEndpoint = Math.max(receiver.peakOpenPerEndpoint, open.get(path)!);
        response.on("close", () => open.set(path, open.get(path)! - 1));
        const chunks: Buffer[] = [];
        request.on("data", (chunk: Buffer) => chunks.push(chunk));
        request.on("end", () => {
          const endpointId = (request.url ?? "").split("/").at(-1) ?? "";
          const secret = secrets.get(endpointId);
          try {
            if (!secret) throw new Error("unknown endpoint");
            const event = new Webhook(secret).verify(Buffer.concat(chunks).toString("utf8"), request.headers as Record<string, string>) as { id: string };
            if (event.id !== request.headers["webhook-id"]) throw new Error("webhook-id is not the event id");
            const key = `${endpointId}:${event.id}`;
            receiver.seen.set(key, (receiver.seen.get(key) ?? 0) + 1);
            if (!receiver.firstArrival.has(key)) receiver.firstArrival.set(key, Date.now());
            if (answerDelayMs > 0) setTimeout(() => response.writeHead(200).end("ok"), answerDelayMs);
            else response.writeHead(200).end("ok");
          } catch {
            receiver.forged++;
            response.writeHead(400).end("bad signature");
          }
        });
      });
      await new Promise<void>((resolve) => server!.listen(port, "127.0.0.1", resolve));
      port = (server.address() as AddressInfo).port;
      receiver.url = `http://127.0.0.1:${port}`;
    },
    async down() {
      const closing = server;
      server = undefined;
      if (!closing) return;
      closing.closeAllConnections();
      await new Promise<void>((resolve) => closing.close(() => resolve()));
    },
  };
  await receiver.up();
  return receiver;
}

/**
 * `npm run worker` as its own process group (detached: its pid is the group id, for RSS sampling):
 * the bundle `npm run worker` builds (scripts/build-worker.mjs, rebuilt once per run of this
 * process), run by node itself — not through npm, whose own process would be sampled too and
 * would survive a SIGKILL of the group's leader.
 */
export function spawnWorker(env: NodeJS.ProcessEnv): ChildProcess {
  if (!workerBuilt) {
    execFileSync(process.execPath, [path.join(ROOT, "scripts/build-worker.mjs")], { cwd: ROOT, stdio: "inherit" });
    workerBuilt = true;
  }
  const child = spawn(process.execPath, [path.join(ROOT, "dist/worker.mjs")], { cwd: ROOT, env, detached: true, stdio: ["ignore", "ignore", "pipe"] });
  child.stderr?.on("data", () => {});
  return child;
}
let workerBuilt = false;

export interface Shop {
  tenantId: string;
  endpointId: string;
  orders: { id: string; checkoutId: string; paymentId: string }[];
}

/**
 * `tenants` merchants, each with one item, `ordersPerShop` pending orders and one endpoint on the
 * receiver subscribed to order.paid and order.refunded. Registers each endpoint's secret.
 */
export async function setUpShops(receiver: Receiver, secrets: Map<string, string>, tenants: number, ordersPerShop: number): Promise<Shop[]> {
  const { db } = await import("@/db/client");
  const { and, eq } = await import("drizzle-orm");
  const { orders, tenants: tenantTable, webhookEndpoints } = await import("@/db/schema");
  const { signUp } = await import("@/lib/auth/accounts");
  const { insertItem } = await import("@/lib/items/items");
  const { newId, newItemSlug, randomBase62 } = await import("@/lib/ids");
  const { createEndpoint } = await import("@/lib/outbound/endpoints");
  const { ownerActor } = await import("@/lib/auth/actor");
  const shops: Shop[] = [];
  for (let t = 0; t < tenants; t++) {
    const account = await signUp({ email: `outbound-${randomBase62(8)}@example.com`, password: "long enough password", ip: null });
    if (!account.ok) throw new Error("sign-up failed");
    const tenantId = account.tenant.id;
    await db().update(tenantTable).set({ whopCompanyId: `biz_${randomBase62(14)}`, whopCompanyTitle: `Outbound ${t}` }).where(eq(tenantTable.id, tenantId));
    const itemId = newId("item");
    await db().transaction((tx) => insertItem(tx, { id: itemId, tenantId, slug: newItemSlug(), title: "Outbound item", priceMinor: 2500, currency: "usd" }));
    const created = await createEndpoint(ownerActor(account.tenant, account.user), { url: `${receiver.url}/hooks/new`, eventTypes: ["order.paid", "order.refunded"] }, { allowPrivate: true });
    if (!created.ok) throw new Error(created.message);
    // Its id is known only now: the URL names it, so the receiver knows which secret to verify with.
    await db()
      .update(webhookEndpoints)
      .set({ url: `${receiver.url}/hooks/${created.endpoint.id}` })
      .where(and(eq(webhookEndpoints.tenantId, tenantId), eq(webhookEndpoints.id, created.endpoint.id)));
    secrets.set(created.endpoint.id, created.secret);
    const planned = Array.from({ length: ordersPerShop }, () => ({ id: newId("ord"), checkoutId: `ch_${randomBase62(15)}`, paymentId: `pay_${randomBase62(14)}` }));
    await db()
      .insert(orders)
      .values(planned.map((o) => ({ id: o.id, tenantId, itemId, amountMinor: 2500, currency: "usd", attemptId: randomBase62(24), whopCheckoutId: o.checkoutId })));
    shops.push({ tenantId, endpointId: created.endpoint.id, orders: planned });
  }
  return shops;
}

/** Every order paid, then fully refunded: two order changes (order.paid, order.refunded) each, committed `parallel` orders at a time. */
export async function commitOrderChanges(shops: Shop[], parallel = 8): Promise<number> {
  const { recordAndApply } = await import("@/lib/ledger/record");
  const { observationOf } = await import("@/lib/ledger/observations");
  const { normalizeWhopEvent } = await import("@/lib/whop/events");
  const { randomBase62 } = await import("@/lib/ids");
  const work = shops.flatMap((shop) => shop.orders.map((order) => ({ shop, order })));
  let committed = 0;
  const apply = async (tenantId: string, type: string, data: Record<string, unknown>) => {
    const body = { id: `msg_${randomBase62(24)}`, api_version: "v1", timestamp: new Date().toISOString(), type, company_id: "biz_x", data };
    const normalized = normalizeWhopEvent(body);
    if (!normalized.ok) throw new Error(normalized.error);
    const outcome = await recordAndApply({ id: tenantId }, { key: body.id, eventType: type, scheme: "standard", payload: JSON.stringify(body), observation: observationOf(normalized.event) });
    if (outcome.result === "applied") committed++;
  };
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      for (let next = work.shift(); next; next = work.shift()) {
        const { shop, order } = next;
        const metadata = { order_id: order.id, tenant_id: shop.tenantId };
        const embedded = { id: order.paymentId, total: 25, subtotal: 25, currency: "usd", metadata };
        await apply(shop.tenantId, "payment.succeeded", { ...embedded, status: "paid", substatus: "succeeded", refunded_amount: 0, billing_reason: "one_time", checkout_configuration_id: order.checkoutId });
        await apply(shop.tenantId, "refund.created", { id: `rfnd_${randomBase62(14)}`, amount: 25, currency: "usd", status: "succeeded", created_at: new Date().toISOString(), payment: embedded });
      }
    }),
  );
  return committed;
}
