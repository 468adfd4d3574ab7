import fs from "node:fs";
import { SourceMap } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

/*
 * Where the app's JavaScript thread spends its CPU, per benchmark phase (`BENCH_PROFILE=1`).
 *
 * The app then runs under V8's sampling profiler (`--cpu-prof`), which writes one profile when it
 * exits. Each benchmark names its phases as windows of the monotonic clock (`process.hrtime`, the
 * clock V8 stamps its samples with, shared by every process on the machine), so one profile of the
 * whole run splits into "ingest @32", "ping @32", … Each sample's function is traced through the
 * build's source maps to the code's owner: Next.js and React, drizzle-orm, postgres.js, zod, another
 * package, the app's own code (lib/, app/, db/), Node.js itself, V8's builtins and native bindings,
 * the garbage collector. Idle samples are not CPU and are left out.
 *
 * The profile covers the main thread only (not the GC's helper threads, which /proc counts), and
 * sampling slows the app a little: read a profiled run's shares, not its throughput.
 */

export interface ProfileWindow {
  label: string;
  /** Monotonic microseconds, as process.hrtime.bigint() / 1000. */
  fromUs: number;
  toUs: number;
  requests: number;
}

export const PROFILE_INTERVAL_US = 500;

const windows: ProfileWindow[] = [];

export function profiling(): boolean {
  return process.env.BENCH_PROFILE === "1";
}

/** Monotonic microseconds, on the clock the profile's samples use. */
export function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** Notes a phase of the run: `requests` requests were served within `span` (a CpuShare). Several windows may share a label (rounds). */
export function noteWindow(label: string, span: { fromUs: number; toUs: number }, requests: number): void {
  windows.push({ label, fromUs: span.fromUs, toUs: span.toUs, requests });
}

export function noteWindows(): ProfileWindow[] {
  return [...windows];
}

