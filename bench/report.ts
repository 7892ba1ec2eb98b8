import { describeLoad } from './load.js';
import type { InProcessResult, RatioResult, RunResult } from './result.js';
import type { Estimate } from './stats.js';

/** The Markdown of one run: a table per workload with every ratio and its interval, then HTTP. */

/** Missing figures (a case with no counted turn; NaN arrives as null through JSON) print as a dash. */
const ok = (value: number | null): value is number => typeof value === 'number' && Number.isFinite(value);
const n = (value: number): string => (ok(value) ? Math.round(value).toLocaleString('en-US') : '–');
const us = (value: number): string => (!ok(value) ? '–' : value >= 100 ? n(value) : value.toFixed(1));
const pct = (share: number): string => `${Math.round(share * 100)} %`;
export const x = (value: number): string => (ok(value) ? `${value.toFixed(2)}×` : '–');

/** `0.93× (0.91–0.95)`: the median of per-round ratios and its 95 % interval. */
export function withInterval(e: Estimate): string {
  return !ok(e.low ?? NaN) || !ok(e.high ?? NaN)
    ? x(e.value)
    : `${x(e.value)} (${e.low!.toFixed(2)}–${e.high!.toFixed(2)})`;
}

export const met = (r: RatioResult): boolean => r.target === undefined || r.estimate.value >= r.target;

function verdict(r: RatioResult): string {
  if (r.target === undefined) return '';
  return ` (target ≥ ${r.target}: ${met(r) ? 'met' : '**not met**'})`;
}

function sectionsReport(result: InProcessResult, h: string, what: string): string {
  const s = result.settings;
  const out: string[] = [
    `${result.sections.length} sections, one after another; within a section the cases take turns of ~1.5 ms of ` +
      `CPU. ${s.warmupMs} ms warm-up per case and one round discarded, then ${s.minRounds}–${s.maxRounds} rounds ` +
      `(as many as fit a ${s.budgetS} s budget) of ${s.sliceMs} ms of counted process CPU per case (a quarter of ` +
      `that for peers far below the baseline), a full GC before each round. ${Math.round(result.seconds)} s.`,
    '',
    `- ${describeLoad(what, result.load)}`,
    '',
  ];
  for (const section of result.sections) {
    const first = new Map<string, RatioResult>();
    for (const r of section.ratios) {
      const subject = r.key.split(' / ')[0]!;
      if (!first.has(subject)) first.set(subject, r);
    }
    const baselines = new Set(section.ratios.map((r) => r.key.split(' / ')[1]!));
    out.push(
      `${h} ${section.title}`,
      '',
      '| case | CPU µs/op (median) | min–max over rounds | ratio to baseline (95 % CI) |',
      '|---|---:|---:|---:|',
    );
    for (const c of section.cases) {
      const r = first.get(c.id);
      const ratio = r ? withInterval(r.estimate) : baselines.has(c.id) ? '1 (baseline)' : '';
      out.push(`| ${c.label} | ${us(c.cpuUs.median)} | ${us(c.cpuUs.min)}–${us(c.cpuUs.max)} | ${ratio} |`);
    }
    out.push('');
    for (const r of section.ratios) {
      const all = r.allTurns === undefined ? '' : `; over every turn, disturbed ones included: ${x(r.allTurns)}`;
      out.push(`- ${r.label}: ${withInterval(r.estimate)}${verdict(r)}${all}`);
    }
    if (section.note) out.push(`- ${section.note}`);
    if (section.summary) out.push(`- ${section.summary}`);
    out.push(
      `- ${section.rounds} rounds in ${Math.round(section.seconds)} s; CPU ÷ wall per round ` +
        `${section.cpuShare.min.toFixed(2)}–${section.cpuShare.max.toFixed(2)} ` +
        "(1 = the core was the bench's alone); " +
        (section.everyTurn
          ? 'every turn counted (an operation outlasts a sub-batch: see README.md, Method).'
          : `counted (undisturbed, warm) share of the CPU time ${pct(section.counted.median)} ` +
            `(${pct(section.counted.min)}–${pct(section.counted.max)}).`),
      `- Checked before timing: ${section.checks.join('; ')}.`,
      '',
    );
  }
  return out.join('\n');
}

/** The details of one run: `## <title>` (or deeper, by `level`), then its parts one level below. */
export function runReport(run: RunResult, title: string, level = 2): string {
  const h = '#'.repeat(level);
  const parts = [
    `${h} ${title}${run.quick ? ' (quick smoke run: numbers not meaningful)' : ''}`,
    '',
    `Started ${run.startedAt} · Node ${run.node} · ${run.cpus} × ${run.cpu} · ` +
      `${run.pinned ? 'pinned with taskset' : 'not pinned (no taskset)'} · ${Math.round(run.seconds)} s in all.`,
    '',
  ];
  if (run.inProcess) parts.push(`${h}# In-process`, '', sectionsReport(run.inProcess, `${h}##`, 'the in-process part'));
  if (run.http) parts.push(`${h}# HTTP`, '', sectionsReport(run.http, `${h}##`, 'the HTTP part'));
  return parts.join('\n');
}
