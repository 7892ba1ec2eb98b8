import type { ProviderEnv } from '../src/spi/provider.js';
import { memoryStore } from '../src/store/memory.js';
import type { BenchCase, Comparison } from './harness.js';

/**
 * The round weight of a peer that runs at well under half the baseline's speed: its ratio is small,
 * so a quarter of the time gives it the same absolute precision as the ratios near 1.
 */
export const PEER_WEIGHT = 0.25;

/** One workload of the report: its cases, the ratios to print, and what was checked before timing. */
export interface Section {
  title: string;
  /** What the bare baseline does, printed under the table. */
  note?: string;
  cases: BenchCase[];
  comparisons: Comparison[];
  /** One line per implementation that accepted the input (or produced an accepted output). */
  checks: string[];
  /**
   * Counts every turn instead of undisturbed ones only, for sections whose operations last longer
   * than a sub-batch: an RSA-2048 sign (~0.75 ms, handed to the libuv pool and back) or an HTTP
   * request (0.5–1.3 ms). A sub-batch is then one operation, and on a loaded machine nearly all of
   * them read as disturbed (1–8 % counted), so too little would be left (see README.md, Method).
   */
  everyTurn?: boolean;
  /** Runs before every round (outside the measurement), e.g. to empty a store. */
  beforeRound?: () => void;
  /** A line for the report once the rounds are done. */
  summary?: () => string;
}

/**
 * Asserts a pre-timing check and records it. A bench whose implementations reject the input
 * would time an error path, so the bench stops instead.
 */
export function check(checks: string[], what: string, ok: boolean): void {
  if (!ok) throw new Error(`pre-timing check failed: ${what}`);
  checks.push(what);
}

/** The environment `createPayments` would hand a provider: fixed clock, memory store, no logging. */
export function providerEnv(clock: () => Date): ProviderEnv {
  return {
    clock,
    publicUrl: 'https://shop.example.com/pay',
    store: memoryStore({ now: () => clock().getTime() }),
    logger: { info() {}, warn() {}, error() {} },
  };
}

/** `yyyy-MM-dd HH:mm:ss` in Beijing time (UTC+8), what a bare implementation writes in `timestamp`. */
export function beijing(date: Date): string {
  return new Date(date.getTime() + 8 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');
}
