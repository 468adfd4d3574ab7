import type { BenchResult, LatencySummary } from "../types";

const NONE: LatencySummary = { p50: 0, p99: 0, mean: 0, max: 0 };
const MAX_FAILURE_LINES = 20;

/** The run whose `key` is the median of the runs, so that all its figures come from one run. */
export function medianRun<T>(runs: readonly T[], key: (run: T) => number): T {
  const sorted = [...runs].sort((a, b) => key(a) - key(b));
  return sorted[Math.floor(sorted.length / 2)]!;
}

export function trimFailures(failures: string[]): string[] {
  return failures.length > MAX_FAILURE_LINES ? [...failures.slice(0, MAX_FAILURE_LINES), `… and ${failures.length - MAX_FAILURE_LINES} more`] : failures;
}

/** A result of a load that makes no Whop call: the measured time is all the app's own. */
export function noWhopResult(fields: {
  benchmark: string;
  scenario: string;
  requests: number;
  concurrency: number;
  wallMs: number;
  latency: LatencySummary;
  failures: string[];
  metrics?: BenchResult["metrics"];
  targets?: BenchResult["targets"];
}): BenchResult {
  const { latency, failures, wallMs, ...rest } = fields;
  return {
    ...rest,
    wallMs: Math.round(wallMs),
    latencyMs: { total: latency, whop: NONE, own: latency },
    whopCallsPerRequest: { expected: 0, min: 0, max: 0, mean: 0 },
    failures: trimFailures(failures),
  };
}
