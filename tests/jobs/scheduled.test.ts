import { and, eq, inArray } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { db } from "@/db/client";
import { orders, tenants, webhookEvents, type Order } from "@/db/schema";
import { createBuyerCheckout } from "@/lib/checkout/create-buyer-checkout";
import { randomBase62 } from "@/lib/ids";
import { createItem, itemFormSchema } from "@/lib/items/items";
import { isPrunedPayload, pruneWebhookPayloads, PRUNED_PAYLOAD } from "@/lib/ledger/retention";
import { reconcilePendingOrders, selectUnsettledOrders } from "@/lib/ledger/reconcile";
import { reconcileJob } from "@/lib/jobs/scheduled";
import { expireAbandonedCheckouts } from "@/lib/orders/expire";
import { ownerActor } from "@/lib/auth/actor";
import { connectWhopKey } from "@/lib/tenants/connect-whop";
import { getTenantById } from "@/lib/tenants/queries";
import { webhookUrl } from "@/lib/tenants/webhook-secret";
import { WHOP_EVENTS_APPLIED } from "@/lib/whop/events";
import { withTestDatabase } from "../db";
import { connectedMerchant, fixtureItem, fixtureLedger, fixtureOrder } from "../fixtures";
import { envelope, merchantWithOrder, paymentData, send } from "../ledger/helpers";
import { sandboxCompany, withLocalSandbox } from "../sandbox";

withTestDatabase();

const sandbox = withLocalSandbox();
const hoursAgo = (hours: number) => new Date(Date.now() - hours * 60 * 60_000);
const orderById = async (id: string) => (await db().select().from(orders).where(eq(orders.id, id)))[0]!;

/** A tenant connected to a fresh sandbox company. */
async function sandboxMerchant() {
  const company = await sandboxCompany(sandbox.current);
  const { tenant, user } = await connectedMerchant();
  await connectWhopKey(ownerActor({ ...tenant, whopCompanyId: null }, user), company.companyKey);
  return { tenant: (await getTenantById(tenant.id))!, user };
}

/** `count` unsettled orders of a tenant (checkouts Whop never heard of), last changed `age` ago. */
async function backlog(tenantId: string, count: number, ageHours: number): Promise<Order[]> {
  const tenant = (await getTenantById(tenantId))!;
  const item = await fixtureItem(tenant);
  const created: Order[] = [];
  for (let i = 0; i < count; i++) {
    // Spread over a few minutes so that "newest first" has an answer.
    const at = new Date(hoursAgo(ageHours).getTime() - i * 1_000);
    created.push(await fixtureOrder(tenant, item, { createdAt: at, updatedAt: at }));
  }
  return created;
}

describe("ledger.reconcile: fair across tenants", () => {
  it("a tenant with 200 pending orders does not stop another tenant's fresh one being reconciled in the same run", async () => {
    const busy = await sandboxMerchant();
    const pile = await backlog(busy.tenant.id, 200, 1);

    // The other tenant's buyer paid, but the webhook never arrived.
    const other = await sandboxMerchant();
    const created = await createItem(ownerActor(other.tenant, other.user), itemFormSchema.parse({ title: "Course", price: "49", currency: "usd" }));
    if (!created.ok) throw new Error(created.message);
    const visit = await createBuyerCheckout({ slug: created.item.slug, attemptId: randomBase62(24), ip: "192.0.2.77" });
    if (visit.kind !== "redirect") throw new Error(visit.kind);
    const fresh = await orderById(visit.orderId);
    await fetch(`${sandbox.current.url}/_sandbox/checkouts/${fresh.whopCheckoutId}/pay`, { method: "POST", body: "{}" });
    const elevenMinutesAgo = new Date(Date.now() - 11 * 60_000);
    await db().update(orders).set({ updatedAt: elevenMinutesAgo }).where(eq(orders.id, fresh.id));

    const selection = await selectUnsettledOrders({ window: "recent" });
    const busyPicked = selection.filter((row) => row.tenant.id === busy.tenant.id).map((row) => row.order.id);
    // At most 50 per tenant and run, the newest first.
    expect(busyPicked).toEqual(pile.slice(0, 50).map((o) => o.id));
    // Rank by rank across tenants: the other tenant's only order comes before the busy one's second.
    const position = (id: string) => selection.findIndex((row) => row.order.id === id);
    expect(position(fresh.id)).toBeGreaterThanOrEqual(0);
    expect(position(fresh.id)).toBeLessThan(position(pile[1]!.id));
    // …and so it is in even a run too small for the backlog.
    const small = await selectUnsettledOrders({ window: "recent", maxOrders: 2 + (await countRankOneTenantsBefore(fresh.id)) });
    expect(small.map((row) => row.order.id)).toContain(fresh.id);

    await reconcilePendingOrders({ window: "recent" });
    expect(await orderById(fresh.id)).toMatchObject({ status: "paid", paidMinor: 4900 });
  });

  it("old unsettled orders are left to the daily pass, which is bounded and rotates day by day", async () => {
    const { tenant } = await sandboxMerchant();
    const old = await backlog(tenant.id, 120, 72);
    const ids = new Set(old.map((o) => o.id));
    const mine = (rows: { order: Order }[]) => rows.map((row) => row.order.id).filter((id) => ids.has(id));

    expect(mine(await selectUnsettledOrders({ window: "recent" }))).toEqual([]);
    const today = mine(await selectUnsettledOrders({ window: "older" }));
    const tomorrow = mine(await selectUnsettledOrders({ window: "older", now: new Date(Date.now() + 24 * 60 * 60_000) }));
    expect(today).toHaveLength(50);
    expect(tomorrow).toHaveLength(50);
    expect(new Set([...today, ...tomorrow]).size).toBeGreaterThan(50);
  });
});

