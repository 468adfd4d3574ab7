/**
 * `npm run reconcile [-- --older-than-minutes=N]`: a one-off run of what the worker's scheduled
 * jobs do (`ledger.reconcile` every 5 minutes, `ledger.reconcile_older` daily): bring the webhooks
 * the product created up to date with the events it applies, then settle orders still unsettled
 * after N minutes (default 10) by reading their payments from Whop — the recent ones (last changed
 * within 24 h) and the older ones, each pass bounded per tenant and overall. Safe to run any time.
 */
import { closeDatabase } from "@/db/client";
import { ConfigError } from "@/lib/env";
import { RECONCILE_AFTER_MINUTES, reconcilePendingOrders } from "@/lib/ledger/reconcile";
import { bringCreatedWebhooksUpToDate } from "@/lib/tenants/webhook-secret";

const flag = process.argv.find((arg) => arg.startsWith("--older-than-minutes="));
const olderThanMinutes = flag ? Number(flag.split("=")[1]) : RECONCILE_AFTER_MINUTES;

try {
  if (!Number.isFinite(olderThanMinutes) || olderThanMinutes < 0) throw new ConfigError(["--older-than-minutes must be a number of minutes ≥ 0"]);
  const webhooks = await bringCreatedWebhooksUpToDate();
  if (webhooks.checked > 0) console.log(`Checked ${webhooks.checked} created webhook(s) against the events the connector applies: ${webhooks.updated} updated.`);
  // A merchant's key or webhook the connector cannot change is theirs to fix (the integrations page says how), not the operator's.
  for (const failure of webhooks.failed) console.log(`Webhook of tenant ${failure.tenantId} not updated: ${failure.message}`);
  for (const window of ["recent", "older"] as const) {
    const report = await reconcilePendingOrders({ olderThanMinutes, window });
    console.log(
      `Checked ${report.ordersChecked} ${window} unsettled order(s) of ${report.tenants} tenant(s): ${report.applied} updated from Whop, ${report.unchanged} already up to date, ${report.noPaymentYet} without a payment yet.`,
    );
    if (report.failedTenants.length > 0) {
      console.error(`Could not read Whop for ${report.failedTenants.length} tenant(s): ${report.failedTenants.join(", ")}`);
      process.exitCode = 1;
    }
  }
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : `Reconciliation failed: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  await closeDatabase();
}
