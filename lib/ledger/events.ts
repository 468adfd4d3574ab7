import { and, desc, eq, type SQL } from "drizzle-orm";
import { z } from "zod";
import { keysetBefore } from "@/db/keyset";
import { db, plannedPerRun, type Executor } from "@/db/client";
import { webhookEvents, webhookResult, type WebhookEvent } from "@/db/schema";

export const eventFilterSchema = z.object({
  result: z.enum(webhookResult.enumValues).optional().catch(undefined),
  cursor: z.string().max(200).optional().catch(undefined),
});

/** What a delivery came to, as the pages show it: `recorded` until it is applied to the ledger (seconds at most). */
export function shownResult(event: Pick<WebhookEvent, "appliedAt" | "result">): WebhookEvent["result"] | "recorded" {
  return event.appliedAt ? event.result : "recorded";
}

/** The events page: newest first, keyset-paginated on (received_at, id). */
export async function listWebhookEvents(
  tenantId: string,
  filter: z.output<typeof eventFilterSchema>,
  pageSize = 50,
): Promise<{ events: WebhookEvent[]; nextCursor: string | null }> {
  const conditions: SQL[] = [eq(webhookEvents.tenantId, tenantId)];
  if (filter.result) conditions.push(eq(webhookEvents.result, filter.result));
  const [iso, id] = filter.cursor ? Buffer.from(filter.cursor, "base64url").toString("utf8").split("|") : [];
  const at = new Date(iso ?? "");
  if (id && !Number.isNaN(at.getTime()) && /^\d+$/.test(id)) {
    conditions.push(keysetBefore(webhookEvents.receivedAt, webhookEvents.id, at, Number(id)));
  }
  const rows = await plannedPerRun(db(), (tx) =>
    tx
      .select()
      .from(webhookEvents)
      .where(and(...conditions))
      .orderBy(desc(webhookEvents.receivedAt), desc(webhookEvents.id))
      .limit(pageSize + 1),
  );
  const events = rows.slice(0, pageSize);
  const last = events[events.length - 1];
  return {
    events,
    nextCursor: rows.length > pageSize && last ? Buffer.from(`${last.receivedAt.toISOString()}|${last.id}`).toString("base64url") : null,
  };
}

/** The raw payload, pretty-printed when it is JSON. */
export function prettyPayload(payload: string): string {
  try {
    return JSON.stringify(JSON.parse(payload), null, 2);
  } catch {
    return payload;
  }
}

/** Every webhook (and reconciliation) recorded for the order, oldest first. */
export async function orderEvents(tenantId: string, orderId: string, executor: Executor = db()): Promise<WebhookEvent[]> {
  return executor
    .select()
    .from(webhookEvents)
    .where(and(eq(webhookEvents.tenantId, tenantId), eq(webhookEvents.orderId, orderId)))
    .orderBy(webhookEvents.receivedAt, webhookEvents.id);
}

export async function hasAnyWebhookEvent(tenantId: string): Promise<boolean> {
  const [row] = await db().select({ id: webhookEvents.id }).from(webhookEvents).where(eq(webhookEvents.tenantId, tenantId)).limit(1);
  return row !== undefined;
}
