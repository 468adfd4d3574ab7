import { and, eq } from "drizzle-orm";
import { z } from "zod";
import { db } from "@/db/client";
import { orders, type Order, type Tenant } from "@/db/schema";
import { recordAudit } from "@/lib/audit/log";
import type { Actor } from "@/lib/auth/actor";
import { authorize } from "@/lib/auth/roles";
import { logger } from "@/lib/logger";
import { isConnected } from "@/lib/tenants/queries";
import { whopClientForTenant } from "@/lib/tenants/whop";
import { isWhopApiError, type WhopMembership } from "@/lib/whop/client";
import { describeWhopProblem } from "@/lib/whop/messages";
import { displayState, ENDED_STATES } from "./lifecycle";

/*
 * The merchant's actions on a subscription (the order page): Cancel at period end, Cancel now,
 * Resume. The same discipline as refunds: the action is reserved on the order first (a double
 * click, a second tab or a replayed post finds it taken and sends nothing), then one call goes to
 * Whop, never retried. The subscription itself changes only when Whop's membership event (or
 * reconciliation) reports it; until then the order shows the action as requested.
 */

export const SUBSCRIPTION_ACTIONS = ["cancel_at_period_end", "cancel_now", "resume"] as const;
export type SubscriptionAction = (typeof SUBSCRIPTION_ACTIONS)[number];

export const SUBSCRIPTION_ACTION_LABEL: Record<SubscriptionAction, string> = {
  cancel_at_period_end: "Cancel at period end",
  cancel_now: "Cancel now",
  resume: "Resume",
};

/** What the order page says while Whop has not confirmed it. */
export const SUBSCRIPTION_ACTION_PENDING_TEXT: Record<SubscriptionAction, string> = {
  cancel_at_period_end: "Cancellation at period end requested",
  cancel_now: "Immediate cancellation requested",
  resume: "Resume requested",
};

export const subscriptionActionFormSchema = z.object({
  orderId: z.string().trim().min(1).max(64),
  action: z.enum(SUBSCRIPTION_ACTIONS, { message: "Choose what to do with the subscription." }),
});
export type SubscriptionActionForm = z.output<typeof subscriptionActionFormSchema>;

export type SubscriptionActionResult = { ok: true; message: string } | { ok: false; message: string; field?: never };

/** The actions a subscription order offers now (none for a one-time order or an ended subscription). */
export function availableSubscriptionActions(order: Order, now = new Date()): SubscriptionAction[] {
  if (order.billingPeriodDays === null || !order.whopMembershipId) return [];
  const state = displayState(order, now);
  if (state === null || ENDED_STATES.has(state)) return [];
  return state === "canceling" ? ["resume", "cancel_now"] : ["cancel_at_period_end", "cancel_now"];
}

const ORDER_NOT_FOUND = "That order does not exist.";

const REQUESTED_TEXT: Record<SubscriptionAction, string> = {
  cancel_at_period_end: "Cancellation requested: the subscription stops renewing and access ends when the current period ends. The order updates when Whop confirms it.",
  cancel_now: "Cancellation requested: Whop ends the buyer's access now. The order updates when Whop confirms it.",
  resume: "Resume requested: the subscription renews again. The order updates when Whop confirms it.",
};

type Reservation = { kind: "reserved"; order: Order } | { kind: "done"; result: SubscriptionActionResult };

async function reserve(actor: Actor, form: SubscriptionActionForm): Promise<Reservation> {
  const { tenant } = actor;
  return db().transaction(async (tx): Promise<Reservation> => {
    const [order] = await tx
      .select()
      .from(orders)
      .where(and(eq(orders.tenantId, tenant.id), eq(orders.id, form.orderId)))
      .limit(1)
      .for("update");
    const fail = (message: string): Reservation => ({ kind: "done", result: { ok: false, message } });
    if (!order) return fail(ORDER_NOT_FOUND);
    if (order.billingPeriodDays === null) return fail("This order is a one-time purchase, not a subscription.");
    if (!order.whopMembershipId) return fail("Whop has not reported this subscription's membership yet.");
    if (order.subscriptionAction === form.action && order.subscriptionActionState !== null) {
      return { kind: "done", result: { ok: true, message: `${SUBSCRIPTION_ACTION_PENDING_TEXT[form.action]}: already asked of Whop, waiting for its confirmation.` } };
    }
    if (order.subscriptionAction && order.subscriptionActionState !== null) {
      return fail(`${SUBSCRIPTION_ACTION_PENDING_TEXT[order.subscriptionAction as SubscriptionAction]} and Whop has not confirmed it yet. Wait for it, or use Check with Whop.`);
    }
    if (!availableSubscriptionActions(order).includes(form.action)) {
      const state = displayState(order);
      return fail(state !== null && ENDED_STATES.has(state) ? "This subscription has already ended." : form.action === "resume" ? "This subscription is not canceling: there is nothing to resume." : "This subscription already cancels at period end.");
    }
    const now = new Date();
    await tx
      .update(orders)
      .set({ subscriptionAction: form.action, subscriptionActionState: "reserved", subscriptionActionAt: now, updatedAt: now })
      .where(and(eq(orders.tenantId, tenant.id), eq(orders.id, order.id)));
    await recordAudit(tx, {
      tenantId: tenant.id,
      actorUserId: actor.userId,
      action: `subscription.${form.action}_requested`,
      ip: actor.ip,
      detail: { orderId: order.id, membershipId: order.whopMembershipId },
    });
    return { kind: "reserved", order };
  });
}

