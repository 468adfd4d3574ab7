import { and, eq } from "drizzle-orm";
import { db } from "@/db/client";
import { webhookEvents, type WebhookEvent } from "@/db/schema";
import { recordAudit } from "@/lib/audit/log";
import type { Actor } from "@/lib/auth/actor";
import { authorize } from "@/lib/auth/roles";
import { normalizeWhopEvent } from "@/lib/whop/events";
import { applyObservation, NO_MATCHING_ORDER, type Application } from "./apply";
import { observationOf } from "./observations";

/*
 * "Apply again" on the events page: an event that failed to apply, or that arrived before any
 * order of this account matched it, is run once more through the same path as a first delivery
 * (lock the order, forward-only ledger rows) and its own row is updated. No event row is ever
 * added, and the ledger makes a second application of the same facts a no-op. Reconciliation's records are
 * read from Whop and always about a known order, so they are never offered.
 */

export type ReapplyOutcome =
  | ({ ok: true } & Application)
  | { ok: false; reason: "not_found" | "not_eligible" | "unreadable"; message: string };

/** Whether the events page offers "Apply again" for this event. */
export function canReapply(event: Pick<WebhookEvent, "result" | "detail" | "scheme">): boolean {
  if (event.scheme === "reconcile") return false;
  return event.result === "failed" || (event.result === "ignored" && event.detail === NO_MATCHING_ORDER);
}

/** **Apply again** from the events page (Admin and Owner), audited in the same transaction. */
export async function reapplyEvent(actor: Actor, eventId: number): Promise<ReapplyOutcome> {
  authorize(actor, "admin");
  return reapplyWebhookEvent(actor.tenant.id, eventId, actor);
}

export async function reapplyWebhookEvent(tenantId: string, eventId: number, by?: Pick<Actor, "userId" | "ip">): Promise<ReapplyOutcome> {
  return db().transaction(async (tx): Promise<ReapplyOutcome> => {
    // Locked: two merchants' clicks on the same event apply it one after the other.
    const [event] = await tx
      .select()
      .from(webhookEvents)
      .where(and(eq(webhookEvents.tenantId, tenantId), eq(webhookEvents.id, eventId)))
      .limit(1)
      .for("update");
    if (!event) return { ok: false, reason: "not_found", message: "That event does not exist." };
    if (!canReapply(event)) {
      const message =
        event.scheme === "reconcile"
          ? "This was read from Whop, not delivered by a webhook: press Check with Whop on the order to read it again."
          : event.result === "applied"
            ? "This event is already applied."
            : "Applying this event again would change nothing.";
      return { ok: false, reason: "not_eligible", message };
    }

    let normalized: ReturnType<typeof normalizeWhopEvent>;
    try {
      normalized = normalizeWhopEvent(JSON.parse(event.payload));
    } catch {
      normalized = { ok: false, error: "payload is not valid JSON" };
    }
    if (!normalized.ok) return { ok: false, reason: "unreadable", message: `The stored payload cannot be read: ${normalized.error}.` };

    const application = await applyObservation(tx, tenantId, observationOf(normalized.event), { reportUnmatched: false });
    await tx
      .update(webhookEvents)
      .set({ result: application.result, detail: application.detail, orderId: application.orderId })
      .where(and(eq(webhookEvents.tenantId, tenantId), eq(webhookEvents.id, event.id)));
    if (by) {
      await recordAudit(tx, {
        tenantId,
        actorUserId: by.userId,
        action: "webhook.event_reapplied",
        ip: by.ip,
        detail: { eventId, orderId: application.orderId ?? null, result: application.result },
      });
    }
    return { ok: true, ...application };
  });
}
