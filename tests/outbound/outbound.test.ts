import { and, eq, sql } from "drizzle-orm";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { GET as eventsRoute } from "@/app/api/v1/events/route";
import { db, selectRows } from "@/db/client";
import { orders, outboundEvents, problems, webhookDeliveries, webhookDeliveryAttempts, webhookEndpoints, type Order, type Tenant } from "@/db/schema";
import { paymentsOfOrders, toApiOrder } from "@/lib/api/orders";
import { createApiToken } from "@/lib/api/tokens";
import { applyObservation, rederiveOrder } from "@/lib/ledger/apply";
import { observationOf } from "@/lib/ledger/observations";
import {
  attemptDelivery,
  deliverWebhookJob,
  MIN_IN_FLIGHT_PER_ENDPOINT,
  QUICK_ANSWER_MS,
  QUICK_IN_FLIGHT_PER_ENDPOINT,
  QUICK_SAMPLE,
  retryDelaySeconds,
  RETRY_SCHEDULE_SECONDS,
} from "@/lib/outbound/deliver";
import {
  ATTEMPT_LOG_SIZE,
  createEndpoint,
  listEndpointAttempts,
  MANUAL_SENDS_PER_MINUTE,
  resendDelivery,
  rotateEndpointSecret,
  sendTestEvent,
  setEndpointEnabled,
} from "@/lib/outbound/endpoints";
import { ORDER_EVENT_TYPES, orderEventTypes } from "@/lib/outbound/events";
import { postJson } from "@/lib/outbound/http";
import { signingSecrets } from "@/lib/outbound/signing";
import { blockedAddressReason, checkEndpointUrl } from "@/lib/outbound/ssrf";
import { normalizeWhopEvent } from "@/lib/whop/events";
import { withTestDatabase } from "../db";
import { disputeData, envelope, membershipData, merchantWithOrder, paymentData, refundData, send } from "../ledger/helpers";
import { startReceiver } from "./receiver";

withTestDatabase();

let receiver: Awaited<ReturnType<typeof startReceiver>>;
beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(() => receiver.close());
beforeEach(() => {
  receiver.received.length = 0;
  receiver.always({ status: 200, body: "ok" });
});

type Merchant = Awaited<ReturnType<typeof merchantWithOrder>>;
const actorOf = (m: Merchant) => m.actor;

async function withEndpoint(m: Merchant, eventTypes: readonly string[] = ORDER_EVENT_TYPES, path = "/hooks/whop") {
  const created = await createEndpoint(actorOf(m), { url: receiver.url(path), eventTypes }, { allowPrivate: true });
  if (!created.ok) throw new Error(created.message);
  return created;
}

const eventsOfOrder = (tenant: Tenant, orderId: string) =>
  db()
    .select()
    .from(outboundEvents)
    .where(and(eq(outboundEvents.tenantId, tenant.id), eq(outboundEvents.orderId, orderId)))
    .orderBy(outboundEvents.seq);
const deliveriesOf = (tenant: Tenant, endpointId: string) =>
  db()
    .select()
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.tenantId, tenant.id), eq(webhookDeliveries.endpointId, endpointId)));
const attemptsOf = (tenant: Tenant, deliveryId: string) =>
  db()
    .select()
    .from(webhookDeliveryAttempts)
    .where(and(eq(webhookDeliveryAttempts.tenantId, tenant.id), eq(webhookDeliveryAttempts.deliveryId, deliveryId)))
    .orderBy(webhookDeliveryAttempts.id);
const orderRow = async (m: Merchant) => (await db().select().from(orders).where(and(eq(orders.tenantId, m.tenant.id), eq(orders.id, m.order.id))))[0]!;
async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
const jobsFor = (deliveryId: string) =>
  selectRows<{ count: number }>(sql`select count(*)::int as count from pgboss.job where name = 'webhooks.deliver' and data->>'deliveryId' = ${deliveryId}`);

