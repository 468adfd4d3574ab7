import { and, eq } from "drizzle-orm";
import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/db/client";
import { outboundEvents } from "@/db/schema";
import { requestRefund } from "@/lib/ledger/refunds";
import { withTestDatabase } from "../db";
import { envelope, merchantWithOrder, orderNow, paymentData, refundData, send } from "../ledger/helpers";

withTestDatabase();

/* A refund asked for on the order page is an order change too: order.refund_pending, once, in the reservation's transaction. */

const ORIGIN = process.env.WHOP_API_ORIGIN ?? "https://api.whop.test";
const server = setupServer(http.post(`${ORIGIN}/api/v1/payments/:id/refund`, ({ params }) => HttpResponse.json({ id: String(params.id), status: "paid", substatus: "succeeded" })));
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterAll(() => server.close());

describe("the dashboard's refund request and the outbox", () => {
  it("a double-clicked refund gives one order.refund_pending; Whop's failed refund then gives order.refund_failed", async () => {
    const m = await merchantWithOrder();
    await send(m, envelope("payment.succeeded", paymentData(m.order)));
    const order = await orderNow(m.order);
    const form = { orderId: order.id, amount: "12.00", baseMinor: 0, reason: "" };
    const results = await Promise.all([requestRefund(m.actor, form), requestRefund(m.actor, form)]);
    expect(results.every((result) => result.ok)).toBe(true);
    const types = async () =>
      (
        await db()
          .select({ type: outboundEvents.type, payload: outboundEvents.payload })
          .from(outboundEvents)
          .where(and(eq(outboundEvents.tenantId, m.tenant.id), eq(outboundEvents.orderId, order.id)))
          .orderBy(outboundEvents.seq)
      ).map((event) => [event.type, (JSON.parse(event.payload) as { data: { refund_pending: boolean } }).data.refund_pending]);
    expect(await types()).toEqual([
      ["order.paid", false],
      ["order.refund_pending", true],
    ]);
    await send(m, envelope("refund.created", refundData(order, "rfnd_Fails000001", 12, "pending")));
    await send(m, envelope("refund.updated", refundData(order, "rfnd_Fails000001", 12, "failed")));
    expect(await types()).toEqual([
      ["order.paid", false],
      ["order.refund_pending", true],
      ["order.refund_failed", false],
    ]);
  });
});
