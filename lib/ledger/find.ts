import { and, desc, eq, inArray, sql, type SQL } from "drizzle-orm";
import type { Transaction } from "@/db/client";
import { preparedStatement } from "@/db/prepared";
import { ledgerPayments, orders, type Order } from "@/db/schema";
import type { Locator } from "./observations";

const tenantParam = sql.placeholder("tenantId");
const valueParam = sql.placeholder("value");

/** The newest order of the tenant matching `condition`, locked; one prepared statement per way of finding it. */
function orderLockedBy(name: string, condition: SQL) {
  return preparedStatement<{ tenantId: string; value: string }, Order[]>((database) =>
    database.select().from(orders).where(and(eq(orders.tenantId, tenantParam), condition)).orderBy(desc(orders.createdAt)).limit(1).for("update").prepare(`order_for_update_by_${name}`),
  );
}

const ORDER_BY = {
  orderId: [orderLockedBy("id", eq(orders.id, valueParam))],
  checkoutId: [orderLockedBy("checkout", eq(orders.whopCheckoutId, valueParam))],
  // The order's first payment, or any payment row of its ledger.
  paymentId: [
    orderLockedBy("payment", eq(orders.whopPaymentId, valueParam)),
    orderLockedBy(
      "ledger_payment",
      inArray(orders.id, sql`(select ${ledgerPayments.orderId} from ${ledgerPayments} where ${ledgerPayments.tenantId} = ${tenantParam} and ${ledgerPayments.id} = ${valueParam})`),
    ),
  ],
  membershipId: [orderLockedBy("membership", eq(orders.whopMembershipId, valueParam))],
  planId: [orderLockedBy("plan", eq(orders.whopPlanId, valueParam))],
} as const;

/**
 * The order an observation is about, locked for the transaction: by `metadata.order_id` (what we
 * put on the checkout), else the checkout configuration id, else the payment id (the order's first
 * payment, or any payment row of its ledger), else the membership id, else the plan id. Always
 * within the tenant: another tenant's order is never found.
 */
export async function lockOrderFor(tx: Transaction, tenantId: string, locator: Locator): Promise<Order | undefined> {
  for (const key of ["orderId", "checkoutId", "paymentId", "membershipId", "planId"] as const) {
    const found = locator[key];
    if (!found) continue;
    for (const lock of ORDER_BY[key]) {
      const [order] = await lock(tx, { tenantId, value: found });
      if (order) return order;
    }
  }
  return undefined;
}
