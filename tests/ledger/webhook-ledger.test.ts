import { describe, expect, it } from "vitest";
import { db } from "@/db/client";
import { applyObservation } from "@/lib/ledger/apply";
import { observationOf } from "@/lib/ledger/observations";
import { normalizeWhopEvent } from "@/lib/whop/events";
import { orderAccess } from "@/lib/ledger/access";
import { randomBase62 } from "@/lib/ids";
import { acceptPayment } from "@/lib/orders/after-sale";
import { accessFromApi } from "../api/access-route";
import { withTestDatabase } from "../db";
import { signLegacy } from "../fixtures";
import {
  deliver,
  disputeData,
  envelope,
  eventsOf,
  ledgerOf,
  membershipData,
  merchantWithOrder,
  orderNow,
  paymentData,
  refundData,
  send,
} from "./helpers";

withTestDatabase();

describe("the ledger, through POST /api/webhooks/whop/[tenantId] with v1 SDK-shaped bodies", () => {
  it("a refund Whop created pending is not money yet; when it fails the order is plainly paid again", async () => {
    const m = await merchantWithOrder();
    await send(m, envelope("payment.succeeded", paymentData(m.order)));
    await send(m, envelope("refund.created", refundData(m.order, "rfnd_Pending0001", 40, "pending")));
    expect(await orderNow(m.order)).toMatchObject({ status: "paid", refundedMinor: 0, refundPending: true });
    expect(orderAccess(await orderNow(m.order)).access).toBe(true);

    const failed = await send(m, envelope("refund.updated", refundData(m.order, "rfnd_Pending0001", 40, "failed")));
    expect(failed).toMatchObject({ status: 200, body: { result: "recorded" }, event: { result: "applied" } });
    expect(await orderNow(m.order)).toMatchObject({ status: "paid", refundedMinor: 0, refundPending: false });
    expect((await ledgerOf(m.tenant)).refunds).toMatchObject([{ id: "rfnd_Pending0001", status: "failed", amountMinor: 4000 }]);
  });

  it("one 5.00 refund, legacy-signed and re-sent with new webhook-id headers (which that signature does not cover), counts once", async () => {
    const m = await merchantWithOrder();
    await send(m, envelope("payment.succeeded", paymentData(m.order)));
    const body = envelope("refund.updated", refundData(m.order, "rfnd_Legacy00001", 5, "succeeded"));
    const results: string[] = [];
    for (let copy = 0; copy < 4; copy++) {
      const response = await deliver(m.tenant, body, { ...signLegacy(m.secret, body), "webhook-id": `msg_${randomBase62(24)}` });
      results.push(((await response.json()) as { result: string }).result);
    }
    expect(results).toEqual(["recorded", "duplicate", "duplicate", "duplicate"]);
    expect((await eventsOf(m.tenant)).filter((e) => e.eventType === "refund.updated")).toMatchObject([{ result: "applied", duplicates: 3 }]);
    // The same refund in another envelope (a new message id) is a new event, but still one refund.
    await send(m, envelope("refund.updated", refundData(m.order, "rfnd_Legacy00001", 5, "succeeded")));
    expect(await orderNow(m.order)).toMatchObject({ status: "partially_refunded", refundedMinor: 500 });
    expect((await eventsOf(m.tenant)).filter((e) => e.eventType === "refund.updated")).toHaveLength(2);
  });

  it("a dispute the merchant won returns the order to paid; a lost one ends access", async () => {
    const won = await merchantWithOrder();
    await send(won, envelope("payment.succeeded", paymentData(won.order)));
    await send(won, envelope("dispute.created", disputeData(won.order, "dspt_Won0000001", "needs_response")));
    expect((await orderNow(won.order)).status).toBe("disputed");
    await send(won, envelope("dispute.updated", disputeData(won.order, "dspt_Won0000001", "won")));
    expect((await orderNow(won.order)).status).toBe("paid");

    const lost = await merchantWithOrder();
    await send(lost, envelope("payment.succeeded", paymentData(lost.order)));
    await send(lost, envelope("dispute.updated", disputeData(lost.order, "dspt_Lost000001", "lost")));
    // A late copy of the creation cannot reopen a decided dispute.
    await send(lost, envelope("dispute.created", disputeData(lost.order, "dspt_Lost000001", "needs_response")));
    const order = await orderNow(lost.order);
    expect(order.status).toBe("dispute_lost");
    expect(orderAccess(order)).toMatchObject({ access: false, reason: "dispute_lost" });
  });

  it("membership.deactivated of a different membership id carrying the order's metadata changes nothing", async () => {
    const m = await merchantWithOrder();
    await send(m, envelope("payment.succeeded", paymentData(m.order)));
    await send(m, envelope("membership.activated", membershipData(m.order)));
    const other = await send(m, envelope("membership.deactivated", membershipData(m.order, { id: "mem_SomeoneElse01", status: "canceled" })));
    expect(other).toMatchObject({ status: 200, body: { result: "recorded" }, event: { result: "ignored" } });
    const order = await orderNow(m.order);
    expect(order).toMatchObject({ whopMembershipId: `mem_${m.order.id.slice(4, 18)}`, membershipValid: true, membershipStatus: "active" });
    expect(orderAccess(order).access).toBe(true);
    const [event] = (await eventsOf(m.tenant)).filter((e) => e.eventType === "membership.deactivated");
    expect(event!.detail).toMatch(/mem_SomeoneElse01 is not this order's membership/);
  });

  it("a 1.00 payment for a 40.00 item is paid — amount differs — and grants no access until the merchant accepts it", async () => {
    const m = await merchantWithOrder();
    await send(m, envelope("payment.succeeded", paymentData(m.order, { total: 1, subtotal: 1, usd_total: 1 })));
    await send(m, envelope("membership.activated", membershipData(m.order)));
    const order = await orderNow(m.order);
    expect(order).toMatchObject({ status: "paid", amountMismatch: true, paidMinor: 100 });
    expect(orderAccess(order)).toMatchObject({ access: false, reason: "amount_differs" });
    const query = { item: m.item.id, email: "buyer@example.com" };
    expect(await accessFromApi(m.tenant, m.user, query)).toMatchObject({ status: 200, body: { access: false } });

    expect(await acceptPayment(m.actor, { orderId: m.order.id })).toMatchObject({ ok: true });
    expect(await accessFromApi(m.tenant, m.user, query)).toMatchObject({ status: 200, body: { access: true, membership: { state: "valid" } } });
    expect(orderAccess(await orderNow(m.order)).access).toBe(true);
  });

  it("a fully refunded order grants no access on the page or in the API, whatever the membership says", async () => {
    const m = await merchantWithOrder();
    await send(m, envelope("payment.succeeded", paymentData(m.order)));
    await send(m, envelope("membership.activated", membershipData(m.order)));
    await send(m, envelope("refund.updated", refundData(m.order, "rfnd_Full000001", 40, "succeeded")));
    expect(orderAccess(await orderNow(m.order))).toMatchObject({ access: false, reason: "refunded" });
    expect(await accessFromApi(m.tenant, m.user, { item: m.item.id, email: "buyer@example.com" })).toMatchObject({ status: 200, body: { access: false } });
  });

  it("refund.updated before refund.created, dispute.updated first, and a refund before its payment all end in the same order", async () => {
    const bodies = (order: Parameters<typeof paymentData>[0]) => [
      envelope("refund.updated", refundData(order, "rfnd_Order00001", 10, "succeeded")),
      envelope("refund.created", refundData(order, "rfnd_Order00001", 10, "pending")),
      envelope("dispute.updated", disputeData(order, "dspt_Order00001", "won")),
      envelope("dispute.created", disputeData(order, "dspt_Order00001", "needs_response")),
      envelope("refund.created", refundData(order, "rfnd_Order00002", 5, "pending")),
      envelope("payment.succeeded", paymentData(order)),
    ];
    const finals: unknown[] = [];
    for (const arrangement of [[0, 1, 2, 3, 4, 5], [5, 4, 3, 2, 1, 0], [2, 0, 4, 3, 5, 1], [3, 2, 1, 0, 5, 4]]) {
      const m = await merchantWithOrder();
      const all = bodies(m.order);
      for (const index of arrangement) await send(m, all[index]!);
      await send(m, all[arrangement[0]!]!); // a copy of the first, late
      const { status, paidMinor, refundedMinor, refundPending, amountMismatch } = await orderNow(m.order);
      finals.push({ status, paidMinor, refundedMinor, refundPending, amountMismatch });
    }
    expect(new Set(finals.map((f) => JSON.stringify(f))).size).toBe(1);
    expect(finals[0]).toEqual({ status: "partially_refunded", paidMinor: 4000, refundedMinor: 1000, refundPending: true, amountMismatch: false });
  });
});

describe("bad input", () => {
  it("a validly signed body with a NUL character or a lone surrogate answers 400 and stores nothing", async () => {
    const m = await merchantWithOrder();
    for (const id of ["pay_\\u0000abc", "pay_\\ud800abc", "pay_\\udc00"]) {
      const body = envelope("payment.succeeded", { ...paymentData(m.order), id: "PLACEHOLDER" }).replace("PLACEHOLDER", id);
      const answer = await send(m, body);
      expect(answer.status).toBe(400);
      expect(answer.body.error).toMatch(/cannot be stored/);
    }
    // A raw NUL byte and bytes that are not UTF-8.
    const nul = Buffer.from(envelope("payment.succeeded", paymentData(m.order)).replace('"paid"', '"pa\u0000id"'), "utf8");
    const notUtf8 = Buffer.concat([Buffer.from('{"type":"payment.succeeded","data":{"id":"pay_'), Buffer.from([0xff, 0xfe]), Buffer.from('"}}')]);
    for (const bytes of [nul, notUtf8]) {
      const { createHmac } = await import("node:crypto");
      const id = `msg_${randomBase62(24)}`;
      const ts = Math.floor(Date.now() / 1000);
      const signature = createHmac("sha256", Buffer.from(m.secret)).update(Buffer.concat([Buffer.from(`${id}.${ts}.`), bytes])).digest("base64");
      const response = await deliver(m.tenant, bytes, { "webhook-id": id, "webhook-timestamp": String(ts), "webhook-signature": `v1,${signature}` });
      expect(response.status).toBe(400);
    }
    expect(await eventsOf(m.tenant)).toEqual([]);
    expect((await orderNow(m.order)).status).toBe("pending");
  });
});

/** PGlite has one connection: two transactions cannot be in flight at once, so there is no race to test. */
const onPostgres = /^postgres(ql)?:\/\//.test(process.env.DATABASE_URL ?? "");

describe.runIf(onPostgres)("a dispute racing its payment's first event (two transactions on Postgres)", () => {
  it("the dispute, which names only the payment, joins the order however the two interleave", async () => {
    const m = await merchantWithOrder();
    const payment = normalizeWhopEvent(JSON.parse(envelope("payment.succeeded", paymentData(m.order))));
    if (!payment.ok) throw new Error(payment.error);
    let dispute: ReturnType<typeof send> | undefined;
    await db().transaction(async (tx) => {
      await applyObservation(tx, m.tenant.id, observationOf(payment.event));
      // The payment's row is written but not committed: the dispute arrives now, on another connection.
      dispute = send(m, envelope("dispute.created", disputeData(m.order, "dspt_Racing00001", "needs_response")));
      await new Promise((resolve) => setTimeout(resolve, 300));
    });
    expect((await dispute!).status).toBe(200);
    const { disputes } = await ledgerOf(m.tenant);
    expect(disputes.map((d) => [d.id, d.orderId])).toEqual([["dspt_Racing00001", m.order.id]]);
    expect(await orderNow(m.order)).toMatchObject({ status: "disputed" });
  });
});
