"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { validatedAction, type ActionState } from "@/lib/actions";
import { clientIp, requireAccount } from "@/lib/auth/session";
import { recordAudit } from "@/lib/audit/log";
import { db } from "@/db/client";
import { reconcileOrder } from "@/lib/ledger/reconcile";
import { refundFormSchema, requestRefund, type RefundResult } from "@/lib/ledger/refunds";
import {
  acceptPayment,
  acceptPaymentFormSchema,
  cancelMembershipFormSchema,
  requestMembershipCancel,
  type AfterSaleResult,
} from "@/lib/orders/after-sale";
import { describeWhopProblem } from "@/lib/whop/messages";
import { env } from "@/lib/env";

const OUTCOME_TEXT = {
  applied: "Updated from Whop.",
  unchanged: "Already up to date with Whop.",
  no_payment_yet: "Whop has no payment for this order yet.",
} as const;

export async function reconcileOrderAction(_state: ActionState, formData: FormData): Promise<ActionState> {
  const { user, tenant } = await requireAccount();
  const parsed = z.object({ orderId: z.string().min(1).max(64) }).safeParse(Object.fromEntries(formData));
  if (!parsed.success) return { error: "That order does not exist." };
  try {
    const result = await reconcileOrder(tenant, parsed.data.orderId);
    if (!result.ok) return { error: result.message };
    await recordAudit(db(), { tenantId: tenant.id, actorUserId: user.id, action: "order.reconciled", ip: await clientIp(), detail: { orderId: parsed.data.orderId, outcome: result.outcome } });
    revalidatePath(`/dashboard/orders/${parsed.data.orderId}`);
    return { success: OUTCOME_TEXT[result.outcome] };
  } catch (error) {
    return { error: describeWhopProblem(error, { environment: env().whopEnvironment, operation: "payments" }) };
  }
}

async function actor() {
  const { user, tenant } = await requireAccount();
  return { tenant, userId: user.id, ip: await clientIp() };
}

function toActionState(result: AfterSaleResult | RefundResult, orderId: string): ActionState {
  if (!result.ok) return result.field ? { fieldErrors: { [result.field]: result.message } } : { error: result.message };
  revalidatePath(`/dashboard/orders/${orderId}`);
  return { success: result.message };
}

export const refundOrderAction = validatedAction(refundFormSchema, async (input) => {
  const who = await actor();
  return toActionState(await requestRefund(who, input), input.orderId);
});

export const cancelMembershipAction = validatedAction(cancelMembershipFormSchema, async (input) => {
  const who = await actor();
  return toActionState(await requestMembershipCancel(who, input), input.orderId);
});

export const acceptPaymentAction = validatedAction(acceptPaymentFormSchema, async (input) => {
  const who = await actor();
  return toActionState(await acceptPayment(who, input), input.orderId);
});
