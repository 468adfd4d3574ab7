"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { actorAction } from "@/lib/auth/action";
import { reapplyEvent } from "@/lib/ledger/reapply";

const RESULT_TEXT = {
  applied: "Applied: ",
  ignored: "Still not applied: ",
} as const;

/** "Apply again" on one event of the signed-in account. */
export const reapplyEventAction = actorAction(z.object({ eventId: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER) }), async (actor, { eventId }) => {
  const outcome = await reapplyEvent(actor, eventId);
  if (!outcome.ok) return { error: outcome.message };
  revalidatePath("/dashboard/events");
  if (outcome.orderId) revalidatePath(`/dashboard/orders/${outcome.orderId}`);
  const text = `${RESULT_TEXT[outcome.result]}${outcome.detail}.`;
  return outcome.result === "applied" ? { success: text } : { error: text };
});
