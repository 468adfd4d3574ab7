import { and, eq } from "drizzle-orm";
import { describe, expect, it, vi } from "vitest";
import { reapplyEventAction } from "@/app/dashboard/events/actions";
import EventsPage from "@/app/dashboard/events/page";
import { db } from "@/db/client";
import { ledgerPayments, ledgerRefunds, orders, webhookEvents, type Order, type Tenant } from "@/db/schema";
import { randomBase62 } from "@/lib/ids";
import { NO_MATCHING_ORDER } from "@/lib/ledger/apply";
import { canReapply, reapplyWebhookEvent } from "@/lib/ledger/reapply";
import { withTestDatabase } from "../db";
import { connectedMerchant, fixtureItem, fixtureLedger, fixtureOrder, signStandard, withWebhookSecret } from "../fixtures";
import { expectRedirect, html } from "../isolation/next-errors";
import { signInAs, signOut } from "../isolation/session";
import { tenantSnapshot } from "../isolation/snapshot";
import { postToWebhookRoute } from "../webhook-route";

vi.mock("@/lib/auth/session", () => import("../isolation/session"));
vi.mock("next/cache", () => ({ revalidatePath: vi.fn(), revalidateTag: vi.fn() }));

withTestDatabase();

async function merchant() {
  const connected = await connectedMerchant();
  const { tenant, secret } = await withWebhookSecret(connected.tenant);
  const item = await fixtureItem(tenant);
  return { ...connected, tenant, secret, item };
}

/** A signed v1 payment.succeeded for an order id, delivered through the real webhook route. */
async function deliverPayment(tenant: Tenant, secret: string, orderId: string, paymentId = `pay_${randomBase62(14)}`) {
  const body = JSON.stringify({
    id: `msg_${randomBase62(24)}`,
    api_version: "v1",
    timestamp: new Date().toISOString(),
    type: "payment.succeeded",
    data: {
      id: paymentId,
      status: "paid",
      total: 29.99,
      currency: "usd",
      user: { id: "user_Late000000001", email: "late@example.com" },
      metadata: { order_id: orderId, tenant_id: tenant.id },
    },
  });
  const response = await postToWebhookRoute(
    new Request(`http://localhost/api/webhooks/whop/${tenant.publicId}`, { method: "POST", body, headers: { "content-type": "application/json", ...signStandard(secret, body) } }),
    tenant.publicId,
  );
  expect(response.status).toBe(200);
  const [event] = await db().select().from(webhookEvents).where(eq(webhookEvents.tenantId, tenant.id)).orderBy(webhookEvents.id);
  return { event: event!, paymentId };
}

async function orderNow(order: Pick<Order, "id">) {
  const [row] = await db().select().from(orders).where(eq(orders.id, order.id));
  return row!;
}

async function eventNow(tenant: Tenant, id: number) {
  const [row] = await db().select().from(webhookEvents).where(and(eq(webhookEvents.tenantId, tenant.id), eq(webhookEvents.id, id)));
  return row!;
}

