import PgBoss from "pg-boss";
import { logger as rootLogger, type Logger } from "@/lib/logger";
import { pgBossDb } from "./pg-boss-db";
import { BOSS_OPTIONS, JOBS, QUEUE_OPTIONS, type JobName } from "./queue";
import { JOB_HANDLERS, JOB_SCHEDULES, type JobHandler } from "./registry";

/*
 * The worker: pg-boss started on our database, working every queue of the registry. pg-boss
 * polls (no LISTEN/NOTIFY) and fetches with FOR UPDATE SKIP LOCKED, so any number of workers side
 * by side each take a job once; its cron ticks are claimed through a row update, so a schedule
 * sends one job per tick however many workers run.
 */

/** Jobs of one queue worked at the same time by one worker process (each a fetch loop of its own). */
export const DEFAULT_CONCURRENCY: Partial<Record<string, number>> = {
  [JOBS.deliverWebhook]: 5,
};

export interface WorkerOptions {
  /** Queue name → handler; default JOB_HANDLERS. */
  handlers?: Partial<Record<string, JobHandler>>;
  /** Queue name → cron (UTC); default JOB_SCHEDULES. `{}` registers none and runs no timekeeper. */
  schedules?: Partial<Record<string, string>>;
  /** Queue name → parallel jobs; default DEFAULT_CONCURRENCY, else 1. */
  concurrency?: Partial<Record<string, number>>;
  /** How often an idle queue is polled; default 2 s. */
  pollingIntervalSeconds?: number;
  /** pg-boss maintenance (expiry of stuck jobs, archiving); default on. */
  supervise?: boolean;
  log?: Logger;
}

export interface RunningWorker {
  boss: PgBoss;
  queues: string[];
  /** Stops fetching, lets the jobs in hand finish (up to `timeoutMs`, then fails them for a retry). Does not close the database. */
  stop(options?: { timeoutMs?: number }): Promise<void>;
}

/** Handler errors, as logged and as stored on the job (pg-boss serialises what the handler threw). */
function describeError(error: unknown): { type: string; message: string } {
  return error instanceof Error ? { type: error.name, message: error.message } : { type: typeof error, message: String(error) };
}

export async function startWorker({
  handlers = JOB_HANDLERS,
  schedules = JOB_SCHEDULES,
  concurrency = DEFAULT_CONCURRENCY,
  pollingIntervalSeconds = 2,
  supervise = true,
  log = rootLogger.child({ component: "worker" }),
}: WorkerOptions = {}): Promise<RunningWorker> {
  const scheduling = Object.keys(schedules).length > 0;
  const boss = new PgBoss({ ...BOSS_OPTIONS, db: pgBossDb(), migrate: true, schedule: scheduling, supervise });
  boss.on("error", (error: unknown) => log.error({ err: error }, "job queue error"));
  await boss.start();

  const queues = Object.keys(handlers).filter((name) => handlers[name] !== undefined);
  for (const name of queues) {
    // The migrations created the registry's queues; this covers a queue added since (and tests').
    const options = QUEUE_OPTIONS[name as JobName] ?? {};
    await boss.createQueue(name, { name, ...options });
  }

  for (const name of queues) {
    const handler = handlers[name]!;
    const parallel = Math.max(1, Math.floor(concurrency[name] ?? 1));
    for (let i = 0; i < parallel; i++) {
      const loop: { id?: string } = {};
      loop.id = await boss.work<Record<string, unknown>>(name, { batchSize: 1, includeMetadata: true, pollingIntervalSeconds }, async ([job]) => {
        if (!job) return;
        // pg-boss waits the polling interval after every fetch, even one that found a job: a queue
        // that had one may have more, so this loop fetches again as soon as this job is done
        // (without it a busy queue moves one job per loop per interval).
        if (loop.id) boss.notifyWorker(loop.id);
        const started = Date.now();
        const fields = { queue: name, jobId: job.id, retryCount: job.retryCount };
        try {
          await handler(job.data ?? {}, { id: job.id, retryCount: job.retryCount });
          // Debug only: each handler logs its own line of what it did.
          log.debug({ ...fields, durationMs: Date.now() - started }, "job done");
        } catch (error) {
          const willRetry = job.retryCount < job.retryLimit;
          log[willRetry ? "warn" : "error"]({ ...fields, durationMs: Date.now() - started, willRetry, err: error }, willRetry ? "job failed; will retry" : "job failed; no retries left");
          throw Object.assign(new Error(describeError(error).message), describeError(error));
        }
      });
    }
  }

  if (scheduling) {
    for (const [name, cron] of Object.entries(schedules)) {
      if (cron) await boss.schedule(name, cron, {}, { tz: "UTC" });
    }
    // A job of ours that lost its schedule in this release stops being sent.
    if (schedules === JOB_SCHEDULES) {
      const ours = new Set<string>(Object.values(JOBS));
      for (const existing of await boss.getSchedules()) {
        if (ours.has(existing.name) && !schedules[existing.name]) await boss.unschedule(existing.name);
      }
    }
  }

  log.info({ queues, schedules: Object.keys(schedules) }, "worker started");

  let stopping: Promise<void> | undefined;
  return {
    boss,
    queues,
    stop({ timeoutMs = 25_000 } = {}) {
      stopping ??= (async () => {
        const since = Date.now();
        log.info({ timeoutMs }, "worker stopping: finishing the jobs in hand");
        await boss.stop({ graceful: true, timeout: timeoutMs, wait: true, close: false });
        log.info({ durationMs: Date.now() - since }, "worker stopped");
      })();
      return stopping;
    },
  };
}