describe("order event types from before/after", () => {
  const base = { status: "pending" as Order["status"], refundPending: false, refundedMinor: 0, membershipValid: null as boolean | null };
  it("derives each type, more than one per change, none without a change", () => {
    expect(orderEventTypes(base, { ...base, status: "paid" })).toEqual(["order.paid"]);
    expect(orderEventTypes({ ...base, status: "paid" }, { ...base, status: "disputed" })).toEqual(["order.disputed"]);
    expect(orderEventTypes({ ...base, status: "disputed" }, { ...base, status: "paid" })).toEqual(["order.dispute_won"]);
    expect(orderEventTypes({ ...base, status: "disputed" }, { ...base, status: "dispute_lost" })).toEqual(["order.dispute_lost"]);
    expect(orderEventTypes({ ...base, status: "paid" }, { ...base, status: "paid", refundPending: true })).toEqual(["order.refund_pending"]);
    expect(orderEventTypes({ ...base, status: "paid", refundPending: true }, { ...base, status: "paid" })).toEqual(["order.refund_failed"]);
    expect(orderEventTypes({ ...base, status: "paid", refundPending: true }, { ...base, status: "partially_refunded", refundedMinor: 500 })).toEqual(["order.partially_refunded"]);
    expect(orderEventTypes({ ...base, status: "partially_refunded", refundedMinor: 500, refundPending: true }, { ...base, status: "partially_refunded", refundedMinor: 900 })).toEqual([
      "order.partially_refunded",
    ]);
    expect(orderEventTypes({ ...base, status: "paid", membershipValid: true }, { ...base, status: "refunded", refundedMinor: 4000, membershipValid: false })).toEqual([
      "order.refunded",
      "membership.deactivated",
    ]);
    expect(orderEventTypes(base, { ...base, status: "expired" })).toEqual(["order.expired"]);
    // The payment arriving after its refund or dispute: paid first, then where it stands.
    expect(orderEventTypes(base, { ...base, status: "partially_refunded", refundedMinor: 500 })).toEqual(["order.paid", "order.partially_refunded"]);
    expect(orderEventTypes(base, { ...base, status: "disputed" })).toEqual(["order.paid", "order.disputed"]);
    expect(orderEventTypes({ ...base, status: "failed" }, { ...base, status: "paid" })).toEqual(["order.paid"]);
    expect(orderEventTypes({ ...base, status: "paid" }, { ...base, status: "paid", membershipValid: true })).toEqual(["membership.activated"]);
    expect(orderEventTypes({ ...base, status: "paid" }, { ...base, status: "paid" })).toEqual([]);
    expect(orderEventTypes(base, { ...base, status: "failed" })).toEqual([]);
  });
});

describe("transactional outbox", () => {
  it("a webhook that makes an order paid writes exactly one order.paid event, with the order as committed, and a delivery + job per subscribed endpoint", async () => {
    const m = await merchantWithOrder();
    const all = await withEndpoint(m);
    const disputesOnly = await withEndpoint(m, ["order.disputed"]);

    expect(await send(m, envelope("payment.succeeded", paymentData(m.order)))).toMatchObject({ body: { result: "recorded" }, event: { result: "applied" } });
    const events = await eventsOfOrder(m.tenant, m.order.id);
    expect(events.map((event) => event.type)).toEqual(["order.paid"]);
    const body = JSON.parse(events[0]!.payload) as { id: string; type: string; created_at: string; data: unknown };
    expect(Object.keys(body)).toEqual(["id", "type", "created_at", "data"]);
    expect(body.id).toMatch(/^evt_[A-Za-z0-9]{24}$/);
    const committed = await orderRow(m);
    expect(committed.status).toBe("paid");
    const payments = (await paymentsOfOrders(m.tenant.id, [committed.id])).get(committed.id)!;
    expect(payments).toHaveLength(1);
    expect(body.data).toEqual(JSON.parse(JSON.stringify(toApiOrder(committed, m.item.title, payments, new Date(body.created_at)))));

    const deliveries = await deliveriesOf(m.tenant, all.endpoint.id);
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]).toMatchObject({ eventId: body.id, state: "pending", attempts: 0 });
    expect(await deliveriesOf(m.tenant, disputesOnly.endpoint.id)).toEqual([]);
    expect((await jobsFor(deliveries[0]!.id))[0]!.count).toBe(1);

    // The same event again (a duplicate delivery from Whop) changes nothing: no second event.
    await send(m, envelope("payment.succeeded", paymentData(m.order)));
    expect(await eventsOfOrder(m.tenant, m.order.id)).toHaveLength(1);
  });

  it("a rolled-back transaction writes no event, delivery or job", async () => {
    const m = await merchantWithOrder();
    const endpoint = await withEndpoint(m);
    const normalized = normalizeWhopEvent(JSON.parse(envelope("payment.succeeded", paymentData(m.order))));
    if (!normalized.ok) throw new Error(normalized.error);
    await expect(
      db().transaction(async (tx) => {
        const applied = await applyObservation(tx, m.tenant.id, observationOf(normalized.event));
        expect(applied.result).toBe("applied");
        expect(await tx.select().from(outboundEvents).where(and(eq(outboundEvents.tenantId, m.tenant.id), eq(outboundEvents.orderId, m.order.id)))).toHaveLength(1);
        throw new Error("roll back");
      }),
    ).rejects.toThrow("roll back");
    expect(await eventsOfOrder(m.tenant, m.order.id)).toEqual([]);
    expect(await deliveriesOf(m.tenant, endpoint.endpoint.id)).toEqual([]);
    expect((await orderRow(m)).status).toBe("pending");
  });

  it("an abandoned checkout's expiry (as the orders.expire job derives it) gives order.expired", async () => {
    const m = await merchantWithOrder();
    const expiredAt = new Date();
    await db().transaction(async (tx) => {
      await tx.update(orders).set({ expiredAt }).where(and(eq(orders.tenantId, m.tenant.id), eq(orders.id, m.order.id)));
      await rederiveOrder(tx, m.tenant.id, { ...m.order, expiredAt });
    });
    expect((await eventsOfOrder(m.tenant, m.order.id)).map((event) => [event.type, (JSON.parse(event.payload) as { data: { status: string } }).data.status])).toEqual([["order.expired", "expired"]]);
  });

  it("refunds, disputes and memberships give their events", async () => {
    const m = await merchantWithOrder();
    await send(m, envelope("payment.succeeded", paymentData(m.order)));
    await send(m, envelope("membership.activated", membershipData(m.order)));
    await send(m, envelope("refund.created", refundData(m.order, "rfnd_Pending0001", 10, "pending")));
    await send(m, envelope("refund.updated", refundData(m.order, "rfnd_Pending0001", 10, "failed")));
    await send(m, envelope("dispute.created", disputeData(m.order, "dspt_Won0000001", "needs_response")));
    await send(m, envelope("dispute.updated", disputeData(m.order, "dspt_Won0000001", "won")));
    await send(m, envelope("refund.created", refundData(m.order, "rfnd_Partial001", 10, "succeeded")));
    await send(m, envelope("refund.created", refundData(m.order, "rfnd_Rest000001", 30, "succeeded")));
    expect((await eventsOfOrder(m.tenant, m.order.id)).map((event) => event.type)).toEqual([
      "order.paid",
      "membership.activated",
      "order.refund_pending",
      "order.refund_failed",
      "order.disputed",
      "order.dispute_won",
      "order.partially_refunded",
      "order.refunded",
    ]);
  });
});

