import { randomBytes } from "node:crypto";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { db } from "@/db/client";
import { orders, problems, tenants, webhookEvents, webhookRejections, type Order, type Tenant } from "@/db/schema";
import { encryptSecret } from "@/lib/crypto/secrets";
import { env } from "@/lib/env";
import { ownerActor } from "@/lib/auth/actor";
import { randomBase62 } from "@/lib/ids";
import { withTestDatabase } from "../db";
import { connectedMerchant, fixtureItem, fixtureOrder, signBare, signLegacy, signStandard, withWebhookSecret } from "../fixtures";
import { postToWebhookRoute } from "../webhook-route";

withTestDatabase();

async function merchantWithOrder(orderOverrides: Partial<Order> = {}) {
  const { tenant: connected } = await connectedMerchant();
  const { tenant, secret } = await withWebhookSecret(connected);
  const item = await fixtureItem(tenant);
  const order = await fixtureOrder(tenant, item, orderOverrides);
  return { tenant, secret, item, order };
}

function deliver(tenant: Pick<Tenant, "publicId">, body: string, headers: Record<string, string>) {
  return postToWebhookRoute(new Request(`http://localhost/api/webhooks/whop/${tenant.publicId}`, { method: "POST", body, headers: { "content-type": "application/json", ...headers } }), tenant.publicId);
}

function v1Payment(order: Order, type = "payment.succeeded", data: Record<string, unknown> = {}) {
  return JSON.stringify({
    id: `msg_${randomBase62(24)}`,
    api_version: "v1",
    timestamp: new Date().toISOString(),
    type,
    company_id: "biz_x",
    data: {
      id: `pay_${order.id.slice(4, 18)}`,
      status: type === "payment.failed" ? "open" : "paid",
      substatus: type === "payment.failed" ? "failed" : "succeeded",
      total: 29.99,
      subtotal: 29.99,
      refunded_amount: 0,
      currency: "usd",
      checkout_configuration_id: order.whopCheckoutId,
      plan: { id: order.whopPlanId },
      membership: { id: `mem_${order.id.slice(4, 18)}`, status: "active" },
      user: { id: "user_Buyer0000001", email: "buyer@example.com" },
      metadata: { order_id: order.id, tenant_id: order.tenantId },
      ...data,
    },
  });
}

function v1Event(type: string, data: Record<string, unknown>) {
  return JSON.stringify({ id: `msg_${randomBase62(24)}`, api_version: "v1", timestamp: new Date().toISOString(), type, data });
}

async function orderNow(order: Order) {
  const [row] = await db().select().from(orders).where(eq(orders.id, order.id));
  return row!;
}

async function eventsOf(tenant: Tenant) {
  return db().select().from(webhookEvents).where(eq(webhookEvents.tenantId, tenant.id));
}

