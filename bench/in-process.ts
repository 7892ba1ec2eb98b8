import { roundRatios, runRounds } from './harness.js';
import { loadBetween, snapshot } from './load.js';
import type { InProcessResult, SectionResult } from './result.js';
import type { Section } from './section.js';
import { estimate, median, spread } from './stats.js';

/** Runs each section's rounds in turn (a section's cases interleave with each other only). */
export interface InProcessOptions {
  warmupMs: number;
  minRounds: number;
  maxRounds: number;
  sliceMs: number;
  /** Wall-clock seconds for all sections, shared out by each section's CPU per round. */
  budgetS: number;
}

const weightOf = (section: Section) => section.cases.reduce((sum, c) => sum + (c.weight ?? 1), 0);

/**
 * Runs each section's rounds in turn (a section's cases interleave with each other only). On a
 * quiet machine every section reaches `maxRounds`; on a loaded one, where counted CPU time comes
 * slower, a section stops at its share of the wall-clock budget (never below `minRounds`) and its
 * intervals widen instead of the run growing without bound.
 */
export async function runInProcess(
  sections: readonly Section[],
  options: InProcessOptions,
  log: (message: string) => void,
): Promise<InProcessResult> {
  const started = Date.now();
  const before = snapshot();
  const results: SectionResult[] = [];
  for (const [index, section] of sections.entries()) {
    const t0 = Date.now();
    // What is left of the budget, shared among the sections still to run.
    const left = options.budgetS * 1000 - (t0 - started);
    const share = weightOf(section) / sections.slice(index).reduce((sum, s) => sum + weightOf(s), 0);
    const rounds = await runRounds(section.cases, {
      ...options,
      budgetMs: left * share,
      seed: index + 1,
      beforeRound: section.beforeRound,
      everyTurn: section.everyTurn,
    });
    const labels = new Map(section.cases.map((c) => [c.id, c.label]));
    const seconds = (Date.now() - t0) / 1000;
    results.push({
      title: section.title,
      note: section.note,
      summary: section.summary?.(),
      everyTurn: section.everyTurn,
      checks: section.checks,
      cases: section.cases.map((c) => ({
        id: c.id,
        label: c.label,
        cpuUs: spread(rounds.cases.get(c.id)!.cpuUsPerOp.filter(Number.isFinite)),
      })),
      ratios: section.comparisons.map((c) => ({
        key: `${c.subject} / ${c.baseline}`,
        label: `${labels.get(c.subject)} / ${labels.get(c.baseline)}`,
        estimate: estimate(roundRatios(rounds, c.subject, c.baseline)),
        target: c.target,
        allTurns: section.everyTurn
          ? undefined
          : median(roundRatios(rounds, c.subject, c.baseline, 'allTurnsCpuUsPerOp')),
      })),
      rounds: rounds.cpuShare.length,
      cpuShare: spread(rounds.cpuShare),
      counted: spread(rounds.counted),
      seconds,
    });
    log(
      `${section.title}: ${section.cases.length} cases × ${rounds.cpuShare.length} rounds in ${seconds.toFixed(0)} s`,
    );
  }
  return {
    settings: {
      warmupMs: options.warmupMs,
      minRounds: options.minRounds,
      maxRounds: options.maxRounds,
      sliceMs: options.sliceMs,
      budgetS: options.budgetS,
    },
    sections: results,
    load: loadBetween(before, snapshot()),
    seconds: (Date.now() - started) / 1000,
  };
}
