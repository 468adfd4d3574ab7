import { eq } from "drizzle-orm";
import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/db/client";
import { refundRequests } from "@/db/schema";
import { refundPosition, requestRefund, type RefundForm } from "@/lib/ledger/refunds";
import { withTestDatabase } from "../db";
import { envelope, ledgerOf, merchantWithOrder, orderNow, paymentData, paymentId, refundData, send } from "./helpers";

withTestDatabase();

/*
 * Refunds from the dashboard against a mocked Whop: whatever the merchant's browser does (double
 * click, two tabs, a replayed post), Whop receives one refund POST of the amount typed; after an
 * answer nobody can trust, the payment's refunds are read back instead of posting again.
 */
const ORIGIN = process.env.WHOP_API_ORIGIN ?? "https://api.whop.test";
const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

interface Seen {
  posts: { paymentId: string; body: Record<string, unknown>; idempotencyKey: string | null }[];
  lists: string[];
}

function whop(answer: { refund?: () => Response | Promise<Response>; list?: (paymentId: string) => unknown[] | Response } = {}): Seen {
  const seen: Seen = { posts: [], lists: [] };
  server.use(
    http.post(`${ORIGIN}/api/v1/payments/:id/refund`, async ({ request, params }) => {
      seen.posts.push({ paymentId: String(params.id), body: (await request.json()) as Record<string, unknown>, idempotencyKey: request.headers.get("idempotency-key") });
      // Let a racing request reach the server while this one is in flight.
      await new Promise((resolve) => setTimeout(resolve, 30));
      return answer.refund ? answer.refund() : HttpResponse.json({ id: String(params.id), status: "paid", substatus: "succeeded" });
    }),
    http.get(`${ORIGIN}/api/v1/refunds`, ({ request }) => {
      const id = new URL(request.url).searchParams.get("payment_id") ?? "";
      seen.lists.push(id);
      const data = answer.list ? answer.list(id) : [];
      if (data instanceof Response) return data;
      return HttpResponse.json({ data, page_info: { end_cursor: null, has_next_page: false } });
    }),
  );
  return seen;
}

async function paidOrder() {
  const m = await merchantWithOrder();
  await send(m, envelope("payment.succeeded", paymentData(m.order)));
  return { ...m, order: await orderNow(m.order) };
}

const form = (orderId: string, amount: string, baseMinor = 0): RefundForm => ({ orderId, amount, baseMinor, reason: "" });

