import type { ProviderEnv } from '../src/spi/provider.js';
import { memoryStore } from '../src/store/memory.js';
import type { BenchCase, Comparison } from './harness.js';

/** One workload of the report: its cases, the ratios to print, and what was checked before timing. */
export interface Section {
  title: string;
  /** What the bare baseline does, printed under the table. */
  note?: string;
  cases: BenchCase[];
  comparisons: Comparison[];
  /** One line per implementation that accepted the input (or produced an accepted output). */
  checks: string[];
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