describe("reapplyWebhookEvent", () => {
  it("applies an ignored, unmatched payment once its order exists, updating the same event row", async () => {
    const m = await merchant();
    const orderId = `ord_${randomBase62(20)}`;
    const { event, paymentId } = await deliverPayment(m.tenant, m.secret, orderId);
    expect(event).toMatchObject({ result: "ignored", detail: NO_MATCHING_ORDER, orderId: null });
    expect(canReapply(event)).toBe(true);

    // Still no order: nothing changes, and it stays eligible.
    expect(await reapplyWebhookEvent(m.tenant.id, event.id)).toEqual({ ok: true, result: "ignored", detail: NO_MATCHING_ORDER, orderId: null });

    const order = await fixtureOrder(m.tenant, m.item, { id: orderId });
    const outcome = await reapplyWebhookEvent(m.tenant.id, event.id);
    expect(outcome).toMatchObject({ ok: true, result: "applied", orderId });
    expect(await orderNow(order)).toMatchObject({ status: "paid", whopPaymentId: paymentId, buyerEmail: "late@example.com", paidMinor: 2999 });
    expect(await eventNow(m.tenant, event.id)).toMatchObject({ result: "applied", orderId, eventKey: event.eventKey, payload: event.payload });
    expect(await db().select().from(webhookEvents).where(eq(webhookEvents.tenantId, m.tenant.id))).toHaveLength(1);
  });

  it("re-applying an applied event changes nothing", async () => {
    const m = await merchant();
    const order = await fixtureOrder(m.tenant, m.item);
    const { event } = await deliverPayment(m.tenant, m.secret, order.id);
    expect(event.result).toBe("applied");
    expect(canReapply(event)).toBe(false);
    const before = await tenantSnapshot(m.tenant.id);

    expect(await reapplyWebhookEvent(m.tenant.id, event.id)).toEqual({ ok: false, reason: "not_eligible", message: "This event is already applied." });
    expect(await tenantSnapshot(m.tenant.id)).toBe(before);
  });

  it("a failed event is applied again through the ledger, which never moves a row or the order backwards", async () => {
    const m = await merchant();
    const order = await fixtureOrder(m.tenant, m.item);
    const { event, paymentId } = await deliverPayment(m.tenant, m.secret, order.id);
    expect((await orderNow(order)).status).toBe("paid");
    // Whop refunded the payment in full after that event.
    await fixtureLedger(m.tenant, await orderNow(order), { refunds: [{ paymentId, amountMinor: 2999 }] });
    expect((await orderNow(order)).status).toBe("refunded");
    // Forced to "failed", as if applying had broken down.
    await db().update(webhookEvents).set({ result: "failed", detail: "boom" }).where(and(eq(webhookEvents.tenantId, m.tenant.id), eq(webhookEvents.id, event.id)));
    const orderBefore = await orderNow(order);
    const ledgerBefore = {
      payments: await db().select().from(ledgerPayments).where(eq(ledgerPayments.tenantId, m.tenant.id)),
      refunds: await db().select().from(ledgerRefunds).where(eq(ledgerRefunds.tenantId, m.tenant.id)),
    };
    expect(ledgerBefore.payments.map((p) => [p.id, p.status])).toEqual([[paymentId, "succeeded"]]);

    const outcome = await reapplyWebhookEvent(m.tenant.id, event.id);
    expect(outcome).toMatchObject({ ok: true, orderId: order.id });
    expect(await orderNow(order)).toMatchObject({ status: "refunded", paidMinor: 2999, refundedMinor: 2999, paidAt: orderBefore.paidAt });
    expect(await db().select().from(ledgerPayments).where(eq(ledgerPayments.tenantId, m.tenant.id))).toEqual(ledgerBefore.payments);
    expect(await db().select().from(ledgerRefunds).where(eq(ledgerRefunds.tenantId, m.tenant.id))).toEqual(ledgerBefore.refunds);
    expect((await eventNow(m.tenant, event.id)).result).not.toBe("failed");
  });

  it("answers not found for another merchant's event, and changes nothing of theirs", async () => {
    const a = await merchant();
    const b = await merchant();
    const orderId = `ord_${randomBase62(20)}`;
    const { event } = await deliverPayment(b.tenant, b.secret, orderId);
    const before = await tenantSnapshot(b.tenant.id);

    expect(await reapplyWebhookEvent(a.tenant.id, event.id)).toEqual({ ok: false, reason: "not_found", message: "That event does not exist." });
    expect(await reapplyWebhookEvent(a.tenant.id, 2 ** 40)).toMatchObject({ ok: false, reason: "not_found" });
    expect(await tenantSnapshot(b.tenant.id)).toBe(before);
  });

  it("never offers or applies again what reconciliation recorded (it was read from Whop about a known order)", async () => {
    const m = await merchant();
    const order = await fixtureOrder(m.tenant, m.item);
    const [event] = await db()
      .insert(webhookEvents)
      .values({
        tenantId: m.tenant.id,
        eventKey: `reconcile:pay_R:paid::0`,
        eventType: "payment.succeeded",
        scheme: "reconcile",
        result: "failed",
        payload: JSON.stringify({ id: "pay_Rrrrrrrrrrrr", status: "paid", total: 29.99, currency: "usd", metadata: { order_id: order.id } }),
      })
      .returning();
    expect(canReapply(event!)).toBe(false);
    expect(canReapply({ ...event!, result: "ignored", detail: NO_MATCHING_ORDER })).toBe(false);
    const before = await tenantSnapshot(m.tenant.id);
    expect(await reapplyWebhookEvent(m.tenant.id, event!.id)).toEqual({
      ok: false,
      reason: "not_eligible",
      message: "This was read from Whop, not delivered by a webhook: press Check with Whop on the order to read it again.",
    });
    expect((await orderNow(order)).status).toBe("pending");
    expect(await tenantSnapshot(m.tenant.id)).toBe(before);
  });
});

describe("Apply again on /dashboard/events", () => {
  it("is offered for an unmatched event only, and the action applies it for the signed-in merchant only", async () => {
    const a = await merchant();
    const b = await merchant();
    const orderId = `ord_${randomBase62(20)}`;
    const { event } = await deliverPayment(b.tenant, b.secret, orderId);
    const applied = await fixtureOrder(b.tenant, b.item);
    await deliverPayment(b.tenant, b.secret, applied.id);

    signInAs(b);
    const page = html(await EventsPage({ searchParams: Promise.resolve({}) }));
    expect(page.match(/Apply again/g)).toHaveLength(1);
    expect(page).toContain(`name="eventId" value="${event.id}"`);

    const form = new FormData();
    form.set("eventId", String(event.id));
    const bBefore = await tenantSnapshot(b.tenant.id);
    signInAs(a);
    expect(await reapplyEventAction({}, form)).toMatchObject({ error: "That event does not exist." });
    expect(await tenantSnapshot(b.tenant.id)).toBe(bBefore);

    await fixtureOrder(b.tenant, b.item, { id: orderId });
    signInAs(b);
    expect(await reapplyEventAction({}, form)).toEqual({ success: expect.stringMatching(/^Applied: payment pay_\w+ succeeded; order pending → paid\.$/) });
    expect((await orderNow({ id: orderId })).status).toBe("paid");

    signOut();
    await expectRedirect(() => reapplyEventAction({}, form), "/login");
  });
});
