import type { Executor } from "@/db/client";
import { enqueue, JOBS } from "@/lib/jobs/queue";

/**
 * A delivery's job (lib/outbound/deliver.ts), in the caller's transaction: committed with the row it
 * attempts, or not at all. It names the endpoint when the caller knows it, so the worker can queue
 * the attempt behind its own attempts to the same endpoint before claiming it.
 */
export async function scheduleDelivery(executor: Executor, tenantId: string, deliveryId: string, startAfterSeconds?: number, endpointId?: string): Promise<void> {
  await enqueue(executor, JOBS.deliverWebhook, endpointId ? { tenantId, deliveryId, endpointId } : { tenantId, deliveryId }, startAfterSeconds ? { startAfterSeconds } : {});
}
