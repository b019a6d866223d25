/**
 * What a process costs while it is measured, read from /proc (Linux): resident memory sampled
 * every `intervalMs` (VmRSS; VmHWM is the kernel's own peak), CPU time from /proc/<pid>/stat, and
 * the whole machine's CPU from /proc/stat, so a report can say how the two cores were split.
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // getconf CLK_TCK on Linux

function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds (user + system) the process has used so far (`own`), and those of its children that
 * have exited and been waited for (`reaped`: cutime + cstime), from one read of /proc/<pid>/stat.
 */
function cpuTimes(pid: number): { own: number; reaped: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may hold spaces: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return {
      own: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND,
      reaped: (Number(fields[13]) + Number(fields[14])) / TICKS_PER_SECOND,
    };
  } catch {
    return undefined;
  }
}

/** CPU seconds (user + system) the process has used so far. */
export function cpuSeconds(pid: number): number | undefined {
  return cpuTimes(pid)?.own;
}

/** Each process named `comm` by pid, with its own CPU seconds so far and its reaped children's. */
function cpuByPid(comm: string): Map<number, { own: number; reaped: number }> {
  const found = new Map<number, { own: number; reaped: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== comm) continue;
    } catch {
      continue;
    }
    const times = cpuTimes(Number(entry));
    if (times) found.set(Number(entry), times);
  }
  return found;
}

/**
 * The CPU seconds every process named `comm` (the postmaster and all its backends for `postgres`)
 * uses between `window()` and `end()`, or undefined when there is none on this machine (a
 * DATABASE_URL elsewhere). A backend alive at both ends counts its difference. A backend that
 * exits inside the window is counted through its parent's cutime + cstime (the kernel adds an
 * exited child's whole life there once the parent has waited for it: for Postgres, the
 * postmaster), less what it had used before the window opened. Without that subtraction a pool
 * closing connections that served an earlier scenario charged their whole life to the window they
 * closed in: applyToken's Postgres column read 474 to 747 µs a request after the pay scenarios,
 * against 170 alone.
 */
export function cpuWindowOf(comm: string): { end(): number | undefined } {
  const before = cpuByPid(comm);
  return {
    end() {
      const after = cpuByPid(comm);
      if (before.size === 0 && after.size === 0) return undefined;
      let seconds = 0;
      for (const [pid, a] of after) {
        const b = before.get(pid);
        seconds += a.own - (b?.own ?? 0) + (a.reaped - (b?.reaped ?? 0));
      }
      // Exited inside the window: their whole life is in the parent's reaped seconds (added above); take off what came before.
      for (const [pid, b] of before) if (!after.has(pid)) seconds -= b.own;
      return seconds;
    },
  };
}

/** Busy and total CPU seconds of the whole machine so far (all cores). */
export function machineCpuSeconds(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const n = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (n[3] ?? 0) + (n[4] ?? 0);
  const total = n.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: (total - idle) / TICKS_PER_SECOND, total: total / TICKS_PER_SECOND };
}

export interface RssPoint {
  readonly atMs: number;
  readonly rssMb: number;
}

/** Samples one process's RSS; windows report the peak and CPU use over a measured stretch. */
export class ProcessSampler {
  private timer: NodeJS.Timeout | undefined;
  private readonly points: RssPoint[] = [];
  private peakKb = 0;

  constructor(
    readonly pid: number,
    private readonly intervalMs = 500,
  ) {}

  start(): this {
    const t0 = Date.now();
    const sample = () => {
      const kb = statusKb(this.pid, 'VmRSS');
      if (kb === undefined) return;
      this.peakKb = Math.max(this.peakKb, kb);
      this.points.push({ atMs: Date.now() - t0, rssMb: kb / 1024 });
    };
    sample();
    this.timer = setInterval(sample, this.intervalMs);
    this.timer.unref();
    return this;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** The kernel's peak RSS of the process (VmHWM), or the sampled peak once it has exited. */
  peakMb(): number {
    return (statusKb(this.pid, 'VmHWM') ?? this.peakKb) / 1024;
  }

  series(): readonly RssPoint[] {
    return this.points;
  }

  /** Starts a measured stretch; `end()` gives its peak RSS and the CPU the process used in it. */
  window(): { end(): { rssPeakMb: number; cpuPercent: number | undefined } } {
    const from = this.points.length;
    const cpu0 = cpuSeconds(this.pid);
    const t0 = performance.now();
    return {
      end: () => {
        const cpu1 = cpuSeconds(this.pid);
        const seconds = (performance.now() - t0) / 1000;
        const now = statusKb(this.pid, 'VmRSS');
        const inWindow = this.points.slice(from).map((p) => p.rssMb);
        if (now !== undefined) inWindow.push(now / 1024);
        return {
          rssPeakMb: Math.max(0, ...inWindow),
          cpuPercent: cpu0 === undefined || cpu1 === undefined || seconds <= 0 ? undefined : ((cpu1 - cpu0) / seconds) * 100,
        };
      },
    };
  }
}
