import { JOBS, type JobName } from "./queue";
import { sendMailJob } from "@/lib/mail/queue";
import { deliverWebhookJob } from "@/lib/outbound/deliver";
import { applyRecordedJob, expireCheckoutsJob, prunePayloadsJob, reconcileJob, reconcileOlderJob } from "./scheduled";

/**
 * Which function does each queue's jobs. `npm run worker` works every queue listed here (and only
 * those); a job whose handler throws is retried with its queue's retry policy (lib/jobs/queue.ts).
 * Handlers must be safe to run twice: a worker killed mid-job leaves it to be retried.
 */
export type JobHandler = (data: Record<string, unknown>, job: { id: string; retryCount: number }) => Promise<void>;

export const JOB_HANDLERS: Partial<Record<JobName, JobHandler>> = {
  [JOBS.deliverWebhook]: deliverWebhookJob,
  [JOBS.reconcile]: reconcileJob,
  [JOBS.reconcileOlder]: reconcileOlderJob,
  [JOBS.expireCheckouts]: expireCheckoutsJob,
  [JOBS.prunePayloads]: prunePayloadsJob,
  [JOBS.sendMail]: sendMailJob,
  [JOBS.applyRecorded]: applyRecordedJob,
};

/** Cron schedules (UTC), registered by every worker at start; pg-boss sends one job per tick whatever the number of workers. */
export const JOB_SCHEDULES: Partial<Record<JobName, string>> = {
  [JOBS.reconcile]: "*/5 * * * *",
  [JOBS.reconcileOlder]: "17 3 * * *",
  [JOBS.expireCheckouts]: "*/15 * * * *",
  [JOBS.prunePayloads]: "41 3 * * *",
  // Each run sends the next one a few seconds later (scheduled.ts); the minute's tick restarts that chain if it ever breaks.
  [JOBS.applyRecorded]: "* * * * *",
};