describe("signed deliveries to a real receiver", () => {
  it("every attempt verifies with standardwebhooks; 500 then 200 is retried on the schedule and delivered, webhook-id = the event id", async () => {
    const m = await merchantWithOrder();
    const { endpoint, secret } = await withEndpoint(m);
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    await send(m, envelope("payment.succeeded", paymentData(m.order)));
    const [delivery] = await deliveriesOf(m.tenant, endpoint.id);
    const [event] = await eventsOfOrder(m.tenant, m.order.id);

    receiver.reply({ status: 500, body: "x".repeat(5000) }, { status: 200, body: "thanks" });
    const first = await attemptDelivery(m.tenant.id, delivery!.id, { random: () => 0.5 });
    expect(first).toMatchObject({ kind: "failed", attempt: 1, nextAttemptInSeconds: RETRY_SCHEDULE_SECONDS[0] });
    const pending = (await deliveriesOf(m.tenant, endpoint.id))[0]!;
    expect(pending).toMatchObject({ state: "pending", attempts: 1, retryStep: 1, lastStatus: 500 });
    expect((await jobsFor(delivery!.id))[0]!.count).toBe(2); // the first job and the retry's

    // A job running before the attempt is due does nothing.
    expect(await attemptDelivery(m.tenant.id, delivery!.id)).toEqual({ kind: "skipped", reason: "not_due" });
    const second = await attemptDelivery(m.tenant.id, delivery!.id, { now: () => new Date(pending.nextAttemptAt!.getTime() + 1) });
    expect(second).toEqual({ kind: "delivered", attempt: 2, status: 200 });
    // Idempotent under job retries: a delivered delivery is never sent again.
    expect(await attemptDelivery(m.tenant.id, delivery!.id)).toEqual({ kind: "skipped", reason: "done" });

    expect(receiver.received).toHaveLength(2);
    for (const request of receiver.received) {
      expect(request.headers["webhook-id"]).toBe(event!.id);
      expect(request.body).toBe(event!.payload);
      expect(new Webhook(secret).verify(request.body, request.headers)).toMatchObject({ id: event!.id, type: "order.paid" });
    }
    const attempts = await attemptsOf(m.tenant, delivery!.id);
    expect(attempts.map((a) => [a.attempt, a.status, a.eventId, a.eventType])).toEqual([
      [1, 500, event!.id, "order.paid"],
      [2, 200, event!.id, "order.paid"],
    ]);
    expect(attempts[0]!.responseBody).toHaveLength(1024);
    expect(attempts[1]!.responseBody).toBe("thanks");
    expect(attempts[0]!.durationMs).toBeGreaterThanOrEqual(0);
    // The stored event and log hold no secret.
    expect(JSON.stringify([event, attempts])).not.toContain(secret.slice(6, 20));
  });

  it("an attempt whose worker died (sending, lease lapsed) is taken up by the next job; one in flight leaves a check for after its lease", async () => {
    const m = await merchantWithOrder();
    const { endpoint } = await withEndpoint(m);
    await send(m, envelope("payment.succeeded", paymentData(m.order)));
    const [delivery] = await deliveriesOf(m.tenant, endpoint.id);
    const mine = and(eq(webhookDeliveries.tenantId, m.tenant.id), eq(webhookDeliveries.id, delivery!.id));
    await db().update(webhookDeliveries).set({ state: "sending", attempts: 1, leaseUntil: new Date(Date.now() + 20_000) }).where(mine);
    const jobsBefore = (await jobsFor(delivery!.id))[0]!.count;
    expect(await attemptDelivery(m.tenant.id, delivery!.id)).toEqual({ kind: "skipped", reason: "in_flight" });
    expect((await jobsFor(delivery!.id))[0]!.count).toBe(jobsBefore + 1);
    await db().update(webhookDeliveries).set({ leaseUntil: new Date(Date.now() - 1000) }).where(mine);
    expect(await attemptDelivery(m.tenant.id, delivery!.id)).toEqual({ kind: "delivered", attempt: 2, status: 200 });
  });

  it("a hanging receiver: the attempt times out (injectable timeout) and is recorded", async () => {
    const m = await merchantWithOrder();
    const { endpoint } = await withEndpoint(m);
    await send(m, envelope("payment.succeeded", paymentData(m.order)));
    const [delivery] = await deliveriesOf(m.tenant, endpoint.id);
    receiver.reply("hang");
    const result = await attemptDelivery(m.tenant.id, delivery!.id, { timeoutMs: 300 });
    expect(result).toMatchObject({ kind: "failed", attempt: 1 });
    const [attempt] = await attemptsOf(m.tenant, delivery!.id);
    expect(attempt).toMatchObject({ status: null, error: "timed out after 300 ms" });
    expect(attempt!.durationMs).toBeGreaterThanOrEqual(290);
    expect(attempt!.durationMs).toBeLessThan(3000);
  });

  it("redirects are not followed: a 302 is a failed attempt", async () => {
    const m = await merchantWithOrder();
    const { endpoint } = await withEndpoint(m);
    await send(m, envelope("payment.succeeded", paymentData(m.order)));
    const [delivery] = await deliveriesOf(m.tenant, endpoint.id);
    receiver.reply({ status: 302 });
    expect(await attemptDelivery(m.tenant.id, delivery!.id)).toMatchObject({ kind: "failed" });
    expect(receiver.received).toHaveLength(1);
  });

  it("at most two attempts in flight per endpoint: a third delivery finds it busy and comes back later", async () => {
    const m = await merchantWithOrder();
    const { endpoint } = await withEndpoint(m, ["order.paid"]);
    const others = await Promise.all([1, 2].map(() => merchantWithOrder()));
    // Three paid orders of one tenant, each with a delivery to the slow endpoint.
    const extra = await Promise.all(others.map(async () => (await import("../fixtures")).fixtureOrder(m.tenant, m.item)));
    await send(m, envelope("payment.succeeded", paymentData(m.order)));
    for (const order of extra) await send(m, envelope("payment.succeeded", paymentData(order)));
    const deliveries = await deliveriesOf(m.tenant, endpoint.id);
    expect(deliveries).toHaveLength(3);
    receiver.always({ status: 200, delayMs: 600 });
    const first = deliveries.slice(0, MIN_IN_FLIGHT_PER_ENDPOINT).map((d) => attemptDelivery(m.tenant.id, d.id));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await attemptDelivery(m.tenant.id, deliveries[2]!.id)).toEqual({ kind: "skipped", reason: "busy" });
    expect((await Promise.all(first)).map((r) => r.kind)).toEqual(["delivered", "delivered"]);
    expect(await attemptDelivery(m.tenant.id, deliveries[2]!.id)).toMatchObject({ kind: "delivered" });
  });

  it("jobs for a quick endpoint wait their turn in the worker instead of being put off: six at once are all delivered", async () => {
    const m = await merchantWithOrder();
    const { endpoint } = await withEndpoint(m, ["order.paid"]);
    const extra = await Promise.all([1, 2, 3, 4, 5].map(async () => (await import("../fixtures")).fixtureOrder(m.tenant, m.item)));
    await send(m, envelope("payment.succeeded", paymentData(m.order)));
    for (const order of extra) await send(m, envelope("payment.succeeded", paymentData(order)));
    const deliveries = await deliveriesOf(m.tenant, endpoint.id);
    expect(deliveries).toHaveLength(6);
    // Slow enough that the third job finds two in flight, quick enough that three rounds fit in BUSY_WAIT_MS.
    receiver.always({ status: 200, delayMs: 400 });
    await Promise.all(deliveries.map((d) => deliverWebhookJob({ tenantId: m.tenant.id, deliveryId: d.id, endpointId: endpoint.id }, { id: d.id, retryCount: 0 })));
    expect((await deliveriesOf(m.tenant, endpoint.id)).map((d) => d.state)).toEqual(Array(6).fill("delivered"));
    expect(receiver.received).toHaveLength(6);
  });

  it("the bound holds for attempts claimed at the same moment: three at once to a new endpoint, two go out, the third finds it busy", async () => {
    const m = await merchantWithOrder();
    const { endpoint } = await withEndpoint(m, ["order.paid"]);
    const { fixtureOrder } = await import("../fixtures");
    const extra = await Promise.all([1, 2].map(() => fixtureOrder(m.tenant, m.item)));
    await send(m, envelope("payment.succeeded", paymentData(m.order)));
    for (const order of extra) await send(m, envelope("payment.succeeded", paymentData(order)));
    const deliveries = await deliveriesOf(m.tenant, endpoint.id);
    receiver.always({ status: 200, delayMs: 500 });
    // Open enough pooled connections first, so the three claims really run side by side.
    await Promise.all([1, 2, 3, 4].map(() => db().execute(sql`select pg_sleep(0.05)`)));
    const results = await Promise.all(deliveries.map((d) => attemptDelivery(m.tenant.id, d.id)));
    expect(results.map((r) => r.kind).sort()).toEqual(["delivered", "delivered", "skipped"]);
    expect(results.find((r) => r.kind === "skipped")).toEqual({ kind: "skipped", reason: "busy" });
    expect(receiver.received).toHaveLength(MIN_IN_FLIGHT_PER_ENDPOINT);
  });

  it("a quick endpoint gets more than two turns; once an attempt runs past QUICK_ANSWER_MS, and while its latest attempts timed out, it gets two", async () => {
    const m = await merchantWithOrder();
    const { endpoint } = await withEndpoint(m, ["order.paid"]);
    const { fixtureOrder } = await import("../fixtures");
    const extra = await Promise.all(Array.from({ length: QUICK_SAMPLE + 6 }, () => fixtureOrder(m.tenant, m.item)));
    await send(m, envelope("payment.succeeded", paymentData(m.order)));
    for (const order of extra) await send(m, envelope("payment.succeeded", paymentData(order)));
    const deliveries = await deliveriesOf(m.tenant, endpoint.id);
    const next = () => deliveries.shift()!.id;
    // Its first attempts answer at once: a quick endpoint.
    for (let i = 0; i < QUICK_SAMPLE; i++) expect(await attemptDelivery(m.tenant.id, next())).toMatchObject({ kind: "delivered" });

    // It starts hanging: three attempts at once all go out (a new or slow endpoint would get two)…
    receiver.always("hang");
    const timeoutMs = QUICK_ANSWER_MS + 1_500;
    const hanging = [next(), next(), next()].map((id) => attemptDelivery(m.tenant.id, id, { timeoutMs }));
    await until(() => receiver.received.length === QUICK_SAMPLE + 3);
    expect(QUICK_IN_FLIGHT_PER_ENDPOINT).toBeGreaterThan(3);
    // …and once they have run longer than QUICK_ANSWER_MS it is slow: the next one finds it busy.
    await new Promise((resolve) => setTimeout(resolve, QUICK_ANSWER_MS + 200));
    expect(await attemptDelivery(m.tenant.id, next())).toEqual({ kind: "skipped", reason: "busy" });
    expect((await Promise.all(hanging)).map((r) => r.kind)).toEqual(["failed", "failed", "failed"]);

    // Nothing in flight, but its latest attempts timed out: two turns, the third finds it busy.
    receiver.always({ status: 200, delayMs: 400 });
    const [a, b, c] = [next(), next(), next()];
    const two = [attemptDelivery(m.tenant.id, a), attemptDelivery(m.tenant.id, b)];
    await until(() => receiver.received.length === QUICK_SAMPLE + 5);
    expect(await attemptDelivery(m.tenant.id, c)).toEqual({ kind: "skipped", reason: "busy" });
    expect((await Promise.all(two)).map((r) => r.kind)).toEqual(["delivered", "delivered"]);
  });

  it("Send test event and Resend share a limit per endpoint: past it they are refused with a clear message and send nothing", async () => {
    // A fixed window per minute: start well inside one.
    const toWindowEnd = 60_000 - (Date.now() % 60_000);
    if (toWindowEnd < 15_000) await new Promise((resolve) => setTimeout(resolve, toWindowEnd + 100));
    const m = await merchantWithOrder();
    const { endpoint } = await withEndpoint(m, ["order.paid"]);
    const other = await withEndpoint(m, ["order.paid"], "/hooks/other");
    await send(m, envelope("payment.succeeded", paymentData(m.order)));
    const [delivery] = await deliveriesOf(m.tenant, endpoint.id);
    for (let i = 0; i < MANUAL_SENDS_PER_MINUTE - 1; i++) expect((await sendTestEvent(actorOf(m), endpoint.id)).ok).toBe(true);
    expect((await resendDelivery(actorOf(m), delivery!.id)).ok).toBe(true);
    const sent = receiver.received.length;
    expect(sent).toBe(MANUAL_SENDS_PER_MINUTE);

    const refused = await sendTestEvent(actorOf(m), endpoint.id);
    expect(refused.ok).toBe(false);
    expect(refused.message).toMatch(new RegExp(`^Too many test events and resends to this endpoint: at most ${MANUAL_SENDS_PER_MINUTE} a minute\\. Try again in \\d+ s\\.$`));
    expect(await resendDelivery(actorOf(m), delivery!.id)).toMatchObject({ ok: false, message: expect.stringMatching(/^Too many test events and resends/) });
    expect(receiver.received).toHaveLength(sent);
    // No event was written for the refused test event.
    const tests = await db().select().from(outboundEvents).where(and(eq(outboundEvents.tenantId, m.tenant.id), eq(outboundEvents.type, "webhook.test")));
    expect(tests).toHaveLength(MANUAL_SENDS_PER_MINUTE - 1);
    // Each test event went to its endpoint only: the other holds just the order's delivery.
    expect(await deliveriesOf(m.tenant, other.endpoint.id)).toHaveLength(1);
    // Another endpoint counts its own.
    expect((await sendTestEvent(actorOf(m), other.endpoint.id)).ok).toBe(true);
  });

  it("the delivery log pages beyond its first page: newest first, every attempt once, ties in time broken by id", async () => {
    const m = await merchantWithOrder();
    const { endpoint } = await withEndpoint(m, ["order.paid"]);
    await send(m, envelope("payment.succeeded", paymentData(m.order)));
    const [delivery] = await deliveriesOf(m.tenant, endpoint.id);
    const [event] = await eventsOfOrder(m.tenant, m.order.id);
    const base = Date.now() - 3_600_000;
    // Two attempts per instant, so a page boundary falls between rows of the same time.
    const rows = Array.from({ length: ATTEMPT_LOG_SIZE + 5 }, (_, i) => ({
      tenantId: m.tenant.id,
      deliveryId: delivery!.id,
      endpointId: endpoint.id,
      eventId: event!.id,
      eventType: "order.paid",
      attempt: i + 1,
      status: 500,
      durationMs: 3,
      createdAt: new Date(base + Math.floor(i / 2) * 1000),
    }));
    await db().insert(webhookDeliveryAttempts).values(rows);
    const first = await listEndpointAttempts(m.tenant.id, endpoint.id);
    expect(first.attempts).toHaveLength(ATTEMPT_LOG_SIZE);
    expect(first.nextCursor).not.toBeNull();
    const second = await listEndpointAttempts(m.tenant.id, endpoint.id, first.nextCursor!);
    expect(second.attempts).toHaveLength(5);
    expect(second.nextCursor).toBeNull();
    const seen = [...first.attempts, ...second.attempts].map((a) => a.attempt);
    expect(seen).toEqual(rows.map((r) => r.attempt).reverse());
    // A cursor that is not one of ours gives the first page.
    expect((await listEndpointAttempts(m.tenant.id, endpoint.id, "not-a-cursor")).attempts[0]!.attempt).toBe(ATTEMPT_LOG_SIZE + 5);
  });

  it("rotation: both secrets sign during the 24 h overlap, only the new one after", async () => {
    const m = await merchantWithOrder();
    const { endpoint, secret: old } = await withEndpoint(m);
    const rotated = await rotateEndpointSecret(actorOf(m), endpoint.id);
    if (!rotated.ok) throw new Error(rotated.message);
    expect(rotated.secret).not.toBe(old);
    expect((await sendTestEvent(actorOf(m), endpoint.id)).ok).toBe(true);
    const [request] = receiver.received;
    expect(request!.headers["webhook-signature"]!.split(" ")).toHaveLength(2);
    expect(new Webhook(rotated.secret).verify(request!.body, request!.headers)).toMatchObject({ type: "webhook.test" });
    expect(new Webhook(old).verify(request!.body, request!.headers)).toMatchObject({ type: "webhook.test" });

    const [row] = await db().select().from(webhookEndpoints).where(and(eq(webhookEndpoints.tenantId, m.tenant.id), eq(webhookEndpoints.id, endpoint.id)));
    expect(signingSecrets(row!, new Date(Date.now() + 23 * 3600_000))).toEqual([rotated.secret, old]);
    expect(signingSecrets(row!, new Date(Date.now() + 25 * 3600_000))).toEqual([rotated.secret]);
    // Never stored in clear.
    expect(JSON.stringify(row)).not.toContain(rotated.secret.slice(6, 20));
    expect(JSON.stringify(row)).not.toContain(old.slice(6, 20));
  });

  it("3 days of failures disable the endpoint with a problem; re-enabling resends what it missed", async () => {
    const m = await merchantWithOrder();
    const { endpoint, secret } = await withEndpoint(m);
    await send(m, envelope("payment.succeeded", paymentData(m.order)));
    const [delivery] = await deliveriesOf(m.tenant, endpoint.id);
    receiver.reply({ status: 503 });
    await attemptDelivery(m.tenant.id, delivery!.id);
    // Failing for 3 days now.
    await db()
      .update(webhookEndpoints)
      .set({ failingSince: new Date(Date.now() - 3 * 24 * 3600_000 - 60_000) })
      .where(and(eq(webhookEndpoints.tenantId, m.tenant.id), eq(webhookEndpoints.id, endpoint.id)));
    const pending = (await deliveriesOf(m.tenant, endpoint.id))[0]!;
    receiver.reply({ status: 503 });
    const last = await attemptDelivery(m.tenant.id, delivery!.id, { now: () => new Date(pending.nextAttemptAt!.getTime() + 1) });
    expect(last).toMatchObject({ kind: "failed", endpointDisabled: true });
    const [disabled] = await db().select().from(webhookEndpoints).where(and(eq(webhookEndpoints.tenantId, m.tenant.id), eq(webhookEndpoints.id, endpoint.id)));
    expect(disabled).toMatchObject({ enabled: false, disabledReason: "failing" });
    const [problem] = await db().select().from(problems).where(and(eq(problems.tenantId, m.tenant.id), eq(problems.kind, "webhook_endpoint_disabled")));
    expect(problem?.resolvedAt).toBeNull();
    expect(problem?.message).toContain(endpoint.url);

    // Missed while disabled: a membership event (no delivery row is written for a disabled endpoint).
    await send(m, envelope("membership.activated", membershipData(m.order)));
    expect(await deliveriesOf(m.tenant, endpoint.id)).toHaveLength(1);

    const enabled = await setEndpointEnabled(actorOf(m), endpoint.id, true, { resendMissed: true });
    expect(enabled).toEqual({ ok: true, message: "Endpoint enabled: 2 missed events are being resent, oldest first." });
    const restarted = await deliveriesOf(m.tenant, endpoint.id);
    expect(restarted.map((d) => d.state).sort()).toEqual(["pending", "pending"]);
    for (const d of restarted) expect(await attemptDelivery(m.tenant.id, d.id)).toMatchObject({ kind: "delivered" });
    expect(receiver.received.slice(-2).map((r) => (new Webhook(secret).verify(r.body, r.headers) as { type: string }).type).sort()).toEqual(["membership.activated", "order.paid"]);
    const [resolved] = await db().select().from(problems).where(and(eq(problems.tenantId, m.tenant.id), eq(problems.kind, "webhook_endpoint_disabled")));
    expect(resolved?.resolvedAt).toBeInstanceOf(Date);
  });

  it("the schedule: 30 s, 5 min, 30 min, 2 h, 8 h, 24 h ×3, ±10 %", () => {
    expect(RETRY_SCHEDULE_SECONDS).toEqual([30, 300, 1800, 7200, 28800, 86400, 86400, 86400]);
    expect(retryDelaySeconds(1, () => 0)).toBe(27);
    expect(retryDelaySeconds(1, () => 1)).toBe(33);
    expect(retryDelaySeconds(8, () => 0.5)).toBe(86400);
  });
});

