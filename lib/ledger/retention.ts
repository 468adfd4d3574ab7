import { and, eq, inArray, lt, sql } from "drizzle-orm";
import { db } from "@/db/client";
import { tenants, webhookEvents } from "@/db/schema";
import { env } from "@/lib/env";

/**
 * What a removed payload becomes. `webhook_events.payload` is NOT NULL (the body exactly as
 * received), so a pruned event keeps an empty JSON object: still valid JSON for every reader, and
 * never a body Whop sends. The row itself stays — its event key keeps deduplicating late copies,
 * its result, detail and order link stay on the events page — and so do the ledger rows.
 */
export const PRUNED_PAYLOAD = "{}";

export function isPrunedPayload(payload: string): boolean {
  return payload === PRUNED_PAYLOAD;
}

export interface PruneReport {
  cutoff: string;
  tenants: number;
  pruned: number;
  /** True when the run stopped at its bound with more left (the next run goes on). */
  more: boolean;
}

/**
 * The daily `webhooks.prune_payloads` job: raw payloads received more than
 * WEBHOOK_PAYLOAD_RETENTION_DAYS ago are replaced by {@link PRUNED_PAYLOAD}. Tenant by tenant, in
 * batches on the (tenant_id, received_at) index, at most `maxRows` a run.
 */
export async function pruneWebhookPayloads({
  now = new Date(),
  retentionDays = env().webhookPayloadRetentionDays,
  batchSize = 1_000,
  maxRows = 50_000,
  tenantId,
}: { now?: Date; retentionDays?: number; batchSize?: number; maxRows?: number; /** One tenant's events only. */ tenantId?: string } = {}): Promise<PruneReport> {
  const cutoff = new Date(now.getTime() - retentionDays * 24 * 60 * 60_000);
  const report: PruneReport = { cutoff: cutoff.toISOString(), tenants: 0, pruned: 0, more: false };
  const all = await db()
    .select({ id: tenants.id })
    .from(tenants)
    .where(tenantId === undefined ? undefined : eq(tenants.id, tenantId))
    .orderBy(tenants.id);
  for (const { id: tenantId } of all) {
    let touched = false;
    for (;;) {
      const limit = Math.min(batchSize, maxRows - report.pruned);
      if (limit <= 0) {
        report.more = true;
        return report;
      }
      const batch = db()
        .select({ id: webhookEvents.id })
        .from(webhookEvents)
        // octet_length reads a TOASTed body's size from its header: pruned rows are skipped without loading old bodies.
        .where(and(eq(webhookEvents.tenantId, tenantId), lt(webhookEvents.receivedAt, cutoff), sql`octet_length(${webhookEvents.payload}) > ${PRUNED_PAYLOAD.length}`))
        .limit(limit);
      const rows = await db()
        .update(webhookEvents)
        .set({ payload: PRUNED_PAYLOAD })
        .where(and(eq(webhookEvents.tenantId, tenantId), inArray(webhookEvents.id, batch)))
        .returning({ id: webhookEvents.id });
      if (rows.length > 0) touched = true;
      report.pruned += rows.length;
      if (rows.length < limit) break;
    }
    if (touched) report.tenants++;
  }
  return report;
}
