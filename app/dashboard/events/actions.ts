"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import type { ActionState } from "@/lib/actions";
import { db } from "@/db/client";
import { recordAudit } from "@/lib/audit/log";
import { clientIp, requireAccount } from "@/lib/auth/session";
import { reapplyWebhookEvent } from "@/lib/ledger/reapply";

const RESULT_TEXT = {
  applied: "Applied: ",
  ignored: "Still not applied: ",
} as const;

/** "Apply again" on one event of the signed-in merchant. */
export async function reapplyEventAction(_state: ActionState, formData: FormData): Promise<ActionState> {
  const { user, tenant } = await requireAccount();
  const parsed = z.object({ eventId: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER) }).safeParse(Object.fromEntries(formData));
  if (!parsed.success) return { error: "That event does not exist." };
  const outcome = await reapplyWebhookEvent(tenant.id, parsed.data.eventId);
  if (!outcome.ok) return { error: outcome.message };
  await recordAudit(db(), {
    tenantId: tenant.id,
    actorUserId: user.id,
    action: "webhook.event_reapplied",
    ip: await clientIp(),
    detail: { eventId: parsed.data.eventId, orderId: outcome.orderId ?? null, result: outcome.result },
  });
  revalidatePath("/dashboard/events");
  if (outcome.orderId) revalidatePath(`/dashboard/orders/${outcome.orderId}`);
  const text = `${RESULT_TEXT[outcome.result]}${outcome.detail}.`;
  return outcome.result === "applied" ? { success: text } : { error: text };
}