describe("POST /api/webhooks/whop/[tenantId]: verification", () => {
  it("applies a Standard Webhooks payment.succeeded: order paid, buyer recorded, event stored once", async () => {
    const { tenant, secret, order } = await merchantWithOrder();
    const body = v1Payment(order);
    const response = await deliver(tenant, body, signStandard(secret, body));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true, result: "recorded" });
    expect(await orderNow(order)).toMatchObject({
      status: "paid",
      buyerEmail: "buyer@example.com",
      whopUserId: "user_Buyer0000001",
      paidMinor: 2999,
      paidCurrency: "usd",
      amountMismatch: false,
    });
    const [event] = await eventsOf(tenant);
    expect(event).toMatchObject({ eventType: "payment.succeeded", scheme: "standard", result: "applied", orderId: order.id, payload: body });
  });

  it("accepts the legacy t=,v1= scheme with the v5 envelope and went_valid", async () => {
    const { tenant, secret, order } = await merchantWithOrder();
    const payment = JSON.stringify({
      action: "payment.succeeded",
      api_version: "v5",
      data: { id: "pay_V5paymentAAAAA", final_amount: "29.99", currency: "usd", status: "paid", checkout_id: order.whopCheckoutId, metadata: { order_id: order.id }, user_id: "user_v5" },
    });
    expect((await deliver(tenant, payment, signLegacy(secret, payment))).status).toBe(200);
    const membership = JSON.stringify({
      action: "membership.went_valid",
      api_version: "v5",
      data: { id: "mem_V5membership0", valid: true, status: "active", metadata: { order_id: order.id }, checkout_id: order.whopCheckoutId },
    });
    expect((await deliver(tenant, membership, signLegacy(secret, membership))).status).toBe(200);
    expect(await orderNow(order)).toMatchObject({ status: "paid", whopPaymentId: "pay_V5paymentAAAAA", membershipValid: true, whopMembershipId: "mem_V5membership0" });
    expect((await eventsOf(tenant)).map((e) => [e.eventType, e.scheme])).toEqual(
      expect.arrayContaining([
        ["payment.succeeded", "legacy"],
        ["membership.activated", "legacy"],
      ]),
    );
  });

  it("accepts the bare hex scheme and the v2 envelope with body", async () => {
    const { tenant, secret, order } = await merchantWithOrder();
    const body = JSON.stringify({
      action: "payment_succeeded",
      body: { id: "pay_V2paymentAAAAA", final_amount: "29.99", currency: "usd", plan: { id: order.whopPlanId }, user: { id: "user_v2", email: "v2@example.com" }, membership: "mem_V2membershipA" },
    });
    const response = await deliver(tenant, body, signBare(secret, body));
    expect(response.status).toBe(200);
    expect(await orderNow(order)).toMatchObject({ status: "paid", buyerEmail: "v2@example.com", whopMembershipId: "mem_V2membershipA" });
  });

  it("accepts the previous secret during a rotation", async () => {
    const { tenant: connected, user } = await connectedMerchant();
    const { secret: oldSecret } = await withWebhookSecret(connected);
    const { saveWebhookSecret } = await import("@/lib/tenants/webhook-secret");
    const { getTenantById } = await import("@/lib/tenants/queries");
    const current = (await getTenantById(connected.id))!;
    expect((await saveWebhookSecret(ownerActor(current, user), `ws_${randomBase62(40)}`)).ok).toBe(true);
    const rotated = (await getTenantById(connected.id))!;
    const order = await fixtureOrder(rotated, await fixtureItem(rotated));
    const body = v1Payment(order);
    expect((await deliver(rotated, body, signStandard(oldSecret, body))).status).toBe(200);
    expect((await orderNow(order)).status).toBe("paid");
  });

  it("accepts at once a secret saved on another instance, though this one holds the old secret", async () => {
    const { tenant, secret: oldSecret, order } = await merchantWithOrder();
    const first = v1Payment(order, "payment.created");
    expect((await deliver(tenant, first, signStandard(oldSecret, first))).status).toBe(200);
    // Another instance saves a new secret (and keeps nothing of the old one): this process is not told.
    const newSecret = `ws_${randomBase62(40)}`;
    await db()
      .update(tenants)
      .set({ webhookSecretCiphertext: encryptSecret(newSecret, { tenantId: tenant.id, field: "webhook_secret" }, env().encryptionKeys), webhookSecretPreviousCiphertext: null, webhookSecretPreviousExpiresAt: null })
      .where(eq(tenants.id, tenant.id));
    const body = v1Payment(order);
    expect((await deliver(tenant, body, signStandard(newSecret, body))).status).toBe(200);
    expect((await orderNow(order)).status).toBe("paid");
  });

  it("rejects tenant A's secret on tenant B's URL with 401, counts it, and stores nothing from the body", async () => {
    const a = await merchantWithOrder();
    const b = await merchantWithOrder();
    const body = v1Payment(b.order);
    const response = await deliver(b.tenant, body, signStandard(a.secret, body));
    expect(response.status).toBe(401);
    expect(await eventsOf(b.tenant)).toEqual([]);
    expect((await orderNow(b.order)).status).toBe("pending");
    const [rejections] = await db().select().from(webhookRejections).where(eq(webhookRejections.tenantId, b.tenant.id));
    expect(rejections).toMatchObject({ count: 1, lastReason: "signature_mismatch" });
    const [problem] = await db().select().from(problems).where(and(eq(problems.tenantId, b.tenant.id), eq(problems.kind, "signature_failures")));
    expect(problem).toBeDefined();
  });

  it("rejects a replayed delivery after 300 s and one from the future", async () => {
    const { tenant, secret, order } = await merchantWithOrder();
    const body = v1Payment(order);
    const now = Math.floor(Date.now() / 1000);
    expect((await deliver(tenant, body, signStandard(secret, body, undefined, now - 310))).status).toBe(401);
    expect((await deliver(tenant, body, signStandard(secret, body, undefined, now + 310))).status).toBe(401);
    expect((await deliver(tenant, body, signLegacy(secret, body, now - 400))).status).toBe(401);
    expect((await orderNow(order)).status).toBe("pending");
  });

  it("answers 404 for an unknown endpoint, 409 without a secret, 400 for malformed JSON, 413 above 256 KiB", async () => {
    const unknown = { publicId: `wh_${randomBase62(22)}` };
    expect((await deliver(unknown, "{}", {})).status).toBe(404);
    expect((await deliver({ publicId: "not-an-id" }, "{}", {})).status).toBe(404);

    const { tenant: noSecret } = await connectedMerchant();
    expect((await deliver(noSecret, "{}", signStandard("ws_whatever", "{}"))).status).toBe(409);
    const [problem] = await db().select().from(problems).where(and(eq(problems.tenantId, noSecret.id), eq(problems.kind, "webhook_secret_missing")));
    expect(problem).toBeDefined();

    const { tenant, secret } = await merchantWithOrder();
    const garbage = "{not json";
    expect((await deliver(tenant, garbage, signStandard(secret, garbage))).status).toBe(400);
    const noName = JSON.stringify({ data: { id: "pay_x" } });
    expect((await deliver(tenant, noName, signStandard(secret, noName))).status).toBe(400);
    const huge = JSON.stringify({ type: "payment.succeeded", data: { pad: "x".repeat(256 * 1024) } });
    expect((await deliver(tenant, huge, signStandard(secret, huge))).status).toBe(413);
    expect(await eventsOf(tenant)).toEqual([]);
  });

  it("answers only 4xx to 1,000 random malformed deliveries", async () => {
    const { tenant, secret } = await merchantWithOrder();
    const statuses = new Set<number>();
    const pick = <T,>(values: T[]) => values[Math.floor(Math.random() * values.length)]!;
    for (let i = 0; i < 1000; i++) {
      const body = pick([
        randomBytes(Math.floor(Math.random() * 64)).toString("latin1"),
        "",
        "null",
        "[]",
        '{"type":1}',
        '{"type":"payment.succeeded","data":"x"}',
        JSON.stringify({ type: "payment.succeeded", data: { id: randomBase62(5), metadata: { order_id: randomBase62(10) }, total: "abc" } }),
      ]);
      const headers = pick<Record<string, string>>([
        {},
        { "webhook-signature": randomBytes(8).toString("hex") },
        { "webhook-id": "x", "webhook-timestamp": "nope", "webhook-signature": "v1,!!!" },
        { "x-whop-signature": `t=${Math.random()},v1=zz` },
        { "x-whop-signature": randomBytes(32).toString("hex") },
        // Correctly signed garbage must still be refused (400), not crash.
        signStandard(secret, body),
      ]);
      const response = await deliver(tenant, body, headers);
      statuses.add(response.status);
    }
    for (const status of statuses) expect(status === 200 || (status >= 400 && status < 500)).toBe(true);
    expect([...statuses].every((s) => s !== 500 && s !== 503)).toBe(true);
  });
});

