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
  /** The median ratio over every turn, disturbed and cold ones included. */
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
  /** What the section reported after its rounds. */
  summary?: string;
  checks: string[];
  /** Every turn was counted, disturbed or cold ones included (signing sections). */
  everyTurn?: boolean;
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

export interface RunResult {
  startedAt: string;
  node: string;
  cpu: string;
  cpus: number;
  pinned: boolean;
  quick: boolean;
  inProcess?: InProcessResult;
  /** The HTTP section, measured the same way. */
  http?: InProcessResult;
  seconds: number;
}
