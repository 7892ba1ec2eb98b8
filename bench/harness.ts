/**
 * The micro-benchmark method of spec/performance.md §0: every case in one process, a warm-up that
 * is thrown away, then interleaved rounds (A, B, C, … A, B, C, …) of a fixed time per case, with
 * a GC before each case when `--expose-gc` is on. Comparisons are the median of per-round ratios,
 * so both sides of a ratio always come from the same round and machine noise mostly cancels.
 */

/** One timed operation. `run` may return a promise: it is then awaited inside the loop. */
export interface BenchCase {
  /** Stable id, used by comparisons. */
  id: string;
  /** What the table shows. */
  label: string;
  run: () => unknown;
}

/** A ratio the report prints: ops/s of `subject` over ops/s of `baseline`, per round. */
export interface Comparison {
  subject: string;
  baseline: string;
  /** Is this one of the DESIGN §10 targets (≥ 0.9)? Reference ratios are printed without a verdict. */
  target?: number;
}

export interface RunOptions {
  warmupMs: number;
  rounds: number;
  roundMs: number;
  /** Called between cases (progress output). */
  onProgress?: (message: string) => void;
}

/** Ops/s of every round, by case id. */
export type RoundResults = Map<string, number[]>;

/** Keeps results reachable so the optimiser cannot drop the work. */
let sink: unknown;
export const sinkValue = (): unknown => sink;

const gc = (globalThis as { gc?: () => void }).gc;

const now = (): number => Number(process.hrtime.bigint()) / 1e6;

/**
 * Runs `run` for about `ms` and returns ops/s. Batches grow until one batch takes ~2 ms, so the
 * clock is read rarely; a returned promise is awaited (async APIs are timed with await in the loop,
 * as a request handler would use them).
 */
async function timeFor(run: () => unknown, ms: number): Promise<number> {
  let batch = 1;
  let ops = 0;
  const start = now();
  let elapsed = 0;
  while (elapsed < ms) {
    const t0 = now();
    for (let i = 0; i < batch; i++) {
      const value = run();
      sink = value instanceof Promise ? await value : value;
    }
    const spent = now() - t0;
    ops += batch;
    if (spent < 2 && batch < 1 << 20) batch *= 2;
    elapsed = now() - start;
  }
  return (ops * 1000) / elapsed;
}

/** Warm-up of every case, then `rounds` interleaved rounds; returns ops/s per round per case. */
export async function runInterleaved(cases: readonly BenchCase[], options: RunOptions): Promise<RoundResults> {
  const results: RoundResults = new Map(cases.map((c) => [c.id, [] as number[]]));
  for (const c of cases) {
    gc?.();
    await timeFor(c.run, options.warmupMs);
  }
  options.onProgress?.(`warm-up done (${cases.length} cases)`);
  for (let round = 0; round < options.rounds; round++) {
    for (const c of cases) {
      gc?.();
      results.get(c.id)!.push(await timeFor(c.run, options.roundMs));
    }
    options.onProgress?.(`round ${round + 1}/${options.rounds} done`);
  }
  return results;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Median of the per-round ratios subject/baseline (both from the same round). */
export function ratioOf(results: RoundResults, subject: string, baseline: string): number {
  const a = results.get(subject);
  const b = results.get(baseline);
  if (!a || !b) throw new Error(`no results for ${subject} or ${baseline}`);
  return median(a.map((value, i) => value / b[i]!));
}

export interface Summary {
  median: number;
  min: number;
  max: number;
}

export function summarise(values: readonly number[]): Summary {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values) };
}
