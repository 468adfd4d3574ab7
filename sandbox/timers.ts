/**
 * Delayed sandbox work that is not a webhook retry (a pending refund settling), on the sandbox's
 * time scale. Cancelled by a reset and by close(), so nothing fires into a forgotten state.
 */
export class ScaledTimers {
  private timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(private readonly timeScale: number) {}

  /** Runs `run` after `delayMs` × the time scale. */
  after(delayMs: number, run: () => void): void {
    if (this.closed) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      run();
    }, delayMs * this.timeScale);
    timer.unref();
    this.timers.add(timer);
  }

  cancelPending(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  close(): void {
    this.closed = true;
    this.cancelPending();
  }
}
