import { and, eq } from "drizzle-orm";
import type { Executor, Transaction } from "@/db/client";
import { items, outboundEvents, webhookDeliveries, webhookEndpoints, type Order } from "@/db/schema";
import { paymentsOfOrders, toApiOrder } from "@/lib/api/orders";
import { randomBase62 } from "@/lib/ids";
import { newEventId, orderEventTypes } from "./events";
import { sealedPayload } from "./payload";
import { scheduleDelivery } from "./queue";

/*
 * The transactional outbox. Called with the order as it was and as it is written, in the
 * transaction that changes it: the events that change gives (lib/outbound/events.ts), each with
 * `data` = the order as the merchant API shows it at that commit, and for every enabled endpoint
 * subscribed to an event's type a delivery row and its job. A rolled-back transaction leaves none.
 */

export interface OutboxEvent {
  id: string;
  type: string;
}

export function newDeliveryId(): string {
  return `whd_${randomBase62(20)}`;
}

/** The events of one order change, written with their deliveries; none when the change gives none. */
export async function recordOrderChange(tx: Transaction, tenantId: string, before: Order, after: Order, now = new Date()): Promise<OutboxEvent[]> {
  const types = orderEventTypes(before, after);
  if (types.length === 0) return [];
  const [item] = await tx
    .select({ title: items.title })
    .from(items)
    .where(and(eq(items.tenantId, tenantId), eq(items.id, after.itemId)));
  const payments = await paymentsOfOrders(tenantId, [after.id], tx);
  const data = toApiOrder(after, item?.title ?? "", payments.get(after.id) ?? [], now);
  const createdAt = now.toISOString();
  const events = types.map((type) => {
    const id = newEventId();
    return { tenantId, id, type, orderId: after.id, createdAt: now, payload: sealedPayload({ id, type, created_at: createdAt, data }, after.licenseKeyCiphertext) };
  });
  await tx.insert(outboundEvents).values(events);
  await fanOut(tx, tenantId, events);
  return events.map(({ id, type }) => ({ id, type }));
}

/**
 * A delivery row and its job for each event and each enabled endpoint subscribed to its type (or
 * only `endpointId`'s). Answers the deliveries written.
 */
export async function fanOut(
  executor: Executor,
  tenantId: string,
  events: readonly OutboxEvent[],
  options: { endpointId?: string; startAfterSeconds?: number } = {},
): Promise<{ id: string; eventId: string; endpointId: string }[]> {
  const endpoints = await executor
    .select({ id: webhookEndpoints.id, eventTypes: webhookEndpoints.eventTypes })
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.tenantId, tenantId), eq(webhookEndpoints.enabled, true), options.endpointId ? eq(webhookEndpoints.id, options.endpointId) : undefined));
  const rows = events.flatMap((event) =>
    endpoints
      .filter((endpoint) => options.endpointId !== undefined || endpoint.eventTypes.includes(event.type))
      .map((endpoint) => ({ tenantId, id: newDeliveryId(), eventId: event.id, endpointId: endpoint.id, nextAttemptAt: new Date() })),
  );
  if (rows.length === 0) return [];
  await executor.insert(webhookDeliveries).values(rows);
  for (const row of rows) await scheduleDelivery(executor, tenantId, row.id, options.startAfterSeconds, row.endpointId);
  return rows;
}