async function settle(tenantId: string, orderId: string, action: SubscriptionAction, state: "requested" | "unknown" | null): Promise<void> {
  // Only the reservation this request made: an event that confirmed (and cleared) it meanwhile stays.
  await db()
    .update(orders)
    .set(state === null ? { subscriptionAction: null, subscriptionActionState: null, subscriptionActionAt: null, updatedAt: new Date() } : { subscriptionActionState: state, updatedAt: new Date() })
    .where(and(eq(orders.tenantId, tenantId), eq(orders.id, orderId), eq(orders.subscriptionAction, action)));
}

function shows(action: SubscriptionAction, membership: Pick<WhopMembership, "status" | "cancelAtPeriodEnd">): boolean {
  if (action === "cancel_at_period_end") return membership.cancelAtPeriodEnd || membership.status === "canceled";
  if (action === "cancel_now") return membership.status === "canceled" || membership.status === "expired";
  return !membership.cancelAtPeriodEnd;
}

export async function requestSubscriptionAction(actor: Actor, form: SubscriptionActionForm): Promise<SubscriptionActionResult> {
  authorize(actor, "admin");
  const { tenant } = actor;
  if (!isConnected(tenant)) return { ok: false, message: "Connect Whop first." };
  const reservation = await reserve(actor, form);
  if (reservation.kind === "done") return reservation.result;
  const { order } = reservation;
  const membershipId = order.whopMembershipId!;
  const client = whopClientForTenant(tenant);
  try {
    // One call, no retry (no idempotency key): an uncertain answer is read back instead.
    if (form.action === "resume") await client.uncancelMembership({ membershipId });
    else await client.cancelMembership({ membershipId, mode: form.action === "cancel_now" ? "immediate" : "at_period_end" });
  } catch (error) {
    logger.warn({ err: error, tenantId: tenant.id, orderId: order.id, action: form.action }, "subscription action failed");
    const ambiguous = isWhopApiError(error) && (error.kind === "timeout" || error.kind === "server_error" || error.kind === "unreachable");
    if (!ambiguous) {
      await settle(tenant.id, order.id, form.action, null);
      return { ok: false, message: describeWhopProblem(error, { tenant, operation: "membership_cancel" }) };
    }
    return settleFromWhop(tenant, order, form.action);
  }
  await settle(tenant.id, order.id, form.action, "requested");
  return { ok: true, message: REQUESTED_TEXT[form.action] };
}

/** After an answer nobody can trust: read the membership back and settle by what Whop says. */
async function settleFromWhop(tenant: Tenant, order: Order, action: SubscriptionAction): Promise<SubscriptionActionResult> {
  let membership: WhopMembership;
  try {
    membership = await whopClientForTenant(tenant).getMembership(order.whopMembershipId!);
  } catch (error) {
    logger.warn({ err: error, tenantId: tenant.id, orderId: order.id }, "membership read-back failed");
    await settle(tenant.id, order.id, action, "unknown");
    return { ok: false, message: "Whop did not confirm the request and could not be asked again. The order shows it as requested until Whop reports the membership (reconciliation asks again)." };
  }
  if (shows(action, membership)) {
    await settle(tenant.id, order.id, action, "requested");
    return { ok: true, message: REQUESTED_TEXT[action] };
  }
  await settle(tenant.id, order.id, action, null);
  return { ok: false, message: "Whop did not answer, and the membership is unchanged: nothing was done. You can try again." };
}
