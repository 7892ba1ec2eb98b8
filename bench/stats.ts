/**
 * Small statistics for per-round ratios: median, and a percentile-bootstrap confidence interval of
 * the median (resampling rounds). The resampler is seeded, so the same rounds always print the
 * same interval.
 */

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The value below which a share `q` (0–1) of `sorted` lies, interpolated between neighbours. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}

/** mulberry32: a tiny, fast, seedable PRNG (uniform in [0, 1)). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A Fisher–Yates shuffle of a copy of `items`. */
export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

export interface Estimate {
  /** Median of the values. */
  value: number;
  /** 95 % percentile-bootstrap interval of the median (absent with fewer than 2 values). */
  low?: number;
  high?: number;
  /** How many values (rounds) it rests on. */
  n: number;
}

/** Median and its 95 % bootstrap interval (2,000 resamples of the rounds, with replacement). */
export function estimate(values: readonly number[], resamples = 2000, seed = 0x5eed): Estimate {
  const n = values.length;
  if (n < 2) return { value: median(values), n };
  const random = prng(seed);
  const medians = new Float64Array(resamples);
  const sample = new Float64Array(n);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < n; i++) sample[i] = values[Math.floor(random() * n)]!;
    sample.sort();
    medians[r] = n % 2 ? sample[n >> 1]! : (sample[(n >> 1) - 1]! + sample[n >> 1]!) / 2;
  }
  medians.sort();
  const sorted = Array.from(medians);
  return { value: median(values), low: quantile(sorted, 0.025), high: quantile(sorted, 0.975), n };
}

/** Per-round ratios `a[i] / b[i]` (both measured in the same round). */
export function perRound(a: readonly number[], b: readonly number[]): number[] {
  if (a.length !== b.length) throw new Error(`rounds differ: ${a.length} vs ${b.length}`);
  return a.map((value, i) => value / b[i]!);
}

export interface Spread {
  median: number;
  min: number;
  max: number;
}

export function spread(values: readonly number[]): Spread {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values) };
}
