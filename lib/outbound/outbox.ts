import { and, eq, sql } from "drizzle-orm";
import type { Executor, Transaction } from "@/db/client";
import { preparedStatement } from "@/db/prepared";
import { items, outboundEvents, webhookDeliveries, webhookEndpoints, type Order } from "@/db/schema";
import { paymentsOfOrders, toApiOrder, type PaymentRow } from "@/lib/api/orders";
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

/** What the caller of `recordOrderChange` may already hold (the ledger's apply has read both). */
export interface OrderChangeContext {
  itemTitle: string;
  /** The order's payments as this transaction leaves them, in any order. */
  payments: readonly PaymentRow[];
}

/** The events of one order change, written with their deliveries; none when the change gives none. */
export async function recordOrderChange(tx: Transaction, tenantId: string, before: Order, after: Order, now = new Date(), known?: OrderChangeContext): Promise<OutboxEvent[]> {
  const types = orderEventTypes(before, after);
  if (types.length === 0) return [];
  const { itemTitle, payments } = known ?? (await readOrderContext(tx, tenantId, after));
  const data = toApiOrder(after, itemTitle, payments, now);
  const createdAt = now.toISOString();
  const events = types.map((type) => {
    const id = newEventId();
    return { tenantId, id, type, orderId: after.id, createdAt: now, payload: sealedPayload({ id, type, created_at: createdAt, data }, after.licenseKeyCiphertext) };
  });
  // The events and the endpoints they go to, in one round trip.
  const [, endpoints] = await Promise.all([tx.insert(outboundEvents).values(events), endpointsOfTenant(tx, { tenantId })]);
  await fanOut(tx, tenantId, events, { endpoints });
  return events.map(({ id, type }) => ({ id, type }));
}

async function readOrderContext(tx: Transaction, tenantId: string, order: Order): Promise<OrderChangeContext> {
  const [[item], payments] = await Promise.all([
    tx.select({ title: items.title }).from(items).where(and(eq(items.tenantId, tenantId), eq(items.id, order.itemId))),
    paymentsOfOrders(tenantId, [order.id], tx),
  ]);
  return { itemTitle: item?.title ?? "", payments: payments.get(order.id) ?? [] };
}

/** The tenant's enabled endpoints, read on every order change and every fan-out (prepared once: db/prepared.ts). */
const endpointsOfTenant = preparedStatement<{ tenantId: string }, { id: string; eventTypes: string[] }[]>((database) =>
  database
    .select({ id: webhookEndpoints.id, eventTypes: webhookEndpoints.eventTypes })
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.tenantId, sql.placeholder("tenantId")), eq(webhookEndpoints.enabled, true)))
    .prepare("webhook_endpoints_enabled"),
);

/**
 * A delivery row and its job for each event and each enabled endpoint subscribed to its type (or
 * only `endpointId`'s). Answers the deliveries written.
 */
export async function fanOut(
  executor: Executor,
  tenantId: string,
  events: readonly OutboxEvent[],
  options: { endpointId?: string; startAfterSeconds?: number; endpoints?: { id: string; eventTypes: string[] }[] } = {},
): Promise<{ id: string; eventId: string; endpointId: string }[]> {
  const endpoints = options.endpoints ?? (await endpointsOfTenant(executor, { tenantId }));
  const rows = events.flatMap((event) =>
    endpoints
      .filter((endpoint) => (options.endpointId !== undefined ? endpoint.id === options.endpointId : endpoint.eventTypes.includes(event.type)))
      .map((endpoint) => ({ tenantId, id: newDeliveryId(), eventId: event.id, endpointId: endpoint.id, nextAttemptAt: new Date() })),
  );
  if (rows.length === 0) return [];
  await executor.insert(webhookDeliveries).values(rows);
  for (const row of rows) await scheduleDelivery(executor, tenantId, row.id, options.startAfterSeconds, row.endpointId);
  return rows;
}
