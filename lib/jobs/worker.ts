import PgBoss from "pg-boss";
import { logger as rootLogger, type Logger } from "@/lib/logger";
import { pgBossDb } from "./pg-boss-db";
import { BOSS_OPTIONS, JOBS, QUEUE_OPTIONS, type JobName } from "./queue";
import { JOB_HANDLERS, JOB_SCHEDULES, type JobHandler } from "./registry";
import { WORKER_DELIVERY_CONCURRENCY } from "@/lib/outbound/deliver";

/*
 * The worker: pg-boss started on our database, working every queue of the registry. pg-boss
 * polls (no LISTEN/NOTIFY) and fetches with FOR UPDATE SKIP LOCKED, so any number of workers side
 * by side each take a job once; its cron ticks are claimed through a row update, so a schedule
 * sends one job per tick however many workers run.
 *
 * Each queue has one fetch loop here (`runQueue`), not one pg-boss `work()` loop per parallel job:
 * it keeps up to the queue's concurrency of jobs running, fetching as many as there are free
 * places in one statement — again at once while fetches find jobs, after the polling interval once
 * one finds none — and completes the finished ones together. One idle poll per queue and
 * interval, however large the concurrency; a slow job holds its own place, never a batch.
 */

/** Jobs of one queue worked at the same time by one worker process. */
export const DEFAULT_CONCURRENCY: Partial<Record<string, number>> = {
  [JOBS.deliverWebhook]: WORKER_DELIVERY_CONCURRENCY,
};

export interface WorkerOptions {
  /** Queue name → handler; default JOB_HANDLERS. */
  handlers?: Partial<Record<string, JobHandler>>;
  /** Queue name → cron (UTC); default JOB_SCHEDULES. `{}` registers none and runs no timekeeper. */
  schedules?: Partial<Record<string, string>>;
  /** Queue name → parallel jobs; default DEFAULT_CONCURRENCY, else 1. */
  concurrency?: Partial<Record<string, number>>;
  /** How often an idle queue is polled; default 2 s, webhook deliveries 0.5 s (see POLLING_INTERVAL_SECONDS). */
  pollingIntervalSeconds?: number;
  /** pg-boss maintenance (expiry of stuck jobs, archiving); default on. */
  supervise?: boolean;
  log?: Logger;
}

/**
 * Idle polling per queue, in seconds. A delivery's lag from commit to attempt is at most this when
 * the worker is idle, so deliveries poll at pg-boss's shortest interval (one query per half second
 * and worker); the scheduled queues and mail can wait the default 2 s.
 */
export const POLLING_INTERVAL_SECONDS: Partial<Record<string, number>> = {
  [JOBS.deliverWebhook]: 0.5,
};

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
  pollingIntervalSeconds,
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

  const loops = queues.map((name) =>
    runQueue(boss, name, handlers[name]!, {
      parallel: Math.max(1, Math.floor(concurrency[name] ?? 1)),
      pollingIntervalMs: 1000 * (pollingIntervalSeconds ?? POLLING_INTERVAL_SECONDS[name] ?? 2),
      log,
    }),
  );

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

  // The sweep of recorded webhook events keeps its own chain every few seconds; the minute's tick
  // only restarts a broken one. Start it now, not at the next tick: a crashed app's events wait
  // seconds, not a minute. Its queue is stately, so a chain already waiting makes this nothing.
  if (schedules[JOBS.applyRecorded]) await boss.send(JOBS.applyRecorded, {});

  log.info({ queues, schedules: Object.keys(schedules) }, "worker started");

  let stopping: Promise<void> | undefined;
  return {
    boss,
    queues,
    stop({ timeoutMs = 25_000 } = {}) {
      stopping ??= (async () => {
        const since = Date.now();
        log.info({ timeoutMs }, "worker stopping: finishing the jobs in hand");
        await Promise.all(loops.map((loop) => loop.stop(timeoutMs)));
        await boss.stop({ graceful: true, timeout: timeoutMs, wait: true, close: false });
        log.info({ durationMs: Date.now() - since }, "worker stopped");
      })();
      return stopping;
    },
  };
}

interface QueueLoop {
  /** Stops fetching, waits for the jobs in hand up to `timeoutMs`, then fails those still running (pg-boss retries them). */
  stop(timeoutMs: number): Promise<void>;
}

