import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { db } from "@/db/client";
import { getApiOrder } from "@/lib/api/orders";
import { applyObservation } from "@/lib/ledger/apply";
import { observationOf } from "@/lib/ledger/observations";
import { orderView } from "@/lib/orders/view";
import { normalizeWhopEvent } from "@/lib/whop/events";
import { withTestDatabase } from "../db";
import { envelope, merchantWithOrder, paymentData, refundData, send } from "../ledger/helpers";

withTestDatabase();

/** PGlite has one connection: two transactions cannot be in flight at once, so there is nothing to tear. */
const onPostgres = /^postgres(ql)?:\/\//.test(process.env.DATABASE_URL ?? "");

/**
 * Applies `body` in a transaction that holds `table` locked against reads, starts `read` while that
 * transaction is open, and commits once the read has had time to take the order and wait on the
 * table: a reader that takes its statements apart sees the order from before the commit and the
 * table's rows from after it.
 */
async function readAcrossACommit<T>(tenantId: string, body: string, table: "ledger_refunds" | "ledger_payments", read: () => Promise<T>): Promise<T> {
  const event = normalizeWhopEvent(JSON.parse(body));
  if (!event.ok) throw new Error(event.error);
  let reading: Promise<T> | undefined;
  await db().transaction(async (tx) => {
    await tx.execute(sql.raw(`lock table ${table} in access exclusive mode`));
    await applyObservation(tx, tenantId, observationOf(event.event));
    reading = read();
    await new Promise((resolve) => setTimeout(resolve, 300));
  });
  return reading!;
}

describe.runIf(onPostgres)("pages and the API read an order and its ledger rows from one snapshot (two transactions on Postgres)", () => {
  it("the order page never shows a refund failed beside a header still saying refund pending", async () => {
    const m = await merchantWithOrder();
    await send(m, envelope("payment.succeeded", paymentData(m.order)));
    await send(m, envelope("refund.created", refundData(m.order, "rfnd_Snapshot0001", 40, "pending")));

    const view = await readAcrossACommit(m.tenant.id, envelope("refund.updated", refundData(m.order, "rfnd_Snapshot0001", 40, "failed")), "ledger_refunds", () => orderView(m.tenant.id, m.order.id));
    // All of it from before the failure: the order, its refund row and what is waiting for Whop agree.
    expect(view!.order.refundPending).toBe(true);
    expect(view!.ledger.refunds.map((refund) => refund.status)).toEqual(["pending"]);
    expect(view!.position.pendingMinor).toBe(4000);

    const after = await orderView(m.tenant.id, m.order.id);
    expect(after!.order.refundPending).toBe(false);
    expect(after!.ledger.refunds.map((refund) => refund.status)).toEqual(["failed"]);
    expect(after!.position).toMatchObject({ pendingMinor: 0, leftMinor: 4000 });
  });

  it("the API never answers a pending order beside its succeeded payment", async () => {
    const m = await merchantWithOrder();
    const order = await readAcrossACommit(m.tenant.id, envelope("payment.succeeded", paymentData(m.order)), "ledger_payments", () => getApiOrder(m.tenant.id, m.order.id));
    expect(order).toMatchObject({ status: "pending", payments: [] });
    expect(await getApiOrder(m.tenant.id, m.order.id)).toMatchObject({ status: "paid", payments: [{ status: "succeeded" }] });
  });
});
