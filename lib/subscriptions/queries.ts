import { eq, isNotNull, type SQL } from "drizzle-orm";
import { z } from "zod";
import { orders } from "@/db/schema";
import { pageOfOrders, type OrderRow } from "@/lib/orders/queries";
import { SUBSCRIPTION_STATES } from "./lifecycle";

/*
 * Reading subscriptions: the Subscriptions view (keyset pages like the orders list, one range of
 * orders_tenant_subscriptions_idx or, filtered by state, of orders_tenant_subscription_state_idx).
 * The overview's MRR, subscribers, churn and renewal revenue are lib/overview/queries.ts's.
 */

export const subscriptionFilterSchema = z.object({
  state: z.enum(SUBSCRIPTION_STATES as [string, ...string[]]).optional().catch(undefined),
  cursor: z.string().max(200).optional().catch(undefined),
});
export type SubscriptionFilter = z.output<typeof subscriptionFilterSchema>;

const isSubscription = isNotNull(orders.billingPeriodDays);

export async function listSubscriptions(tenantId: string, filter: SubscriptionFilter, pageSize = 25): Promise<{ rows: OrderRow[]; nextCursor: string | null }> {
  // The partial indexes' own predicate, so the planner matches them.
  const conditions: SQL[] = [eq(orders.tenantId, tenantId), isSubscription];
  if (filter.state) conditions.push(eq(orders.subscriptionState, filter.state as (typeof SUBSCRIPTION_STATES)[number]));
  return pageOfOrders(conditions, filter.cursor, pageSize);
}
