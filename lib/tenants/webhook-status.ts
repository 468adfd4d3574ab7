import { and, desc, eq, gt, ne, sql } from "drizzle-orm";
import { db } from "@/db/client";
import { webhookEvents, webhookRejections, type WebhookEvent } from "@/db/schema";
import { shownResult } from "@/lib/ledger/events";

/** What the integration page says about deliveries: are Whop's webhooks arriving and verifying? */
export interface WebhookStatus {
  /** The latest verified delivery from Whop (reconciliation reads are not deliveries). */
  lastDelivery: {
    receivedAt: Date;
    eventType: string;
    /** "recorded": answered, not applied to the ledger yet (seconds at most). */
    result: WebhookEvent["result"] | "recorded";
    detail: string | null;
  } | null;
  /** Deliveries whose signature failed in the last 24 hours (counted per hour bucket). */
  rejectedLast24h: number;
  /** The most recent rejection in that window, with the reason the route recorded. */
  lastRejection: { at: Date; reason: string | null } | null;
}

const DAY_MS = 24 * 60 * 60 * 1000;

export async function webhookStatus(tenantId: string, now: Date = new Date()): Promise<WebhookStatus> {
  const since = new Date(now.getTime() - DAY_MS);
  const [[last], [rejections], [lastRejection]] = await Promise.all([
    db()
      .select({
        receivedAt: webhookEvents.receivedAt,
        eventType: webhookEvents.eventType,
        result: webhookEvents.result,
        detail: webhookEvents.detail,
        appliedAt: webhookEvents.appliedAt,
      })
      .from(webhookEvents)
      .where(and(eq(webhookEvents.tenantId, tenantId), ne(webhookEvents.scheme, "reconcile")))
      .orderBy(desc(webhookEvents.receivedAt), desc(webhookEvents.id))
      .limit(1),
    db()
      .select({ total: sql<string | number | null>`sum(${webhookRejections.count})` })
      .from(webhookRejections)
      .where(and(eq(webhookRejections.tenantId, tenantId), gt(webhookRejections.hour, since))),
    db()
      .select({ at: webhookRejections.lastAt, reason: webhookRejections.lastReason })
      .from(webhookRejections)
      .where(and(eq(webhookRejections.tenantId, tenantId), gt(webhookRejections.hour, since)))
      .orderBy(desc(webhookRejections.lastAt))
      .limit(1),
  ]);
  return {
    lastDelivery: last ? { receivedAt: last.receivedAt, eventType: last.eventType, result: shownResult(last), detail: last.appliedAt ? last.detail : null } : null,
    rejectedLast24h: Number(rejections?.total ?? 0),
    lastRejection: lastRejection ?? null,
  };
}
