import { performance } from "node:perf_hooks";
import autocannon from "autocannon";
import type { LatencySummary } from "../types";
import { summarize } from "./stats";

/** One request exactly as it goes on the wire: its own path, headers and (pre-signed) body. */
export interface PreparedRequest {
  method: "GET" | "POST";
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export interface LoadResponse {
  status: number;
  headers: Record<string, string | string[]>;
  body: string;
  /** autocannon's own timing: request written → response read in full. */
  ms: number;
  /** When the answer was read (epoch ms), to compare with times the database recorded. */
  at: number;
}

/** One app instance and the requests it gets, over `connections` keep-alive connections. */
export interface LoadTarget {
  url: string;
  requests: PreparedRequest[];
  connections: number;
}

export interface LoadRun {
  /** Per target, per request (same order as its `requests`): the answer, or why there was none. */
  responses: (LoadResponse | Error)[][];
  /** From the start to the last answer of any target. */
  wallMs: number;
  /** From the start to the last answer of each target. */
  targetWallMs: number[];
}

/**
 * Sends every prepared request exactly once with autocannon: one autocannon instance per target,
 * all started together, each with a fixed `amount` (= its request count) over its connections
 * (closed loop, pipelining 1). Each connection takes the next unsent request of its target in
 * `setupRequest`, so every request carries its own body and headers, and `onResponse` files the
 * answer under that request: the benchmarks check every answer, not only the status counts.
 * A request that timed out or lost its connection has no answer and is reported as an Error.
 */
export async function runLoad(targets: LoadTarget[], { timeoutMs }: { timeoutMs: number }): Promise<LoadRun> {
  const startedAt = performance.now();
  const targetWallMs = targets.map(() => 0);
  const runs = targets.map((target, t) => {
    const n = target.requests.length;
    const answers: (LoadResponse | undefined)[] = new Array(n);
    const errors: string[] = [];
    if (n === 0) return { answers, errors, done: Promise.resolve() };
    let next = 0;
    // onResponse and the instance's "response" event fire back to back for one answer (same tick).
    let answered: LoadResponse | undefined;
    const instance = autocannon({
      url: target.url,
      connections: Math.min(target.connections, n),
      amount: n,
      pipelining: 1,
      timeout: Math.ceil(timeoutMs / 1000),
      sampleInt: 100,
      requests: [
        {
          setupRequest: (defaults, context) => {
            const index = next++;
            const request = target.requests[index];
            if (!request) throw new Error(`autocannon asked for request #${index} of ${n}`);
            context.index = index;
            return { ...defaults, method: request.method, path: request.path, headers: { ...request.headers }, body: request.body };
          },
          onResponse: (status, body, context, headers) => {
            answered = { status, headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])), body, ms: Number.NaN, at: Date.now() };
            answers[context.index as number] = answered;
          },
        },
      ],
    });
    instance.on("response", (_client: unknown, _status: number, _bytes: number, ms: number) => {
      if (answered) answered.ms = ms;
      answered = undefined;
      targetWallMs[t] = performance.now() - startedAt;
    });
    instance.on("reqError", (error: Error) => errors.push(error.message));
    return { answers, errors, done: Promise.resolve(instance).then(() => undefined) };
  });
  await Promise.all(runs.map((r) => r.done));
  return {
    responses: runs.map(({ answers, errors }) =>
      Array.from(answers, (answer) => answer ?? new Error(`no answer (${errors.length > 0 ? `connection errors: ${[...new Set(errors)].slice(0, 3).join("; ")}` : "never sent"})`)),
    ),
    wallMs: Math.max(...targetWallMs),
    targetWallMs,
  };
}

/** The value of cookie `name` among a response's Set-Cookie headers. */
export function cookieFrom(setCookie: string | string[] | undefined, name: string): string | null {
  for (const line of typeof setCookie === "string" ? [setCookie] : (setCookie ?? [])) {
    const [pair] = line.split(";");
    const eq = pair?.indexOf("=") ?? -1;
    if (pair && eq > 0 && pair.slice(0, eq).trim() === name) return pair.slice(eq + 1).trim();
  }
  return null;
}

/** One load of the empty route: what the framework answers on this machine beside a benchmark's own figures. */
export interface PingRound {
  requests: number;
  wallMs: number;
  rps: number;
  latency: LatencySummary;
  failures: string[];
}

/** `count` requests to `GET /api/ping` (answers 204, touches nothing) over `connections`; every answer checked. */
export async function pingRound(appUrl: string, count: number, connections: number, { timeoutMs }: { timeoutMs: number }): Promise<PingRound> {
  const requests: PreparedRequest[] = Array.from({ length: count }, () => ({ method: "GET", path: "/api/ping", headers: { "user-agent": "whop-connector-bench" } }));
  const load = await runLoad([{ url: appUrl, requests, connections }], { timeoutMs });
  const times: number[] = [];
  const failures: string[] = [];
  for (const answer of load.responses[0]!) {
    if (answer instanceof Error) failures.push(answer.message);
    else if (answer.status !== 204) failures.push(`/api/ping: ${answer.status}`);
    else times.push(answer.ms);
  }
  return { requests: count, wallMs: load.wallMs, rps: Math.round((count / load.wallMs) * 1000), latency: summarize(times), failures: [...new Set(failures)] };
}