describe("refunds from the dashboard: one Whop POST per refund the merchant meant", () => {
  it("a double click (two identical posts at once) refunds 12.00 once", async () => {
    const { actor, order } = await paidOrder();
    const seen = whop();
    const results = await Promise.all([requestRefund(actor, form(order.id, "12.00")), requestRefund(actor, form(order.id, "12.00"))]);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(seen.posts).toEqual([{ paymentId: paymentId(order), body: { partial_amount: 12 }, idempotencyKey: null }]);
    expect(await db().select().from(refundRequests).where(eq(refundRequests.orderId, order.id))).toMatchObject([{ amountMinor: 1200, state: "requested" }]);
    expect(await orderNow(order)).toMatchObject({ status: "paid", refundPending: true });
  });

  it("the re-rendered form's second click and a replayed post send nothing more; two tabs with other amounts: the second is refused", async () => {
    const { actor, order } = await paidOrder();
    const seen = whop();
    expect(await requestRefund(actor, form(order.id, "12.00"))).toMatchObject({ ok: true });
    // The page re-rendered: the form now carries the new committed total and starts empty.
    expect(await requestRefund(actor, form(order.id, "", 1200))).toMatchObject({ ok: false, field: "amount" });
    // The first form's post, replayed.
    expect(await requestRefund(actor, form(order.id, "12.00"))).toMatchObject({ ok: true, message: expect.stringMatching(/already requested/) });
    // A second tab that loaded before the refund, asking for something else.
    expect(await requestRefund(actor, form(order.id, "20.00"))).toMatchObject({ ok: false, message: expect.stringMatching(/changed since the page was loaded/) });
    expect(seen.posts).toHaveLength(1);
    expect(await refundPosition(undefined, await orderNow(order))).toEqual({ committedMinor: 1200, pendingMinor: 1200, leftMinor: 2800 });
  });

  it("Whop's refund webhook settles the request: refunded, nothing pending", async () => {
    const m = await paidOrder();
    whop();
    expect(await requestRefund(m.actor, form(m.order.id, "12.00"))).toMatchObject({ ok: true });
    await send(m, envelope("refund.created", refundData(m.order, "rfnd_Dashboard01", 12, "pending")));
    expect(await orderNow(m.order)).toMatchObject({ status: "paid", refundPending: true });
    await send(m, envelope("refund.updated", refundData(m.order, "rfnd_Dashboard01", 12, "succeeded")));
    expect(await orderNow(m.order)).toMatchObject({ status: "partially_refunded", refundedMinor: 1200, refundPending: false });
    expect(await db().select().from(refundRequests).where(eq(refundRequests.orderId, m.order.id))).toMatchObject([{ whopRefundId: "rfnd_Dashboard01" }]);
    expect(await refundPosition(undefined, await orderNow(m.order))).toEqual({ committedMinor: 1200, pendingMinor: 0, leftMinor: 2800 });
  });

  it("after a 500, the POST is not repeated: Whop's list shows the refund, so the request stands and the refund joins the ledger", async () => {
    const { actor, order } = await paidOrder();
    const seen = whop({
      refund: () => HttpResponse.json({ error: { type: "server_error", message: "boom" } }, { status: 500 }),
      list: () => [refundData(order, "rfnd_AfterFail01", 12, "pending")],
    });
    expect(await requestRefund(actor, form(order.id, "12.00"))).toMatchObject({ ok: true });
    expect(seen.posts).toHaveLength(1);
    expect(seen.lists).toEqual([paymentId(order)]);
    expect((await ledgerOf(actor.tenant)).refunds).toMatchObject([{ id: "rfnd_AfterFail01", status: "pending", amountMinor: 1200, orderId: order.id }]);
    expect(await db().select().from(refundRequests).where(eq(refundRequests.orderId, order.id))).toMatchObject([{ whopRefundId: "rfnd_AfterFail01", state: "requested" }]);
    expect(await orderNow(order)).toMatchObject({ refundPending: true });
  });

  it("after a 500 with no such refund on Whop: nothing was refunded, the reservation is released", async () => {
    const { actor, order } = await paidOrder();
    const seen = whop({ refund: () => HttpResponse.json({ error: { message: "boom" } }, { status: 502 }) });
    expect(await requestRefund(actor, form(order.id, "12.00"))).toMatchObject({ ok: false, message: expect.stringMatching(/nothing was refunded/) });
    expect(seen.posts).toHaveLength(1);
    expect(await orderNow(order)).toMatchObject({ status: "paid", refundPending: false });
    expect(await refundPosition(undefined, await orderNow(order))).toEqual({ committedMinor: 0, pendingMinor: 0, leftMinor: 4000 });
  });

  it("when Whop cannot even be asked again, the amount stays reserved and says so", async () => {
    const { actor, order } = await paidOrder();
    whop({ refund: () => HttpResponse.json({}, { status: 503 }), list: () => HttpResponse.json({}, { status: 503 }) });
    expect(await requestRefund(actor, form(order.id, "12.00"))).toMatchObject({ ok: false, message: expect.stringMatching(/stays reserved/) });
    expect(await db().select().from(refundRequests).where(eq(refundRequests.orderId, order.id))).toMatchObject([{ state: "unknown" }]);
    expect(await refundPosition(undefined, await orderNow(order))).toMatchObject({ leftMinor: 2800 });
  });

  it("a refusal (4xx) is final and says why; more than is left is refused before Whop is asked", async () => {
    const { actor, order } = await paidOrder();
    const seen = whop({ refund: () => HttpResponse.json({ error: { type: "invalid_request", message: "Payment cannot be refunded" } }, { status: 400 }) });
    expect(await requestRefund(actor, form(order.id, "40.01"))).toMatchObject({ ok: false, field: "amount", message: "At most $40.00 can still be refunded." });
    expect(seen.posts).toHaveLength(0);
    expect(await requestRefund(actor, form(order.id, "40.00"))).toMatchObject({ ok: false });
    expect(seen.posts).toEqual([expect.objectContaining({ body: {} })]);
    expect(await orderNow(order)).toMatchObject({ refundPending: false });
  });
});
