"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import type { ActionState } from "@/lib/actions";
import { requireAccount } from "@/lib/auth/session";
import { reapplyWebhookEvent } from "@/lib/webhooks/reapply";

const RESULT_TEXT = {
  applied: "Applied: ",
  ignored: "Still not applied: ",
} as const;

/** "Apply again" on one event of the signed-in merchant. */
export async function reapplyEventAction(_state: ActionState, formData: FormData): Promise<ActionState> {
  const { tenant } = await requireAccount();
  const parsed = z.object({ eventId: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER) }).safeParse(Object.fromEntries(formData));
  if (!parsed.success) return { error: "That event does not exist." };
  const outcome = await reapplyWebhookEvent(tenant.id, parsed.data.eventId);
  if (!outcome.ok) return { error: outcome.message };
  revalidatePath("/dashboard/events");
  if (outcome.orderId) revalidatePath(`/dashboard/orders/${outcome.orderId}`);
  const text = `${RESULT_TEXT[outcome.result]}${outcome.detail}.`;
  return outcome.result === "applied" ? { success: text } : { error: text };
}
