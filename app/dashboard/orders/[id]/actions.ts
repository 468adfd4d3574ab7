"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import type { ActionState } from "@/lib/actions";
import { actorAction } from "@/lib/auth/action";
import { checkOrderWithWhop } from "@/lib/ledger/reconcile";
import { resetActivations } from "@/lib/licenses/licenses";
import { refundFormSchema, requestRefund, type RefundResult } from "@/lib/ledger/refunds";
import {
  acceptPayment,
  acceptPaymentFormSchema,
  cancelMembershipFormSchema,
  requestMembershipCancel,
  type AfterSaleResult,
} from "@/lib/orders/after-sale";
import { requestSubscriptionAction, subscriptionActionFormSchema, type SubscriptionActionResult } from "@/lib/subscriptions/actions";
import { describeWhopProblem } from "@/lib/whop/messages";
import { ForbiddenError } from "@/lib/auth/roles";

const OUTCOME_TEXT = {
  applied: "Updated from Whop.",
  unchanged: "Already up to date with Whop.",
  no_payment_yet: "Whop has no payment for this order yet.",
} as const;

export const reconcileOrderAction = actorAction(z.object({ orderId: z.string().min(1).max(64) }), async (actor, { orderId }) => {
  try {
    const result = await checkOrderWithWhop(actor, orderId);
    if (!result.ok) return { error: result.message };
    revalidatePath(`/dashboard/orders/${orderId}`);
    return { success: OUTCOME_TEXT[result.outcome] };
  } catch (error) {
    if (error instanceof ForbiddenError) throw error;
    return { error: describeWhopProblem(error, { tenant: actor.tenant, operation: "payments" }) };
  }
});

function toActionState(result: AfterSaleResult | RefundResult | SubscriptionActionResult, orderId: string): ActionState {
  if (!result.ok) return result.field ? { fieldErrors: { [result.field]: result.message } } : { error: result.message };
  revalidatePath(`/dashboard/orders/${orderId}`);
  return { success: result.message };
}

export const refundOrderAction = actorAction(refundFormSchema, async (actor, input) => toActionState(await requestRefund(actor, input), input.orderId));

export const cancelMembershipAction = actorAction(cancelMembershipFormSchema, async (actor, input) =>
  toActionState(await requestMembershipCancel(actor, input), input.orderId),
);

/** Cancel at period end, Cancel now, Resume: reserved, then asked of Whop once. */
export const subscriptionAction = actorAction(subscriptionActionFormSchema, async (actor, input) =>
  toActionState(await requestSubscriptionAction(actor, input), input.orderId),
);

export const acceptPaymentAction = actorAction(acceptPaymentFormSchema, async (actor, input) => toActionState(await acceptPayment(actor, input), input.orderId));

export const resetActivationsAction = actorAction(z.object({ orderId: z.string().min(1).max(64) }), async (actor, { orderId }) => {
  const result = await resetActivations(actor, orderId);
  if (!result.ok) return { error: result.message };
  revalidatePath(`/dashboard/orders/${orderId}`);
  return { success: `${result.count} activation${result.count === 1 ? "" : "s"} reset. The buyer can activate again.` };
});
