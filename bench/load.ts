import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';

/**
 * How busy the machine was while the bench ran: per-CPU busy and steal time from `/proc/stat`, and
 * the CPU time of the bench's own processes from `/proc/<pid>/stat`, so the report can say how much
 * of each core other work took. Linux only; elsewhere every figure is `undefined`.
 */

const TICKS_PER_SECOND = 100;

interface CpuTicks {
  busy: number;
  steal: number;
  total: number;
}

export interface LoadSnapshot {
  at: number;
  cpus: CpuTicks[];
  /** utime + stime of each watched process, in ticks. */
  procs: Map<number, number>;
  loadavg: number;
}

function cpuTicks(): CpuTicks[] {
  const out: CpuTicks[] = [];
  for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
    const m = /^cpu(\d+) (.*)$/.exec(line);
    if (!m) continue;
    const [user, nice, system, idle, iowait, irq, softirq, steal] = m[2]!.trim().split(/\s+/).map(Number);
    const busy = user! + nice! + system! + irq! + softirq!;
    out[Number(m[1])] = { busy, steal: steal!, total: busy + idle! + iowait! + steal! };
  }
  return out;
}

function procTicks(pid: number): number {
  // Fields after the command name (which may hold spaces) start at "state"; utime and stime are 14th and 15th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

export function snapshot(pids: readonly number[] = [process.pid]): LoadSnapshot | undefined {
  try {
    const procs = new Map<number, number>();
    for (const pid of pids) procs.set(pid, procTicks(pid));
    return { at: Date.now(), cpus: cpuTicks(), procs, loadavg: loadavg()[0]! };
  } catch {
    return undefined;
  }
}

export interface LoadSummary {
  seconds: number;
  /** Per CPU: share of the time it was busy (any process), and stolen by the hypervisor. */
  cpus: { busy: number; steal: number }[];
  /** CPU time of the watched processes, as a share of one CPU. */
  ours: number;
  /** Busy time of all CPUs minus the watched processes, as a share of one CPU. */
  others: number;
  loadavg: [number, number];
}

/** Load between two snapshots; `pids` are the bench's own processes (alive at both). */
export function loadBetween(a: LoadSnapshot | undefined, b: LoadSnapshot | undefined): LoadSummary | undefined {
  if (!a || !b) return undefined;
  const seconds = (b.at - a.at) / 1000;
  const cpus = b.cpus.map((c, i) => {
    const d = c.total - a.cpus[i]!.total || 1;
    return { busy: (c.busy - a.cpus[i]!.busy) / d, steal: (c.steal - a.cpus[i]!.steal) / d };
  });
  let ourTicks = 0;
  for (const [pid, ticks] of b.procs) ourTicks += ticks - (a.procs.get(pid) ?? ticks);
  const ours = ourTicks / TICKS_PER_SECOND / seconds;
  const busyTotal = cpus.reduce((sum, c) => sum + c.busy, 0);
  return { seconds, cpus, ours, others: Math.max(0, busyTotal - ours), loadavg: [a.loadavg, b.loadavg] };
}

const pct = (share: number) => `${Math.round(share * 100)} %`;

/** One sentence for the report. */
export function describeLoad(what: string, load: LoadSummary | undefined): string {
  if (!load) return `Machine load during ${what}: not available (no /proc).`;
  const perCpu = load.cpus.map((c, i) => `CPU ${i} ${pct(c.busy)}`).join(', ');
  const steal = Math.max(...load.cpus.map((c) => c.steal));
  return (
    `Machine load during ${what} (${Math.round(load.seconds)} s): busy ${perCpu}; this bench used ${pct(load.ours)} ` +
    `of one CPU, other processes ${pct(load.others)}; steal ≤ ${pct(steal)}; ` +
    `1-minute load average ${load.loadavg[0].toFixed(2)} at the start, ${load.loadavg[1].toFixed(2)} at the end.`
  );
}
