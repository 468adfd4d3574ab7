import { db } from "@/db/client";
import { logger } from "@/lib/logger";
import { applyRecordedEvents } from "@/lib/ledger/apply-recorded";
import { reconcilePendingOrders } from "@/lib/ledger/reconcile";
import { bringCreatedWebhooksUpToDate } from "@/lib/tenants/webhook-secret";
import { expireAbandonedCheckouts } from "@/lib/orders/expire";
import { pruneWebhookPayloads } from "@/lib/ledger/retention";
import { enqueue, JOBS } from "./queue";

/*
 * The scheduled jobs' handlers (schedules in lib/jobs/registry.ts). Each is a thin wrapper around
 * a function that the tests call directly; each logs one line with what it did.
 */

const log = logger.child({ component: "jobs" });

/** Every 5 minutes: created webhooks brought up to date, then the recent unsettled orders of every tenant. */
export async function reconcileJob(): Promise<void> {
  const webhooks = await bringCreatedWebhooksUpToDate();
  const report = await reconcilePendingOrders({ window: "recent" });
  log.info({ job: "ledger.reconcile", webhooks: { checked: webhooks.checked, updated: webhooks.updated, failed: webhooks.failed.length }, ...report }, "reconciled recent unsettled orders");
}

/** Daily: the unsettled orders older than the recent window. */
export async function reconcileOlderJob(): Promise<void> {
  const report = await reconcilePendingOrders({ window: "older" });
  log.info({ job: "ledger.reconcile_older", ...report }, "reconciled older unsettled orders");
}

export async function expireCheckoutsJob(): Promise<void> {
  const report = await expireAbandonedCheckouts();
  log.info({ job: "orders.expire", ...report }, "expired abandoned checkouts");
}

export async function prunePayloadsJob(): Promise<void> {
  const report = await pruneWebhookPayloads();
  log.info({ job: "webhooks.prune_payloads", ...report }, "pruned old webhook payloads");
}

/** Seconds between two sweeps for recorded but unapplied webhook events (cron ticks only every minute). */
export const APPLY_RECORDED_EVERY_SECONDS = 3;

/**
 * The sweep for webhook events recorded but not applied (lib/ledger/apply-recorded.ts). Sends its
 * own next run first, so the chain survives a failed sweep; the queue is stately, so the chain
 * and the minute's cron tick never make two waiting runs.
 */
export async function applyRecordedJob(): Promise<void> {
  await enqueue(db(), JOBS.applyRecorded, {}, { startAfterSeconds: APPLY_RECORDED_EVERY_SECONDS });
  const report = await applyRecordedEvents({ log });
  if (report.applied + report.skipped > 0) log.info({ job: JOBS.applyRecorded, ...report }, "applied recorded webhook events");
}
