import { logger } from "@/lib/logger";
import { startWorker, type RunningWorker } from "./worker";

/**
 * The worker inside the app's own process, when RUN_WORKER_IN_PROCESS=1 (set by `npm run demo`):
 * the embedded PGlite lives in the Next server's process and no second process may open
 * ./.data/pglite, so the demo's jobs run there. Started once per process (globalThis survives hot
 * reload). Production runs `npm run worker` as processes of their own instead.
 */
const cache = globalThis as unknown as { __whopConnectorWorker?: Promise<RunningWorker> };

export function workerInProcessRequested(source: NodeJS.ProcessEnv = process.env): boolean {
  return source.RUN_WORKER_IN_PROCESS === "1" || source.RUN_WORKER_IN_PROCESS === "true";
}

export function startInProcessWorker(): Promise<RunningWorker> {
  cache.__whopConnectorWorker ??= startWorker({ log: logger.child({ component: "worker", inProcess: true }) }).catch((error: unknown) => {
    cache.__whopConnectorWorker = undefined;
    throw error;
  });
  return cache.__whopConnectorWorker;
}

/** Finishes the jobs in hand (before the database closes). */
export async function stopInProcessWorker(timeoutMs?: number): Promise<void> {
  const running = cache.__whopConnectorWorker;
  cache.__whopConnectorWorker = undefined;
  if (running) await (await running).stop({ timeoutMs });
}