describe("exactly-once recording and guarded transitions", () => {
  it("records the same delivery sent 50 times concurrently once, and changes the order once", async () => {
    const { tenant, secret, order } = await merchantWithOrder();
    const body = v1Payment(order);
    const headers = signStandard(secret, body);
    const responses = await Promise.all(Array.from({ length: 50 }, () => deliver(tenant, body, headers)));
    expect(responses.map((r) => r.status)).toEqual(Array(50).fill(200));
    const results = await Promise.all(responses.map(async (r) => ((await r.json()) as { result: string }).result));
    expect(results.filter((r) => r === "recorded")).toHaveLength(1);
    expect(results.filter((r) => r === "duplicate")).toHaveLength(49);
    const events = await eventsOf(tenant);
    expect(events).toHaveLength(1);
    expect(events[0]!.duplicates).toBe(49);
    expect(events[0]).toMatchObject({ result: "applied", appliedAt: expect.any(Date) });
    expect((await orderNow(order)).status).toBe("paid");
  });

  it("never moves an order backwards: failed after succeeded stays paid", async () => {
    const { tenant, secret, order } = await merchantWithOrder();
    for (const type of ["payment.succeeded", "payment.failed"]) {
      const body = v1Payment(order, type);
      await deliver(tenant, body, signStandard(secret, body));
    }
    expect((await orderNow(order)).status).toBe("paid");
    const failed = (await eventsOf(tenant)).find((e) => e.eventType === "payment.failed");
    expect(failed).toMatchObject({ result: "ignored" });
  });

  it("payment.failed on a pending order marks it failed, and a later success still wins", async () => {
    const { tenant, secret, order } = await merchantWithOrder();
    const failed = v1Payment(order, "payment.failed");
    await deliver(tenant, failed, signStandard(secret, failed));
    expect((await orderNow(order)).status).toBe("failed");
    const succeeded = v1Payment(order);
    await deliver(tenant, succeeded, signStandard(secret, succeeded));
    expect((await orderNow(order)).status).toBe("paid");
  });

  it("succeeded before created: the late payment.created changes nothing", async () => {
    const { tenant, secret, order } = await merchantWithOrder();
    for (const type of ["payment.succeeded", "payment.created"]) {
      const body = v1Payment(order, type);
      await deliver(tenant, body, signStandard(secret, body));
    }
    expect((await orderNow(order)).status).toBe("paid");
  });

  it("a refund before its payment: the order is paid with a refund pending, then refunded once Whop settles it", async () => {
    const { tenant, secret, order } = await merchantWithOrder();
    const { status: _status, substatus: _substatus, refunded_amount: _refunded, ...embedded } = JSON.parse(v1Payment(order)).data;
    const refund = v1Event("refund.created", { id: "rfnd_1", amount: 29.99, currency: "usd", status: "pending", payment: embedded });
    await deliver(tenant, refund, signStandard(secret, refund));
    expect(await orderNow(order)).toMatchObject({ status: "pending", refundedMinor: 0, refundPending: true });
    const succeeded = v1Payment(order);
    await deliver(tenant, succeeded, signStandard(secret, succeeded));
    expect(await orderNow(order)).toMatchObject({ status: "paid", refundedMinor: 0, refundPending: true, paidMinor: 2999 });
    const settled = v1Event("refund.updated", { id: "rfnd_1", amount: 29.99, currency: "usd", status: "succeeded", payment: embedded });
    await deliver(tenant, settled, signStandard(secret, settled));
    expect(await orderNow(order)).toMatchObject({ status: "refunded", refundedMinor: 2999, refundPending: false, paidMinor: 2999 });
  });

  it("a partial refund, then the rest: each counts once it succeeded, and a late copy changes nothing", async () => {
    const { tenant, secret, order } = await merchantWithOrder();
    const succeeded = v1Payment(order);
    await deliver(tenant, succeeded, signStandard(secret, succeeded));
    const { status: _status, substatus: _substatus, refunded_amount: _refunded, ...payment } = JSON.parse(succeeded).data;
    const refund = (id: string, amount: number, status: string) => v1Event(status === "pending" ? "refund.created" : "refund.updated", { id, amount, currency: "usd", status, payment });
    for (const body of [refund("rfnd_a", 10, "pending"), refund("rfnd_a", 10, "succeeded")]) await deliver(tenant, body, signStandard(secret, body));
    expect(await orderNow(order)).toMatchObject({ status: "partially_refunded", refundedMinor: 1000, refundPending: false });
    for (const body of [refund("rfnd_b", 19.99, "pending"), refund("rfnd_b", 19.99, "succeeded")]) await deliver(tenant, body, signStandard(secret, body));
    expect(await orderNow(order)).toMatchObject({ status: "refunded", refundedMinor: 2999 });
    // A late copy of the first refund's creation neither lowers nor raises the total.
    const late = refund("rfnd_a", 10, "pending");
    await deliver(tenant, late, signStandard(secret, late));
    expect(await orderNow(order)).toMatchObject({ status: "refunded", refundedMinor: 2999 });
  });

  it("a dispute marks the order disputed", async () => {
    const { tenant, secret, order } = await merchantWithOrder();
    const succeeded = v1Payment(order);
    await deliver(tenant, succeeded, signStandard(secret, succeeded));
    const dispute = v1Event("dispute.created", { id: "dspt_1", payment: JSON.parse(succeeded).data });
    await deliver(tenant, dispute, signStandard(secret, dispute));
    expect((await orderNow(order)).status).toBe("disputed");
  });

  it("flags an amount or currency mismatch instead of silently accepting it", async () => {
    const { tenant, secret, order } = await merchantWithOrder();
    const body = v1Payment(order, "payment.succeeded", { total: 2.99, subtotal: 2.99 });
    await deliver(tenant, body, signStandard(secret, body));
    expect(await orderNow(order)).toMatchObject({ status: "paid", amountMismatch: true, paidMinor: 299 });
    const [problem] = await db().select().from(problems).where(and(eq(problems.tenantId, tenant.id), eq(problems.kind, "amount_mismatch")));
    expect(problem!.message).toContain(order.id);
  });

  it("membership deactivation after activation turns it invalid; an older activation arriving late is ignored", async () => {
    const { tenant, secret, order } = await merchantWithOrder();
    const membership = (type: string, at: Date) =>
      JSON.stringify({ id: `msg_${randomBase62(24)}`, api_version: "v1", timestamp: at.toISOString(), type, data: { id: "mem_Membership0001", status: "active", metadata: { order_id: order.id } } });
    const t0 = new Date(Date.now() - 60_000);
    const t1 = new Date();
    for (const body of [membership("membership.activated", t0), membership("membership.deactivated", t1), membership("membership.activated", t0)]) {
      await deliver(tenant, body, signStandard(secret, body));
    }
    expect(await orderNow(order)).toMatchObject({ membershipValid: false, whopMembershipId: "mem_Membership0001" });
  });

  it("stores other event types as ignored, and an event of another tenant's order matches nothing here", async () => {
    const mine = await merchantWithOrder();
    const theirs = await merchantWithOrder();
    const other = v1Event("invoice.paid", { id: "inv_1" });
    await deliver(mine.tenant, other, signStandard(mine.secret, other));
    const foreign = v1Payment(theirs.order);
    await deliver(mine.tenant, foreign, signStandard(mine.secret, foreign));
    expect((await eventsOf(mine.tenant)).map((e) => [e.eventType, e.result])).toEqual(
      expect.arrayContaining([
        ["invoice.paid", "ignored"],
        ["payment.succeeded", "ignored"],
      ]),
    );
    expect((await orderNow(theirs.order)).status).toBe("pending");
  });
});
