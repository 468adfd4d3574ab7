import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import net from "node:net";

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Runs a command to completion with `env`, echoing its output; rejects on a non-zero exit. */
export function runCommand(command: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ["ignore", "inherit", "inherit"] });
    const timer = setTimeout(() => child.kill("SIGTERM"), timeoutMs);
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`${command} ${args.join(" ")} failed (${signal ?? `exit ${code}`})`));
    });
  });
}

const NEXT_BIN = path.join(process.cwd(), "node_modules", "next", "dist", "bin", "next");

export interface AppProcess {
  url: string;
  /** The process group of `next start` (the next-server process and any workers): its leader's pid. */
  pgid: number;
  /** The app's last output lines, for a failure report. */
  tail(): string[];
  stop(): Promise<void>;
}

/** The node flags of `npm start` and the Docker image's command: the app's heap limit. */
const PRODUCTION_NODE_FLAGS = ["--max-old-space-size=256"];
/** `npm start`'s own flags (the image sets the same in KEEP_ALIVE_TIMEOUT): idle connections kept 65 s. */
const PRODUCTION_START_FLAGS = ["--keepAliveTimeout", "65000"];

/**
 * `next start` on a free loopback port, in its own process group so that stopping it stops any
 * worker too. Started as production starts it — node running Next's own entry point — not through
 * `npx`, whose wrapper process (≈ 65 MB RSS) would otherwise count as the app's memory.
 * Resolves once /api/health answers 200.
 */
export async function startApp(
  env: NodeJS.ProcessEnv,
  { port, readyTimeoutMs, log, extraNodeArgs = [] }: { port: number; readyTimeoutMs: number; log: (line: string) => void; extraNodeArgs?: string[] },
): Promise<AppProcess> {
  const url = `http://127.0.0.1:${port}`;
  // BENCH_APP_NODE_ARGS: node flags for the app alone, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" (which NODE_OPTIONS refuses).
  const nodeArgs = [...(process.env.BENCH_APP_NODE_ARGS ?? "").split(/\s+/).filter(Boolean), ...extraNodeArgs];
  // A profiled app writes its profile (tens of MB) as it exits: give it the time.
  const graceMs = nodeArgs.some((arg) => arg.startsWith("--cpu-prof")) ? 60_000 : 5_000;
  const child = spawn(process.execPath, [...PRODUCTION_NODE_FLAGS, ...nodeArgs, NEXT_BIN, "start", ...PRODUCTION_START_FLAGS, "-p", String(port), "-H", "127.0.0.1"], { env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  const lines: string[] = [];
  let ready = false;
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString("utf8").split("\n")) {
      if (!line.trim()) continue;
      lines.push(line);
      if (lines.length > 200) lines.shift();
      // LOG_LEVEL=warn: whatever the app prints past start-up is worth seeing.
      if (ready) log(`[app] ${line}`);
    }
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

  const app: AppProcess = { url, pgid: child.pid ?? -1, tail: () => [...lines], stop: () => stopGroup(child, exited, graceMs) };
  const deadline = Date.now() + readyTimeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the app exited before it was ready:\n${lines.slice(-20).join("\n")}`);
    }
    try {
      const res = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(2_000) });
      if (res.status === 200) {
        ready = true;
        return app;
      }
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await app.stop();
  throw new Error(`the app did not answer /api/health within ${readyTimeoutMs / 1000} s:\n${lines.slice(-20).join("\n")}`);
}

/** SIGTERM to the whole group, SIGKILL to whatever is left of it after 5 s. */
async function stopGroup(child: ChildProcess, exited: Promise<void>, graceMs: number): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) return;
  const signalGroup = (signal: NodeJS.Signals | 0): boolean => {
    try {
      process.kill(-pid, signal);
      return true;
    } catch {
      return false; // no process left in the group
    }
  };
  if (!signalGroup("SIGTERM")) return;
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && signalGroup(0)) await new Promise((resolve) => setTimeout(resolve, 100));
  if (signalGroup(0)) signalGroup("SIGKILL");
  await exited;
}
