import { and, desc, eq, type SQL } from "drizzle-orm";
import type { Transaction } from "@/db/client";
import { orders, type Order } from "@/db/schema";
import type { NormalizedEvent } from "@/lib/whop/events";

/**
 * The order an event is about, locked for the transaction: by metadata.order_id (what we put on
 * the checkout), else the checkout configuration id, else the payment id, else the plan id.
 * Always within the tenant: another tenant's order is never found.
 */
export async function lockOrderForEvent(tx: Transaction, tenantId: string, event: NormalizedEvent): Promise<Order | undefined> {
  const metadata = { ...event.membership?.metadata, ...event.payment?.metadata };
  const paymentId = event.payment?.id ?? event.refund?.paymentId ?? event.dispute?.paymentId ?? null;
  const checkoutId = event.payment?.checkoutId ?? event.membership?.checkoutId ?? null;
  const planId = event.payment?.planId ?? event.membership?.planId ?? null;

  const candidates: SQL[] = [];
  if (metadata.order_id) candidates.push(eq(orders.id, metadata.order_id));
  if (checkoutId) candidates.push(eq(orders.whopCheckoutId, checkoutId));
  if (paymentId) candidates.push(eq(orders.whopPaymentId, paymentId));
  if (event.membership) candidates.push(eq(orders.whopMembershipId, event.membership.id));
  if (planId) candidates.push(eq(orders.whopPlanId, planId));

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