/** One queue's fetch loop: up to `parallel` jobs at once (see the note at the top). */
function runQueue(boss: PgBoss, name: string, handler: JobHandler, { parallel, pollingIntervalMs, log }: { parallel: number; pollingIntervalMs: number; log: Logger }): QueueLoop {
  const running = new Map<string, Promise<void>>();
  const completed = new Completions(boss, name, log);
  let stopping = false;
  let wake: (() => void) | undefined;
  /** Resolves after `ms`, or sooner when a job ends or the loop stops. */
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        wake = undefined;
        resolve();
      }, ms);
      wake = () => {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      };
    });

  const runJob = async (job: PgBoss.JobWithMetadata<Record<string, unknown>>) => {
    const started = Date.now();
    const fields = { queue: name, jobId: job.id, retryCount: job.retryCount };
    // As pg-boss's own workers do: a job still running when it expires is failed (and retried).
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the job ran longer than its ${job.expireInSeconds} s`)), Math.max(1, job.expireInSeconds) * 1000);
    });
    try {
      await Promise.race([handler(job.data ?? {}, { id: job.id, retryCount: job.retryCount }), expired]);
      // Debug only: each handler logs its own line of what it did.
      log.debug({ ...fields, durationMs: Date.now() - started }, "job done");
      completed.add(job.id);
    } catch (error) {
      const willRetry = job.retryCount < job.retryLimit;
      log[willRetry ? "warn" : "error"]({ ...fields, durationMs: Date.now() - started, willRetry, err: error }, willRetry ? "job failed; will retry" : "job failed; no retries left");
      await boss.fail(name, job.id, describeError(error)).catch((failError: unknown) => log.error({ ...fields, err: failError }, "could not mark the job failed; it is retried when it expires"));
    } finally {
      clearTimeout(timer);
    }
  };

  const loop = (async () => {
    while (!stopping) {
      const free = parallel - running.size;
      if (free === 0) {
        await pause(pollingIntervalMs);
        continue;
      }
      let jobs: PgBoss.JobWithMetadata<Record<string, unknown>>[] = [];
      try {
        jobs = await boss.fetch<Record<string, unknown>>(name, { batchSize: free, includeMetadata: true });
      } catch (error) {
        log.error({ queue: name, err: error }, "fetching jobs failed");
      }
      for (const job of jobs) {
        const promise = runJob(job).finally(() => {
          running.delete(job.id);
          wake?.();
        });
        running.set(job.id, promise);
      }
      // A queue that had jobs may have more: fetch again as soon as a place is free; an empty one waits the interval.
      if (jobs.length === 0 && !stopping) await pause(pollingIntervalMs);
    }
  })();

  return {
    async stop(timeoutMs) {
      stopping = true;
      wake?.();
      await loop;
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), timeoutMs)));
      const outcome = await Promise.race([Promise.all(running.values()).then(() => "done" as const), timedOut]);
      clearTimeout(timer);
      if (outcome === "timeout" && running.size > 0) {
        const ids = [...running.keys()];
        log.error({ queue: name, jobs: ids.length, timeoutMs }, "jobs still running at shutdown; failed for a retry");
        const why = { type: "Shutdown", message: "the worker shut down while the job was running" };
        await Promise.all(ids.map((id) => boss.fail(name, id, why).catch(() => {})));
      }
      await completed.flush();
    },
  };
}

/**
 * Completions of one queue, sent together: while one `complete` statement is out, the jobs that
 * end meanwhile wait for the next, so a busy queue completes many jobs per round trip and an idle
 * one sends each at once. A job whose completion is lost (the database gone) is retried when it
 * expires; handlers are safe to run twice.
 */
class Completions {
  private pending: string[] = [];
  private sending: Promise<void> | undefined;

  constructor(
    private readonly boss: PgBoss,
    private readonly name: string,
    private readonly log: Logger,
  ) {}

  add(id: string): void {
    this.pending.push(id);
    this.sending ??= this.send();
  }

  async flush(): Promise<void> {
    while (this.sending) await this.sending;
  }

  private async send(): Promise<void> {
    while (this.pending.length > 0) {
      const ids = this.pending;
      this.pending = [];
      await this.boss.complete(this.name, ids).catch((error: unknown) => this.log.error({ queue: this.name, jobs: ids.length, err: error }, "could not mark jobs completed; they are retried when they expire"));
    }
    this.sending = undefined;
  }
}