/** The app's node flags that write its profile into `directory` when it exits. */
export function profilerArgs(directory: string): string[] {
  return ["--cpu-prof", `--cpu-prof-dir=${directory}`, `--cpu-prof-interval=${PROFILE_INTERVAL_US}`];
}

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame }[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

export const OWNERS = [
  "Next.js and React",
  "drizzle-orm",
  "postgres.js",
  "zod",
  "other packages",
  "the app's own code",
  "Node.js (http, net, streams, …)",
  "V8 builtins and native bindings",
  "garbage collector",
  "unattributed (V8 program)",
] as const;
export type Owner = (typeof OWNERS)[number];

export interface WindowProfile {
  label: string;
  requests: number;
  /** CPU microseconds per request of the app's main thread, by owner. */
  perRequestUs: Record<Owner, number>;
  totalUs: number;
  /** Idle per request: the thread waiting (on Postgres, Whop, the next request). */
  idleUs: number;
  /** The heaviest functions by own time: "name (source:line)", µs per request; overall and per owner. */
  top: { fn: string; owner: Owner; us: number }[];
  topByOwner: Record<Owner, { fn: string; us: number }[]>;
}

const NEXT_PACKAGES = new Set(["next", "react", "react-dom", "scheduler", "@next", "styled-jsx"]);

function ownerOfPackage(name: string): Owner {
  if (NEXT_PACKAGES.has(name)) return "Next.js and React";
  if (name === "drizzle-orm") return "drizzle-orm";
  if (name === "postgres") return "postgres.js";
  if (name === "zod") return "zod";
  return "other packages";
}

/**
 * The package a path lies in (the last node_modules segment), or null for the app's own files.
 * drizzle-orm's own source maps name its TypeScript sources (`../src/…`), so the build's maps place
 * its bundled code under `node_modules/src/`.
 */
function packageOf(file: string): string | null {
  const decoded = decodeURIComponent(file);
  const at = decoded.lastIndexOf("node_modules/");
  if (at < 0) return null;
  const [scope, name] = decoded.slice(at + "node_modules/".length).split("/");
  if (scope === "src") return "drizzle-orm";
  return scope?.startsWith("@") ? `${scope}/${name}` : (scope ?? null);
}

class Attribution {
  private maps = new Map<string, SourceMap | null>();

  constructor(private readonly root: string) {}

  /** Who owns the code of `frame`, and where it came from (original source and line where mapped). */
  of(frame: CallFrame): { owner: Owner; where: string } {
    const { url, functionName } = frame;
    if (url === "") {
      if (functionName === "(garbage collector)") return { owner: "garbage collector", where: "" };
      if (functionName === "(program)" || functionName === "(root)") return { owner: "unattributed (V8 program)", where: "" };
      return { owner: "V8 builtins and native bindings", where: "" };
    }
    if (url.startsWith("node:")) return { owner: "Node.js (http, net, streams, …)", where: url };
    const file = url.startsWith("file://") ? fileURLToPath(url) : url;
    const inBuild = file.includes(`${path.sep}.next${path.sep}`);
    if (!inBuild) {
      const pkg = packageOf(file);
      return { owner: pkg ? ownerOfPackage(pkg) : "the app's own code", where: `${path.relative(this.root, file)}:${frame.lineNumber + 1}` };
    }
    // A chunk of the build: its source map says which module the function was bundled from.
    const entry = this.map(file)?.findEntry(frame.lineNumber, frame.columnNumber);
    if (!entry || !("originalSource" in entry) || !entry.originalSource) return { owner: "Next.js and React", where: path.relative(this.root, file) };
    const source = entry.originalSource;
    const pkg = packageOf(source);
    const shown = `${decodeURIComponent(source).replace(/^(\.\.\/)+/, "")}:${entry.originalLine + 1}`;
    return { owner: pkg ? ownerOfPackage(pkg) : "the app's own code", where: shown };
  }

  private map(file: string): SourceMap | null {
    if (!this.maps.has(file)) {
      let map: SourceMap | null = null;
      try {
        map = new SourceMap(JSON.parse(fs.readFileSync(`${file}.map`, "utf8")));
      } catch {
        // no map beside this chunk: attributed to the framework
      }
      this.maps.set(file, map);
    }
    return this.maps.get(file)!;
  }
}

/** Splits the profiles in `directory` (every process of the app's group) by the noted windows, summed per label. */
export function profileByWindow(directory: string, noted: ProfileWindow[], root: string, topCount = 12): WindowProfile[] {
  const labels = [...new Set(noted.map((w) => w.label))];
  const sums = new Map(labels.map((label) => [label, { owners: new Map<Owner, number>(), fns: new Map<string, { owner: Owner; us: number }>(), idle: 0 }]));
  const attribution = new Attribution(root);
  for (const name of fs.readdirSync(directory).filter((f) => f.endsWith(".cpuprofile"))) {
    const profile = JSON.parse(fs.readFileSync(path.join(directory, name), "utf8")) as CpuProfile;
    const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
    const owned = new Map<number, { owner: Owner; fn: string }>();
    let at = profile.startTime;
    for (let i = 0; i < profile.samples.length; i++) {
      at += profile.timeDeltas[i] ?? 0;
      // A sample stands for the time until the next one.
      const weight = profile.timeDeltas[i + 1] ?? PROFILE_INTERVAL_US;
      const window = noted.find((w) => at >= w.fromUs && at < w.toUs);
      if (!window) continue;
      const id = profile.samples[i]!;
      const frame = frames.get(id)!;
      if (frame.functionName === "(idle)") {
        sums.get(window.label)!.idle += weight;
        continue;
      }
      let found = owned.get(id);
      if (!found) {
        const { owner, where } = attribution.of(frame);
        found = { owner, fn: `${frame.functionName || "(anonymous)"}${where ? ` (${where})` : ""}` };
        owned.set(id, found);
      }
      const sum = sums.get(window.label)!;
      sum.owners.set(found.owner, (sum.owners.get(found.owner) ?? 0) + weight);
      const fn = sum.fns.get(found.fn) ?? { owner: found.owner, us: 0 };
      fn.us += weight;
      sum.fns.set(found.fn, fn);
    }
  }
  return labels.map((label) => {
    const requests = noted.filter((w) => w.label === label).reduce((n, w) => n + w.requests, 0);
    const sum = sums.get(label)!;
    const perRequestUs = Object.fromEntries(OWNERS.map((owner) => [owner, Math.round((sum.owners.get(owner) ?? 0) / requests)])) as Record<Owner, number>;
    const ranked = [...sum.fns.entries()].sort((a, b) => b[1].us - a[1].us).map(([fn, { owner, us }]) => ({ fn, owner, us: Math.round((us / requests) * 10) / 10 }));
    const topByOwner = Object.fromEntries(OWNERS.map((owner) => [owner, ranked.filter((f) => f.owner === owner).slice(0, topCount).map(({ fn, us }) => ({ fn, us }))])) as Record<Owner, { fn: string; us: number }[]>;
    return { label, requests, perRequestUs, totalUs: Object.values(perRequestUs).reduce((a, b) => a + b, 0), idleUs: Math.round(sum.idle / requests), top: ranked.slice(0, topCount), topByOwner };
  });
}

/** The owners' table: one column per window label, µs of the app's main thread per request. */
export function profileTable(profiles: WindowProfile[]): string {
  const header = ["app main thread, µs per request", ...profiles.map((p) => `${p.label} (${p.requests})`)];
  const rows = [...OWNERS.map((owner) => [owner, ...profiles.map((p) => String(p.perRequestUs[owner]))]), ["total", ...profiles.map((p) => String(p.totalUs))], ["(idle, not in the total)", ...profiles.map((p) => String(p.idleUs))]];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [line(header), ...rows.map(line)].join("\n");
}
