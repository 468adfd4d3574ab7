import { createHash } from "node:crypto";
import PgBoss from "pg-boss";
import type { Executor } from "@/db/client";
import { pgBossDb } from "./pg-boss-db";
import queueConfig from "./queues.json";

/**
 * The job queue: pg-boss on our own Postgres (its tables live in schema `pgboss`, installed with
 * the migrations). Enqueueing is one insert, in the caller's transaction if it passes one, so the
 * web app never needs a worker to be up to answer a request; `npm run worker` does the work.
 */

export const JOBS = {
  deliverWebhook: "webhooks.deliver",
  reconcile: "ledger.reconcile",
  /** The daily pass over unsettled orders older than the 5-minute pass looks at. */
  reconcileOlder: "ledger.reconcile_older",
  expireCheckouts: "orders.expire",
  prunePayloads: "webhooks.prune_payloads",
  /** The product's mail (lib/mail/queue.ts): retried with backoff while the SMTP server refuses. */
  sendMail: "mail.send",
  /** Applies the webhook events a request recorded but did not apply (its process died first): every few seconds. */
  applyRecorded: "webhooks.apply_recorded",
} as const;

export type JobName = (typeof JOBS)[keyof typeof JOBS];

type QueueOptions = Omit<PgBoss.Queue, "name">;

/**
 * Each queue's policy and retries (pg-boss `createQueue`/`updateQueue`, applied at every migrate),
 * in queues.json so that the production image's plain-Node migrator (scripts/migrate.mjs) reads
 * the same list. `stately`: at most one job waiting and one running per queue — a cron tick that
 * comes while the previous run is still going does not start a second one, nor pile up behind it.
 */
export const QUEUE_OPTIONS = queueConfig.queues as Record<JobName, QueueOptions>;

/** pg-boss's settings for every instance, the worker's and the unstarted one that only enqueues. */
export const BOSS_OPTIONS = {
  schema: queueConfig.schema,
  // Completed jobs move to pgboss.archive after a day and are deleted a week later.
  archiveCompletedAfterSeconds: 24 * 60 * 60,
  deleteAfterDays: 7,
} as const;

const cache = globalThis as unknown as { __whopConnectorBoss?: PgBoss };

/** Never started: `send` only inserts, through the executor it is given. */
function enqueuer(): PgBoss {
  cache.__whopConnectorBoss ??= new PgBoss({ ...BOSS_OPTIONS, db: pgBossDb(), schedule: false, supervise: false, migrate: false });
  return cache.__whopConnectorBoss;
}

/** The job id for a singleton key: the same queue and key always give the same UUID. */
function jobIdFor(name: string, key: string): string {
  const hex = createHash("sha256").update(`${name}\u0000${key}`).digest("hex");
  // Shaped as a version-4 UUID (variant 10xx), as uuid columns accept any 128 bits.
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${((parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * Inserts the job in the caller's transaction (or the db): committed with it, or not at all.
 * Answers the job id, or null when nothing was inserted.
 * - `startAfterSeconds` delays it.
 * - `singletonKey` makes it idempotent: the job's id is derived from queue and key, so a second
 *   enqueue with the same key is a no-op (null) while the first is in the queue — waiting,
 *   running, failed or completed, until pg-boss archives it a day after it ended. On the
 *   `stately` queues it also counts toward their one-waiting-job rule.
 * On a `stately` queue (the scheduled ones) a job is also not inserted while another one waits.
 */
export async function enqueue(
  executor: Executor,
  name: JobName,
  data: Record<string, unknown>,
  options: { startAfterSeconds?: number; singletonKey?: string } = {},
): Promise<string | null> {
  const sendOptions: PgBoss.SendOptions = { db: pgBossDb(executor) };
  if (options.startAfterSeconds && options.startAfterSeconds > 0) sendOptions.startAfter = Math.ceil(options.startAfterSeconds);
  if (options.singletonKey) {
    sendOptions.singletonKey = options.singletonKey;
    sendOptions.id = jobIdFor(name, options.singletonKey);
  }
  return enqueuer().send(name, data, sendOptions);
}

/**
 * Installs (or upgrades) pg-boss's schema and creates every queue, with its options. Run by
 * `migrateDatabase()` (dev, demo, tests) and `npm run db:migrate`, so the app can enqueue before
 * any worker ever ran. pg-boss serialises its own install with a transaction-scoped advisory lock,
 * so instances migrating at once are safe.
 */
export async function installJobQueues(): Promise<void> {
  const boss = new PgBoss({ ...BOSS_OPTIONS, db: pgBossDb(), schedule: false, supervise: false, migrate: true });
  boss.on("error", () => {});
  await boss.start();
  try {
    for (const [name, options] of Object.entries(QUEUE_OPTIONS)) {
      await boss.createQueue(name, { name, ...options });
      await boss.updateQueue(name, { name, ...options });
    }
  } finally {
    await boss.stop({ graceful: false, close: false });
  }
}