describe("SSRF guard", () => {
  it("classifies loopback, private, link-local, CGNAT, metadata, unique-local, mapped and multicast addresses", () => {
    for (const address of ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255", "::1", "::", "fe80::1", "fd00:ec2::254", "fc00::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:169.254.169.254", "::ffff:a9fe:a9fe", "64:ff9b::10.0.0.1", "2002:7f00:1::1"]) {
      expect(blockedAddressReason(address), address).not.toBeNull();
    }
    for (const address of ["93.184.216.34", "8.8.8.8", "2606:2800:220:1:248:1893:25c8:1946", "::ffff:8.8.8.8"]) expect(blockedAddressReason(address), address).toBeNull();
  });

  it("refuses a URL resolving to 127.0.0.1 or 169.254.169.254 at every attempt when private URLs are not allowed", async () => {
    const toLoopback = async () => [{ address: "127.0.0.1", family: 4 as const }];
    const refused = await postJson(`https://hooks.example.com:${receiver.port}/x`, "{}", {}, { allowPrivate: false, resolve: toLoopback });
    expect(refused).toMatchObject({ status: null, error: "refused: hooks.example.com resolves to 127.0.0.1, a loopback address" });
    const metadata = await postJson("https://169.254.169.254/latest/meta-data", "{}", {}, { allowPrivate: false });
    expect(metadata.error).toMatch(/^refused: 169\.254\.169\.254 is a link-local address/);
    const mixed = await postJson("https://hooks.example.com/x", "{}", {}, { allowPrivate: false, resolve: async () => [{ address: "93.184.216.34", family: 4 }, { address: "::ffff:169.254.169.254", family: 6 }] });
    expect(mixed.error).toMatch(/^refused: .*169\.254\.169\.254/);
    expect(receiver.received).toEqual([]);

    // Through a delivery: the endpoint's host now resolves to loopback.
    const m = await merchantWithOrder();
    const created = await createEndpoint(actorOf(m), { url: `https://hooks.example.com:${receiver.port}/x`, eventTypes: ["order.paid"] }, { allowPrivate: false, resolve: async () => [{ address: "93.184.216.34", family: 4 }] });
    expect(created.ok).toBe(true);
    await send(m, envelope("payment.succeeded", paymentData(m.order)));
    const [delivery] = await deliveriesOf(m.tenant, created.ok ? created.endpoint.id : "");
    const result = await attemptDelivery(m.tenant.id, delivery!.id, { allowPrivate: false, resolve: toLoopback });
    expect(result).toMatchObject({ kind: "failed", outcome: { status: null, error: "refused: hooks.example.com resolves to 127.0.0.1, a loopback address" } });
    expect(receiver.received).toEqual([]);
  });

  it("the connection goes to the checked address, whatever DNS would answer next (no rebinding)", async () => {
    let calls = 0;
    // The first answer is the one checked; a rebinding resolver would answer something else the second time.
    const resolve = async () => {
      calls++;
      return [{ address: calls === 1 ? "127.0.0.1" : "10.0.0.1", family: 4 as const }];
    };
    const result = await postJson(`http://rebind.test:${receiver.port}/r`, "{}", {}, { allowPrivate: true, resolve });
    expect(result.status).toBe(200);
    expect(calls).toBe(1);
    expect(receiver.received[0]?.headers.host).toBe(`rebind.test:${receiver.port}`);
  });

  it("explains bad URLs", async () => {
    const off = { allowPrivate: false, resolve: async () => [{ address: "93.184.216.34", family: 4 as const }] };
    expect(await checkEndpointUrl("http://example.com/hook", off)).toEqual({ ok: false, message: "The URL must start with https://." });
    expect(await checkEndpointUrl("example.com/hook", off)).toMatchObject({ ok: false, message: expect.stringContaining("full URL") });
    expect(await checkEndpointUrl("https://user:pw@example.com/hook", off)).toMatchObject({ ok: false, message: expect.stringContaining("credentials") });
    expect(await checkEndpointUrl("https://localhost/hook", off)).toMatchObject({ ok: false, message: expect.stringContaining("local name") });
    expect(await checkEndpointUrl("https://10.0.0.8/hook", off)).toMatchObject({ ok: false, message: expect.stringContaining("private address") });
    expect(await checkEndpointUrl("https://example.com/hook", { allowPrivate: false, resolve: async () => [{ address: "169.254.169.254", family: 4 }] })).toMatchObject({
      ok: false,
      message: expect.stringContaining("resolves to 169.254.169.254"),
    });
    expect(await checkEndpointUrl("https://example.com/hook", off)).toMatchObject({ ok: true });
    expect(await checkEndpointUrl("http://127.0.0.1:9/hook", { allowPrivate: true })).toMatchObject({ ok: true });
  });
});

