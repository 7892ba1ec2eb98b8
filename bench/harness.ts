/**
 * The in-process method. The cases of one section (a paymount call, its bare baseline, the peers)
 * are warmed up, then measured in many short rounds. In a round, after a full GC, the cases take
 * turns of about half a millisecond each; a case's cost in the round is **process CPU µs per
 * operation**, and a comparison is the per-round ratio of two cases' costs, so both sides of a
 * ratio always run interleaved within the same fraction of a second.
 *
 * Why CPU time: the machine is shared, and time another process spends on our core is wall time
 * but not our CPU time. Why *process* CPU time (`process.cpuUsage`, every thread): the callback
 * form of `crypto.sign` runs on a libuv pool thread while the main thread sleeps. Counting only the
 * main thread would make that work look free; process CPU time counts the pool thread's work, the
 * main thread's and the GC helpers', on whichever side of a ratio they serve.
 *
 * Why only *undisturbed* turns count: CPU time alone does not remove another process's effect.
 * After it has had the core, caches and branch predictors hold its state, and the next
 * milliseconds of our code run slower, more so for JavaScript with a large working set than for
 * an RSA operation. On a loaded machine that shifted paymount/bare ratios by 0.05–0.07 against a
 * quiet one. So a turn during which the core was taken away (wall time ran ahead of CPU time by
 * more than {@link GAP_US}) is discarded, every case becomes "cold", and a cold case's next turn
 * only warms it: it is discarded too. Each round runs until every case has its budget of counted
 * CPU time (or the round reaches {@link ROUND_CAP} times its budget). The ratio over every turn,
 * disturbed ones included, is kept alongside for comparison.
 */
import { prng, shuffled } from './stats.js';

/** One timed operation. `run` may return a promise: it is then awaited inside the loop. */
export interface BenchCase {
  /** Stable id, used by comparisons. */
  id: string;
  /** What the table shows. */
  label: string;
  run: () => unknown;
  /**
   * Share of a round's CPU budget this case gets (default 1). Peers several times slower than the
   * baseline need less time for the same absolute precision of their ratio.
   */
  weight?: number;
  /**
   * CPU µs used so far by another process that does part of this case's work (the Redis server of
   * the Redis-store cases), read before and after each sub-batch and added to its cost: that work
   * is part of an operation's cost, and `process.cpuUsage()` does not see it.
   */
  otherCpuMicros?: () => number;
}

/** A ratio the report prints: throughput of `subject` over that of `baseline`, per round. */
export interface Comparison {
  subject: string;
  baseline: string;
  /** A target ratio (≥) when this comparison is one of the library's performance targets. */
  target?: number;
}

export interface RoundsOptions {
  /** CPU milliseconds each case runs alone before any round (discarded). */
  warmupMs: number;
  /** Measured rounds: at least `minRounds`, then more until `maxRounds` or the wall-clock budget. */
  minRounds: number;
  maxRounds: number;
  /** Wall-clock milliseconds the section may take (warm-up included), checked between rounds. */
  budgetMs: number;
  /** Counted CPU milliseconds per case (of weight 1) per round. */
  sliceMs: number;
  /** Seeds the order in which cases take turns. */
  seed: number;
  /** Runs before every round, before its GC (not measured). */
  beforeRound?: () => void;
  /** Counts every sub-batch, disturbed or cold ones included (see {@link Section.everyTurn}). */
  everyTurn?: boolean;
}

/** Per-round measurements of one case. */
export interface CaseRounds {
  /** Process CPU µs per operation over the round's counted turns (NaN: none counted). */
  cpuUsPerOp: number[];
  /** The same over every turn of the round, disturbed or cold ones included. */
  allTurnsCpuUsPerOp: number[];
}

export interface SectionRounds {
  cases: Map<string, CaseRounds>;
  /** CPU time ÷ wall time of each round: below 1 when other work took part of the core. */
  cpuShare: number[];
  /** Counted CPU time ÷ all CPU time of each round. */
  counted: number[];
}

/** Keeps results reachable so the optimiser cannot drop the work. */
let sink: unknown;
export const sinkValue = (): unknown => sink;

const gc = (globalThis as { gc?: () => void }).gc;

/** Process CPU time (all threads, user + system), µs. */
export function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

export const wallMicros = (): number => Number(process.hrtime.bigint()) / 1e3;

/** A sub-batch this long reads the clocks rarely enough (~2 µs a read) and still spots disturbances. */
const SUB_US = 250;
/** A turn is at least this much CPU, and at least MIN_SUBS sub-batches. */
const TURN_US = 1500;
const MIN_SUBS = 4;
/** Wall time ahead of CPU time by more than this in one sub-batch: the core was given to someone else. */
export const GAP_US = 50;
/** A round stops at this multiple of its counted budget in CPU time, counted or not. */
export const ROUND_CAP = 4;

interface CaseState {
  c: BenchCase;
  /** Operations per sub-batch; adapts towards SUB_US and carries over between rounds. */
  batch: number;
  /** Counted CPU µs this case needs in the current round. */
  budget: number;
  ops: number;
  cpuUs: number;
  allOps: number;
  allCpuUs: number;
}

/**
 * One sub-batch: `batch` operations, awaited one by one when they return promises (as a handler
 * would). Returns its CPU time and whether the core was taken away during it.
 */
