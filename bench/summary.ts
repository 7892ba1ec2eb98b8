import { met, withInterval } from './report.js';
import type { RatioResult, RunResult } from './result.js';
import { median } from './stats.js';

/** The runs side by side: every ratio of every run with its interval, and how far the runs are apart. */

/** Runs agree on a ratio when each is within this much of the runs' median. */
export const AGREEMENT = 0.03;

interface Row {
  what: string;
  target?: number;
  values: (RatioResult | undefined)[];
}

function rows(runs: readonly RunResult[]): Row[] {
  const byKey = new Map<string, Row>();
  const add = (what: string, key: string, r: RatioResult, i: number) => {
    let row = byKey.get(key);
    if (!row) byKey.set(key, (row = { what, target: r.target, values: runs.map(() => undefined) }));
    row.values[i] = r;
  };
  runs.forEach((run, i) => {
    for (const section of [...(run.inProcess?.sections ?? []), ...(run.http?.sections ?? [])])
      for (const r of section.ratios) add(`${section.title}: ${r.label}`, r.key, r, i);
  });
  return [...byKey.values()];
}

export interface Agreement {
  markdown: string;
  /** Ratios whose runs all lie within ±AGREEMENT of their median. */
  agreeing: number;
  total: number;
  /** Target ratios met in every run, and how many targets there are. */
  targetsMet: number;
  targets: number;
}

export function summary(runs: readonly RunResult[]): Agreement {
  const head = runs.map((_, i) => `run ${i + 1}`);
  const lines = [
    `| ratio | target | ${head.join(' | ')} | max − min | within ±${AGREEMENT} |`,
    `|---|---|${head.map(() => '---:').join('|')}|---:|---|`,
  ];
  let agreeing = 0;
  let targetsMet = 0;
  let targets = 0;
  const all = rows(runs);
  for (const row of all) {
    const values = row.values
      .filter((v): v is RatioResult => v !== undefined)
      .map((v) => v.estimate.value)
      .filter((v) => typeof v === 'number' && Number.isFinite(v));
    const mid = median(values);
    const spread = values.length ? Math.max(...values) - Math.min(...values) : NaN;
    const agrees = values.length === row.values.length && values.every((v) => Math.abs(v - mid) <= AGREEMENT + 1e-9);
    if (agrees) agreeing++;
    if (row.target !== undefined) {
      targets++;
      if (row.values.every((v) => v && met(v))) targetsMet++;
    }
    const cells = row.values.map((v) => {
      if (!v) return '–';
      const text = withInterval(v.estimate);
      return v.target !== undefined && !met(v) ? `**${text}**` : text;
    });
    lines.push(
      `| ${row.what} | ${row.target !== undefined ? `≥ ${row.target}` : ''} | ${cells.join(' | ')} | ` +
        `${spread.toFixed(3)} | ${agrees ? 'yes' : '**no**'} |`,
    );
  }
  return { markdown: lines.join('\n'), agreeing, total: all.length, targetsMet, targets };
}
