import fs from "node:fs";
import { monotonicUs } from "./profile";

/** Where the machine's CPU time went between two snapshots, in cores (CPU seconds per wall second). Linux only. */
export interface CpuShare {
  /** Per app process group (next start), in the order given. */
  apps: number[];
  /** Every `postgres` process on the machine (all databases, not only the bench's). */
  postgres: number;
  /** This process: the load generator, plus the Whop sandbox and recorder when they are busy. */
  bench: number;
  /** The whole machine (from /proc/stat), out of `cores`. */
  machine: number;
  /** Time the hypervisor gave to other guests while this one wanted to run (/proc/stat steal). */
  steal: number;
  cores: number;
  /** Wall seconds between the snapshots (cores × seconds = CPU seconds). */
  seconds: number;
  /** The two snapshots' instants on the monotonic clock, in µs (a window of the app's CPU profile: support/profile.ts). */
  fromUs: number;
  toUs: number;
}

interface Snapshot {
  at: number;
  monotonicUs: number;
  groups: number[];
  postgres: number;
  bench: number;
  machineBusy: number;
  steal: number;
}

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** Takes a snapshot now; call the returned function later for the CPU share since. */
export function measureCpu(pgids: number[], cores: number): () => CpuShare {
  const before = snapshot(pgids);
  return () => {
    const after = snapshot(pgids);
    const seconds = (after.at - before.at) / 1000;
    const cores_ = (ticks: number) => Math.round((ticks / TICKS_PER_SECOND / seconds) * 100) / 100;
    return {
      apps: after.groups.map((t, i) => cores_(t - before.groups[i]!)),
      postgres: cores_(after.postgres - before.postgres),
      bench: Math.round(((after.bench - before.bench) / 1e6 / seconds) * 100) / 100,
      machine: cores_(after.machineBusy - before.machineBusy),
      steal: cores_(after.steal - before.steal),
      cores,
      seconds,
      fromUs: before.monotonicUs,
      toUs: after.monotonicUs,
    };
  };
}

function snapshot(pgids: number[]): Snapshot {
  const groups = pgids.map(() => 0);
  let postgres = 0;
  let machineBusy = 0;
  let steal = 0;
  try {
    for (const entry of fs.readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
        const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
        // Fields after the command name: state ppid pgrp … utime (12th) stime (13th).
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        const ticks = Number(fields[11]) + Number(fields[12]);
        const group = pgids.indexOf(Number(fields[2]));
        if (group >= 0) groups[group]! += ticks;
        else if (name === "postgres") postgres += ticks;
      } catch {
        // the process ended between the listing and the read
      }
    }
    // cpu  user nice system idle iowait irq softirq steal guest guest_nice: busy = user … softirq.
    const cpu = fs.readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
    machineBusy = cpu.slice(0, 7).reduce((sum, v, i) => (i === 3 || i === 4 ? sum : sum + v), 0);
    steal = cpu[7] ?? 0;
  } catch {
    // not Linux
  }
  const usage = process.cpuUsage();
  return { at: performance.now(), monotonicUs: monotonicUs(), groups, postgres, bench: usage.user + usage.system, machineBusy, steal };
}

/** CPU milliseconds per request of a process that used `cores` of `share`'s interval for `requests` requests. */
export function cpuMsPerRequest(cores: number, share: CpuShare, requests: number): number {
  return Math.round(((cores * share.seconds * 1000) / requests) * 100) / 100;
}

/** e.g. "app 0.73, postgres 0.27, bench process 0.09, other 0.83, machine 1.92 of 2 (steal 0)"; "other" is the rest of the machine (other users' processes, the kernel's threads). */
export function describeCpu(share: CpuShare, labels: string[]): string {
  const other = Math.max(0, share.machine - share.apps.reduce((a, b) => a + b, 0) - share.postgres - share.bench);
  return [
    ...share.apps.map((c, i) => `${labels[i] ?? `app ${i + 1}`} ${c}`),
    `postgres ${share.postgres}`,
    `bench process ${share.bench}`,
    `other ${other.toFixed(2)}`,
    `machine ${share.machine} of ${share.cores} (steal ${share.steal})`,
  ].join(", ");
}