async function subBatch(state: CaseState): Promise<{ cpuUs: number; ops: number; disturbed: boolean }> {
  const { run, otherCpuMicros } = state.c;
  const ops = state.batch;
  const other0 = otherCpuMicros?.() ?? 0;
  const wall0 = wallMicros();
  const cpu0 = cpuMicros();
  for (let i = 0; i < ops; i++) {
    const value = run();
    sink = value instanceof Promise ? await value : value;
  }
  const ownUs = cpuMicros() - cpu0;
  const wallUs = wallMicros() - wall0;
  const cpuUs = ownUs + (otherCpuMicros ? otherCpuMicros() - other0 : 0);
  // Another process's CPU time overlaps this one's wall time, so only this process's counts here.
  const disturbed = wallUs - ownUs > GAP_US;
  if (cpuUs < SUB_US / 2 && ops < 1 << 20) state.batch = ops * 2;
  else if (cpuUs > 2 * SUB_US && ops > 1) state.batch = ops >> 1;
  return { cpuUs, ops, disturbed };
}

/**
 * One turn of a case: sub-batches until TURN_US of CPU (and at least MIN_SUBS). The first
 * sub-batch refills the caches after the previous case and is never counted; after that, a
 * sub-batch counts only if neither it nor the one before it was disturbed.
 */
async function turn(state: CaseState, everyTurn = false): Promise<number> {
  let spent = 0;
  let warm = false;
  for (let subs = 0; subs < MIN_SUBS || spent < TURN_US; subs++) {
    const b = await subBatch(state);
    spent += b.cpuUs;
    state.allOps += b.ops;
    state.allCpuUs += b.cpuUs;
    if (everyTurn || (warm && !b.disturbed)) {
      state.ops += b.ops;
      state.cpuUs += b.cpuUs;
    }
    warm = !b.disturbed;
  }
  return spent;
}

/**
 * One round: a full GC, then turns until every case has its counted budget. The next turn always
 * goes to the case furthest behind its budget, so every case's turns spread evenly over the round,
 * whatever its weight. Returns the round's CPU ÷ wall time and counted ÷ all CPU time.
 */
async function round(
  states: CaseState[],
  random: () => number,
  before?: () => void,
  everyTurn?: boolean,
): Promise<{ share: number; counted: number }> {
  for (const s of states) s.ops = s.cpuUs = s.allOps = s.allCpuUs = 0;
  before?.();
  gc?.();
  const order = shuffled(states, random);
  const cap = ROUND_CAP * states.reduce((sum, s) => sum + s.budget, 0);
  const wall0 = wallMicros();
  let spent = 0;
  while (spent < cap) {
    let next: CaseState | undefined;
    for (const s of order) if (s.cpuUs < s.budget && (!next || s.cpuUs / s.budget < next.cpuUs / next.budget)) next = s;
    if (!next) break;
    spent += await turn(next, everyTurn);
  }
  const counted = states.reduce((sum, s) => sum + s.cpuUs, 0);
  return { share: spent / (wallMicros() - wall0), counted: counted / spent };
}

/** Warm-up (each case alone, then one discarded round), then `rounds` measured rounds. */
export async function runRounds(cases: readonly BenchCase[], options: RoundsOptions): Promise<SectionRounds> {
  const out: SectionRounds = {
    cases: new Map(cases.map((c) => [c.id, { cpuUsPerOp: [], allTurnsCpuUsPerOp: [] }])),
    cpuShare: [],
    counted: [],
  };
  const states: CaseState[] = cases.map((c) => ({
    c,
    batch: 1,
    budget: options.sliceMs * 1000 * (c.weight ?? 1),
    ops: 0,
    cpuUs: 0,
    allOps: 0,
    allCpuUs: 0,
  }));
  const random = prng(options.seed);
  const deadline = Date.now() + options.budgetMs;
  for (const s of states) {
    gc?.();
    while (s.allCpuUs < options.warmupMs * 1000) await turn(s);
  }
  for (let r = -1; r < options.maxRounds && (r < options.minRounds || Date.now() < deadline); r++) {
    const { share, counted } = await round(states, random, options.beforeRound, options.everyTurn);
    if (r < 0) continue;
    out.cpuShare.push(share);
    out.counted.push(counted);
    for (const s of states) {
      const c = out.cases.get(s.c.id)!;
      c.cpuUsPerOp.push(s.ops > 0 ? s.cpuUs / s.ops : NaN);
      c.allTurnsCpuUsPerOp.push(s.allCpuUs / s.allOps);
    }
  }
  return out;
}

/**
 * Per-round throughput ratios subject/baseline: the baseline's CPU per operation over the
 * subject's, for the rounds in which both had counted turns.
 */
export function roundRatios(
  rounds: SectionRounds,
  subject: string,
  baseline: string,
  which: keyof CaseRounds = 'cpuUsPerOp',
): number[] {
  const a = rounds.cases.get(subject)?.[which];
  const b = rounds.cases.get(baseline)?.[which];
  if (!a || !b) throw new Error(`no results for ${subject} or ${baseline}`);
  return a.map((cost, i) => b[i]! / cost).filter((ratio) => Number.isFinite(ratio));
}
