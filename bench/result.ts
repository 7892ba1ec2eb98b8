import type { LoadSummary } from './load.js';
import type { Estimate, Spread } from './stats.js';

/** What one bench run measured, as plain data: the report and the multi-run summary read only this. */

export interface RatioResult {
  /** Stable key across runs: `subject / baseline`. */
  key: string;
  /** What the ratio reads as, e.g. "paymount `provider.parseNotify` / bare node:crypto". */
  label: string;
  /** Throughput of the subject over the baseline's, from per-round (or per-window) CPU costs. */
  estimate: Estimate;
  target?: number;
  /** The median ratio over all the work, disturbed and cold turns (or requests) included. */
  allTurns?: number;
}

export interface CaseResult {
  id: string;
  label: string;
  /** Process CPU µs per operation over the rounds. */
  cpuUs: Spread;
}

export interface SectionResult {
  title: string;
  note?: string;
  checks: string[];
  cases: CaseResult[];
  ratios: RatioResult[];
  rounds: number;
  /** CPU time ÷ wall time over the rounds (1 = the core was ours alone). */
  cpuShare: Spread;
  /** Counted (undisturbed, warm) CPU time ÷ all CPU time over the rounds. */
  counted: Spread;
  seconds: number;
}

export interface InProcessResult {
  settings: { warmupMs: number; minRounds: number; maxRounds: number; sliceMs: number; budgetS: number };
  sections: SectionResult[];
  load?: LoadSummary;
  seconds: number;
}

export interface VariantResult {
  id: string;
  label: string;
  /** Server CPU µs per counted (undisturbed, warm) request, over the windows. */
  cpuUs: Spread;
  /** Server CPU µs per request over all of the variant's requests. */
  allCpuUs: Spread;
  /** Counted share of the variant's requests. */
  counted: Spread;
  /** Requests per window (median). */
  requests: number;
  /** Distinct variants: the share of requests that fulfilled a new payment. */
  freshShare?: Spread;
}

export interface HttpResult {
  settings: { rounds: number; warmupS: number; measureS: number; phaseMs: number; connections: number };
  variants: VariantResult[];
  /** Capacity ratios: the baseline's server CPU per request over the subject's, window by window. */
  ratios: RatioResult[];
  /** Server CPU ÷ wall time over the windows. */
  cpuShare: Spread;
  /** Errors, timeouts, non-2xx answers and bodies other than `success`, over all windows. */
  failures: number;
  checks: string[];
  poolSize: number;
  poolSignSeconds: number;
  load?: LoadSummary;
  seconds: number;
}

export interface RunResult {
  startedAt: string;
  node: string;
  cpu: string;
  cpus: number;
  pinned: boolean;
  quick: boolean;
  inProcess?: InProcessResult;
  http?: HttpResult;
  seconds: number;
}
