import type { WhopRecorder } from "./support/whop-recorder";

/** What the runner hands every benchmark: a production app on Postgres, pointed at the recorded sandbox. */
export interface BenchContext {
  /** The production app (`next start`), e.g. http://127.0.0.1:41234. */
  appUrl: string;
  /** The sandbox itself, for its `/_sandbox/*` controls (the app talks to the recorder in front of it). */
  sandboxUrl: string;
  /** Every Whop call the app (or the bench's own setup) made, with its duration. */
  whop: WhopRecorder;
  /** Unique per run: keeps emails and buyer addresses of two runs on one database apart. */
  runId: string;
  /** The first app's process group (for CPU accounting). */
  appPgid: number;
  /**
   * Starts one more `next start` of the same build with the same configuration (DATABASE_URL,
   * SESSION_SECRET, ENCRYPTION_KEYS, APP_URL…) on another free port. The runner samples its RSS
   * (reported under memory) and stops it at the end of the run if the benchmark has not.
   */
  startAnotherInstance(label: string): Promise<AppInstance>;
  log(line: string): void;
}

export interface AppInstance {
  url: string;
  pgid: number;
  stop(): Promise<void>;
}

/** Nearest-rank percentiles in milliseconds. */
export interface LatencySummary {
  p50: number;
  p99: number;
  mean: number;
  max: number;
}

export interface BenchResult {
  benchmark: string;
  scenario: string;
  requests: number;
  concurrency: number;
  /** Wall time of the scenario, for throughput. */
  wallMs: number;
  latencyMs: {
    /** Request sent → response fully read, as the buyer's browser would see it on loopback. */
    total: LatencySummary;
    /** Time the app waited on Whop calls made for this request (measured at the Whop side). */
    whop: LatencySummary;
    /** total − whop: the app's own time. */
    own: LatencySummary;
  };
  whopCallsPerRequest: { expected: number; min: number; max: number; mean: number };
  /** Responses that were not what the scenario expects (status, Location, cookie, call count). */
  failures: string[];
  /** Scenario-specific figures (throughput ratios, per-run values, EXPLAIN findings, peak RSS…). */
  metrics?: Record<string, number | string | boolean | number[]>;
  /** The issue's targets this scenario answers; a missed target is reported, not a failure. */
  targets?: TargetCheck[];
}

export interface TargetCheck {
  name: string;
  /** e.g. "≤ 50 ms". */
  target: string;
  actual: string;
  met: boolean;
}

export type Benchmark = (ctx: BenchContext) => Promise<BenchResult[]>;