describe("GET /api/v1/events", () => {
  async function feed(token: string, query: string) {
    const response = await eventsRoute(new Request(`http://localhost/api/v1/events${query}`, { headers: { authorization: `Bearer ${token}` } }), { params: Promise.resolve({}) });
    return { status: response.status, body: (await response.json()) as { data: { id: string; type: string; data: { id: string } }[]; next_cursor: string | null; error?: { code: string; message: string } } };
  }
  /** The feed shows an event once every older transaction has ended (other test files share the database): wait for it. */
  async function feedWhen(token: string, query: string, ready: (body: Awaited<ReturnType<typeof feed>>["body"]) => boolean) {
    for (let i = 0; ; i++) {
      const answer = await feed(token, query);
      if (answer.status !== 200 || ready(answer.body) || i > 100) return answer;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it("oldest first after the cursor, with limits and a type filter; another account's events are not there", async () => {
    const m = await merchantWithOrder();
    const other = await merchantWithOrder();
    const token = await createApiToken(m.actor, "feed");
    if (!token.ok) throw new Error(token.message);
    const { fixtureOrder } = await import("../fixtures");
    const paidOrders = [m.order, await fixtureOrder(m.tenant, m.item), await fixtureOrder(m.tenant, m.item)];
    for (const order of paidOrders) await send(m, envelope("payment.succeeded", paymentData(order)));
    await send(m, envelope("dispute.created", disputeData(m.order, "dspt_Feed0000001", "needs_response")));
    await send(other, envelope("payment.succeeded", paymentData(other.order)));
    const otherEvent = (await eventsOfOrder(other.tenant, other.order.id))[0]!;

    const all = await feedWhen(token.token, "?limit=100", (body) => body.data.length >= 4);
    expect(all.status).toBe(200);
    expect(all.body.data.map((event) => [event.type, event.data.id])).toEqual([...paidOrders.map((order) => ["order.paid", order.id]), ["order.disputed", m.order.id]]);
    expect(all.body.next_cursor).toBeNull();
    expect(all.body).toMatchObject({ object: "list" });

    const first = await feed(token.token, "?limit=2");
    expect(first.body.data.map((event) => event.id)).toEqual(all.body.data.slice(0, 2).map((event) => event.id));
    expect(first.body.next_cursor).toBe(all.body.data[1]!.id);
    const second = await feed(token.token, `?limit=2&after=${first.body.next_cursor}`);
    expect(second.body.data.map((event) => event.id)).toEqual(all.body.data.slice(2).map((event) => event.id));
    expect(second.body.next_cursor).toBeNull();
    const end = await feed(token.token, `?after=${all.body.data[3]!.id}`);
    expect(end.body).toEqual({ object: "list", data: [], next_cursor: null });

    const disputes = await feed(token.token, "?type=order.disputed");
    expect(disputes.body.data.map((event) => event.type)).toEqual(["order.disputed"]);
    // The events are exactly what the endpoints receive.
    const stored = (await eventsOfOrder(m.tenant, m.order.id)).find((event) => event.type === "order.disputed")!;
    expect(disputes.body.data[0]).toEqual(JSON.parse(stored.payload));

    for (const query of ["?limit=0", "?limit=101", "?limit=x", "?type=order.nope", "?after=nope", `?after=${otherEvent.id}`]) {
      const bad = await feed(token.token, query);
      expect(bad.status, query).toBe(400);
      expect(bad.body.error?.code).toBe("invalid_request");
    }
    const unauthenticated = await eventsRoute(new Request("http://localhost/api/v1/events"), { params: Promise.resolve({}) });
    expect(unauthenticated.status).toBe(401);
  });
});
