// CPU time and resident memory of a process and all its descendants, from /proc. The
// benchmark samples a target while it is loaded: CPU seconds per 10k requests shows
// what each request costs whatever the machine's speed; peak RSS shows the memory bill.
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

interface ProcEntry {
  readonly pid: number;
  readonly ppid: number;
  /** utime + stime, in ticks. */
  readonly ticks: number;
}

function readStat(pid: number): ProcEntry | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // The command name is in parentheses and may contain spaces: split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { pid, ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return undefined; // exited between listing and reading
  }
}

function rssBytes(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** The root and every process below it. */
export function processTree(root: number): ProcEntry[] {
  const all: ProcEntry[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const entry = readStat(Number(name));
    if (entry !== undefined) all.push(entry);
  }
  const tree: ProcEntry[] = [];
  const wanted = new Set([root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const entry of all) {
      if (!wanted.has(entry.pid) && wanted.has(entry.ppid)) {
        wanted.add(entry.pid);
        grew = true;
      }
    }
  }
  for (const entry of all) if (wanted.has(entry.pid)) tree.push(entry);
  return tree;
}

/** Resident memory of the root and every process below it, summed. */
export function treeRssBytes(root: number): number {
  let rss = 0;
  for (const entry of processTree(root)) rss += rssBytes(entry.pid);
  return rss;
}

export interface ProcUsage {
  readonly cpuSeconds: number;
  readonly peakRssBytes: number;
  readonly processes: number;
}

/** Samples a process tree while running; stop() gives CPU used since start and peak RSS. */
export class ProcSampler {
  private readonly startTicks = new Map<number, number>();
  private readonly lastTicks = new Map<number, number>();
  private peakRss = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly root: number, intervalMs = 200) {
    for (const entry of processTree(root)) this.startTicks.set(entry.pid, entry.ticks);
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  stop(): ProcUsage {
    clearInterval(this.timer);
    this.sample();
    let ticks = 0;
    for (const [pid, last] of this.lastTicks) ticks += last - (this.startTicks.get(pid) ?? 0);
    return { cpuSeconds: ticks / TICKS_PER_SECOND, peakRssBytes: this.peakRss, processes: this.lastTicks.size };
  }

  private sample(): void {
    let rss = 0;
    for (const entry of processTree(this.root)) {
      this.lastTicks.set(entry.pid, entry.ticks);
      rss += rssBytes(entry.pid);
    }
    this.peakRss = Math.max(this.peakRss, rss);
  }
}