describe("ledger.reconcile: created webhooks", () => {
  it("the scheduled job first brings the webhooks the connector created up to date", async () => {
    const company = (await (await fetch(`${sandbox.current.url}/_sandbox/companies`, { method: "POST", body: "{}" })).json()) as { companyId: string; companyKey: string };
    const account = await connectedMerchant();
    await connectWhopKey(ownerActor({ ...account.tenant, whopCompanyId: null }, account.user), company.companyKey);
    const tenant = (await getTenantById(account.tenant.id))!;
    const whop = async <T,>(method: string, path: string, body?: unknown) =>
      (await (await fetch(`${sandbox.current.url}${path}`, { method, headers: { authorization: `Bearer ${company.companyKey}`, "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) })).json()) as T;
    // A webhook an earlier version created with a shorter list; its events not known.
    const hook = await whop<{ id: string }>("POST", "/api/v1/webhooks", { url: webhookUrl(tenant), api_version: "v1", enabled: true, events: ["payment.succeeded"], resource_id: company.companyId });
    await db().update(tenants).set({ whopWebhookId: hook.id, whopWebhookEvents: null }).where(eq(tenants.id, tenant.id));

    await reconcileJob();
    const patched = await whop<{ events: string[] }>("GET", `/api/v1/webhooks/${hook.id}`);
    expect(patched.events).toEqual(expect.arrayContaining([...WHOP_EVENTS_APPLIED]));
  });
});

/** How many rank-one orders of other tenants the selection puts before this one (other test files share the database). */
async function countRankOneTenantsBefore(orderId: string): Promise<number> {
  const selection = await selectUnsettledOrders({ window: "recent" });
  const seen = new Set<string>();
  for (const row of selection) {
    if (row.order.id === orderId) return seen.size;
    seen.add(row.tenant.id);
  }
  return seen.size;
}

describe("orders.expire", () => {
  it("expires checkouts pending for 24 hours with no payment, and only those", async () => {
    const { tenant } = await connectedMerchant();
    const item = await fixtureItem(tenant);
    const abandoned = await fixtureOrder(tenant, item, { createdAt: hoursAgo(25), updatedAt: hoursAgo(25) });
    const recent = await fixtureOrder(tenant, item, { createdAt: hoursAgo(23), updatedAt: hoursAgo(23) });
    const processing = await fixtureOrder(tenant, item, { createdAt: hoursAgo(30), updatedAt: hoursAgo(30) });
    await fixtureLedger(tenant, processing, { payments: [{ status: "pending" }] });
    const failed = await fixtureOrder(tenant, item, { createdAt: hoursAgo(30), updatedAt: hoursAgo(30) });
    await fixtureLedger(tenant, failed, { payments: [{ status: "failed" }] });

    const report = await expireAbandonedCheckouts({ tenantId: tenant.id });
    expect(report).toMatchObject({ checked: 1, expired: 1, more: false });
    expect(await orderById(abandoned.id)).toMatchObject({ status: "expired", expiredAt: expect.any(Date) });
    expect((await orderById(abandoned.id)).updatedAt.getTime()).toBeGreaterThan(hoursAgo(1).getTime());
    expect(await orderById(recent.id)).toMatchObject({ status: "pending", expiredAt: null });
    expect(await orderById(processing.id)).toMatchObject({ status: "pending", expiredAt: null });
    expect(await orderById(failed.id)).toMatchObject({ status: "failed", expiredAt: null });

    // Running again changes nothing.
    expect(await expireAbandonedCheckouts({ tenantId: tenant.id })).toMatchObject({ checked: 0, expired: 0 });
  });

  it("is bounded per run", async () => {
    const { tenant } = await connectedMerchant();
    const item = await fixtureItem(tenant);
    for (let i = 0; i < 5; i++) await fixtureOrder(tenant, item, { createdAt: hoursAgo(48 + i), updatedAt: hoursAgo(48 + i) });
    expect(await expireAbandonedCheckouts({ tenantId: tenant.id, limit: 3 })).toEqual({ checked: 3, expired: 3, more: true });
    expect(await expireAbandonedCheckouts({ tenantId: tenant.id, limit: 3 })).toEqual({ checked: 2, expired: 2, more: false });
  });

  it("a payment that arrives after expiry still makes the order paid", async () => {
    const m = await merchantWithOrder({ createdAt: hoursAgo(26), updatedAt: hoursAgo(26) });
    await expireAbandonedCheckouts({ tenantId: m.tenant.id });
    expect((await orderById(m.order.id)).status).toBe("expired");

    const delivery = await send(m, envelope("payment.succeeded", paymentData(m.order)));
    expect(delivery.status).toBe(200);
    expect(await orderById(m.order.id)).toMatchObject({ status: "paid", paidMinor: 4000 });
  });
});

describe("webhooks.prune_payloads", () => {
  it("removes raw payloads older than the retention period and keeps the rows", async () => {
    const m = await merchantWithOrder();
    expect((await send(m, envelope("payment.succeeded", paymentData(m.order)))).status).toBe(200);
    expect((await send(m, envelope("membership.activated", { id: "mem_x" }))).status).toBe(200);
    const events = await db().select().from(webhookEvents).where(eq(webhookEvents.tenantId, m.tenant.id)).orderBy(webhookEvents.id);
    expect(events.length).toBeGreaterThanOrEqual(2);
    const [old, young] = events as [(typeof events)[0], (typeof events)[0]];
    await db().update(webhookEvents).set({ receivedAt: new Date(Date.now() - 91 * 24 * 60 * 60_000) }).where(and(eq(webhookEvents.tenantId, m.tenant.id), eq(webhookEvents.id, old.id)));

    const report = await pruneWebhookPayloads({ tenantId: m.tenant.id });
    expect(report).toMatchObject({ tenants: 1, pruned: 1, more: false });
    const after = await db().select().from(webhookEvents).where(and(eq(webhookEvents.tenantId, m.tenant.id), inArray(webhookEvents.id, [old.id, young.id])));
    const byId = new Map(after.map((e) => [e.id, e]));
    expect(byId.get(old.id)).toMatchObject({ payload: PRUNED_PAYLOAD, eventKey: old.eventKey, result: old.result, detail: old.detail, orderId: old.orderId });
    expect(isPrunedPayload(byId.get(old.id)!.payload)).toBe(true);
    expect(byId.get(young.id)!.payload).toBe(young.payload);
    // The ledger is untouched.
    expect(await orderById(m.order.id)).toMatchObject({ status: "paid" });
    // Pruned once.
    expect((await pruneWebhookPayloads({ tenantId: m.tenant.id })).pruned).toBe(0);
    // A shorter retention reaches the younger one too.
    expect((await pruneWebhookPayloads({ tenantId: m.tenant.id, retentionDays: 1, now: new Date(Date.now() + 2 * 24 * 60 * 60_000) })).pruned).toBe(events.length - 1);
  });

  it("is bounded per run", async () => {
    const m = await merchantWithOrder();
    for (let i = 0; i < 3; i++) await send(m, envelope("membership.activated", { id: `mem_${i}` }));
    await db().update(webhookEvents).set({ receivedAt: new Date(Date.now() - 200 * 24 * 60 * 60_000) }).where(eq(webhookEvents.tenantId, m.tenant.id));
    expect(await pruneWebhookPayloads({ tenantId: m.tenant.id, batchSize: 2, maxRows: 2 })).toMatchObject({ pruned: 2, more: true });
    expect(await pruneWebhookPayloads({ tenantId: m.tenant.id, batchSize: 2, maxRows: 2 })).toMatchObject({ pruned: 1, more: false });
  });
});
