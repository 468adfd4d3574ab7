import { afterEach, describe, expect, it, vi } from "vitest";
import { createLogger } from "@/lib/logger";
import { installGracefulShutdown } from "@/lib/shutdown";

/**
 * The hook around Next's own drain (see lib/shutdown.ts). `process.emit` stands in for the signal
 * and a direct `process.exit(143)` for Next's call once its server has closed. The real thing
 * (`next start`, a slow request, SIGTERM) needs a production build; README "Deploying" says how
 * it was checked.
 */

let uninstall: (() => void) | undefined;
afterEach(() => {
  uninstall?.();
  uninstall = undefined;
  vi.useRealTimers();
});

function setup(timeoutMs = 1_000) {
  const steps: string[] = [];
  const lines: Record<string, unknown>[] = [];
  const exit = vi.fn((code: number) => void steps.push(`exit ${code}`));
  let finishClose: () => void = () => {};
  const close = vi.fn(() => {
    steps.push("close database");
    return new Promise<void>((resolve) => (finishClose = resolve));
  });
  const log = createLogger({ write: (line: string) => void lines.push(JSON.parse(line)) }, "info");
  uninstall = installGracefulShutdown({ timeoutMs, close, exit, log });
  return { steps, lines, exit, close, finishClose: () => finishClose() };
}

describe("graceful shutdown", () => {
  it("waits for Next's drain, closes the database pool, then exits 0", async () => {
    const { steps, lines, close, finishClose } = setup();
    process.emit("SIGTERM", "SIGTERM");
    expect(close).not.toHaveBeenCalled(); // requests may still be in flight
    expect(lines[0]).toMatchObject({ level: "info", signal: "SIGTERM", msg: "shutting down: finishing in-flight requests" });

    process.exit(143); // what next start calls once server.close() has finished
    await vi.waitFor(() => expect(steps).toEqual(["close database"]));
    finishClose();
    await vi.waitFor(() => expect(steps).toEqual(["close database", "exit 0"]));
    expect(lines.at(-1)).toMatchObject({ msg: "shutdown complete", exitCode: 0 });
  });

  it("ignores a second signal (Ctrl-C sends SIGINT twice)", async () => {
    const { lines } = setup();
    process.emit("SIGINT", "SIGINT");
    process.emit("SIGINT", "SIGINT");
    process.emit("SIGTERM", "SIGTERM");
    expect(lines.filter((line) => line.msg === "shutting down: finishing in-flight requests")).toHaveLength(1);
  });

  it("gives up after the timeout with exit 1 when requests never finish", async () => {
    vi.useFakeTimers();
    const { steps, lines } = setup(25_000);
    process.emit("SIGTERM", "SIGTERM");
    await vi.advanceTimersByTimeAsync(24_999);
    expect(steps).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(steps).toEqual(["exit 1"]);
    expect(lines.at(-1)).toMatchObject({ level: "error", msg: "shutdown timed out with requests still in flight; exiting" });
  });

  it("leaves process.exit alone until a signal arrives", () => {
    const before = process.exit;
    setup();
    expect(process.exit).toBe(before);
  });
});
