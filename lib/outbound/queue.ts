import type { Executor } from "@/db/client";
import { enqueue, JOBS } from "@/lib/jobs/queue";

/** A delivery's job (lib/outbound/deliver.ts), in the caller's transaction: committed with the row it attempts, or not at all. */
export async function scheduleDelivery(executor: Executor, tenantId: string, deliveryId: string, startAfterSeconds?: number): Promise<void> {
  await enqueue(executor, JOBS.deliverWebhook, { tenantId, deliveryId }, startAfterSeconds ? { startAfterSeconds } : {});
}
