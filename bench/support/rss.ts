import fs from "node:fs";

/**
 * Samples the resident memory of a whole process group (`next start`: the next-server process and
 * any workers) every `intervalMs`: the sum of VmRSS over the group's live processes, read from
 * /proc. Linux only; elsewhere it reports nothing.
 */
export class GroupRssSampler {
  peakBytes = 0;
  samples = 0;
  private timer: NodeJS.Timeout | undefined;
  private marks: { label: string; peakBytes: number }[] = [];
  private sinceMark = 0;

  constructor(private readonly pgid: number, private readonly intervalMs = 250) {}

  start(): this {
    if (!fs.existsSync("/proc/self/stat")) return this;
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
    return this;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.sample();
  }

  /** Closes a phase: the peak seen since the previous mark is kept under `label`. */
  mark(label: string): void {
    this.sample();
    this.marks.push({ label, peakBytes: this.sinceMark });
    this.sinceMark = 0;
  }

  phases(): { label: string; peakBytes: number }[] {
    return [...this.marks];
  }

  /** Sum of VmRSS of every process whose process group is `pgid`, in bytes. */
  currentBytes(): number {
    let total = 0;
    let entries: string[] = [];
    try {
      entries = fs.readdirSync("/proc");
    } catch {
      return 0;
    }
    for (const entry of entries) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
        // Fields after the parenthesised command name: state ppid pgrp …
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        if (Number(fields[2]) !== this.pgid) continue;
        const match = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${entry}/status`, "utf8"));
        if (match) total += Number(match[1]) * 1024;
      } catch {
        // the process ended between the listing and the read
      }
    }
    return total;
  }

  private sample(): void {
    const bytes = this.currentBytes();
    this.samples++;
    this.peakBytes = Math.max(this.peakBytes, bytes);
    this.sinceMark = Math.max(this.sinceMark, bytes);
  }
}
