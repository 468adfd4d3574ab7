import { and, desc, eq, inArray, type SQL } from "drizzle-orm";
import type { Transaction } from "@/db/client";
import { ledgerPayments, orders, type Order } from "@/db/schema";
import type { Locator } from "./observations";

/**
 * The order an observation is about, locked for the transaction: by `metadata.order_id` (what we
 * put on the checkout), else the checkout configuration id, else the payment id (the order's first
 * payment, or any payment row of its ledger), else the membership id, else the plan id. Always
 * within the tenant: another tenant's order is never found.
 */
export async function lockOrderFor(tx: Transaction, tenantId: string, locator: Locator): Promise<Order | undefined> {
  const candidates: SQL[] = [];
  if (locator.orderId) candidates.push(eq(orders.id, locator.orderId));
  if (locator.checkoutId) candidates.push(eq(orders.whopCheckoutId, locator.checkoutId));
  if (locator.paymentId) {
    candidates.push(eq(orders.whopPaymentId, locator.paymentId));
    const viaLedger = tx
      .select({ orderId: ledgerPayments.orderId })
      .from(ledgerPayments)
      .where(and(eq(ledgerPayments.tenantId, tenantId), eq(ledgerPayments.id, locator.paymentId)));
    candidates.push(inArray(orders.id, viaLedger));
  }
  if (locator.membershipId) candidates.push(eq(orders.whopMembershipId, locator.membershipId));
  if (locator.planId) candidates.push(eq(orders.whopPlanId, locator.planId));

  for (const condition of candidates) {
    const [order] = await tx
      .select()
      .from(orders)
      .where(and(eq(orders.tenantId, tenantId), condition))
      .orderBy(desc(orders.createdAt))
      .limit(1)
      .for("update");
    if (order) return order;
  }
  return undefined;
}
