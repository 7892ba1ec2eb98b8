import { ratioOf, summarise, type RoundResults } from './harness.js';
import type { HttpRun } from './http/run.js';
import type { Variant } from './http/protocol.js';
import type { Section } from './section.js';

/** The Markdown report: one table per workload, the ratios, and the targets met or missed. */

const n = (value: number): string => Math.round(value).toLocaleString('en-US');
const x = (value: number): string => `${value.toFixed(2)}×`;

export interface Verdict {
  what: string;
  ratio: number;
  target: number;
}

const verdictText = (v: Verdict) =>
  `${x(v.ratio)} (target ≥ ${v.target}: ${v.ratio >= v.target ? 'met' : '**not met**'})`;

export function inProcessReport(sections: readonly Section[], results: RoundResults, verdicts: Verdict[]): string {
  const out: string[] = [];
  for (const section of sections) {
    const labels = new Map(section.cases.map((c) => [c.id, c.label]));
    const baselineOf = new Map<string, { baseline: string; target?: number }>();
    for (const c of section.comparisons) if (!baselineOf.has(c.subject)) baselineOf.set(c.subject, c);
    const baselines = new Set(section.comparisons.map((c) => c.baseline));
    out.push(
      `### ${section.title}`,
      '',
      '| case | ops/s (median) | min–max | ratio to bare (median of per-round ratios) |',
      '|---|---:|---:|---:|',
    );
    for (const c of section.cases) {
      const s = summarise(results.get(c.id)!);
      const cmp = baselineOf.get(c.id);
      const ratio = cmp ? x(ratioOf(results, c.id, cmp.baseline)) : baselines.has(c.id) ? '1 (baseline)' : '';
      out.push(`| ${c.label} | ${n(s.median)} | ${n(s.min)}–${n(s.max)} | ${ratio} |`);
    }
    out.push('');
    for (const c of section.comparisons) {
      const value = ratioOf(results, c.subject, c.baseline);
      const line = `${labels.get(c.subject)} / ${labels.get(c.baseline)}`;
      if (c.target !== undefined) {
        const v = { what: `${section.title}: ${line}`, ratio: value, target: c.target };
        verdicts.push(v);
        out.push(`- ${line}: ${verdictText(v)}`);
      } else if (c !== section.comparisons.find((k) => k.subject === c.subject)) {
        out.push(`- ${line}: ${x(value)}`);
      }
    }
    if (section.note) out.push(`- ${section.note}`);
    out.push(`- Checked before timing: ${section.checks.join('; ')}.`, '');
  }
  return out.join('\n');
}

const HTTP_LABELS: Record<Variant, string> = {
  'express-plain': 'Express 5: urlencoded + route answering `success` (no verify)',
  'express-verify': 'Express 5: urlencoded + bare route, 1 verify',
  'express-paymount': 'Express 5: paymount notify route, same notify (dedupe hit)',
  'express-paymount-distinct': 'Express 5: paymount notify route, distinct notifies',
  'express-alipay-sdk': 'Express 5: urlencoded + alipay-sdk `checkNotifySignV2`',
  'koa-plain': 'Koa 3: @koa/bodyparser + @koa/router, no verify',
  'koa-verify': 'Koa 3: bodyparser + router, bare route, 1 verify',
  'koa-paymount': 'Koa 3: paymount notify route, same notify (dedupe hit)',
  'koa-paymount-distinct': 'Koa 3: paymount notify route, distinct notifies',
};

/** Ratios of the HTTP table: [subject, baseline, target?]. */
const HTTP_RATIOS: [Variant, Variant, number?][] = [
  ['express-paymount', 'express-verify', 0.9],
  ['express-paymount-distinct', 'express-verify', 0.9],
  ['koa-paymount', 'koa-verify', 0.9],
  ['koa-paymount-distinct', 'koa-verify', 0.9],
  ['express-alipay-sdk', 'express-verify'],
  ['express-verify', 'express-plain'],
  ['koa-verify', 'koa-plain'],
  ['express-paymount', 'express-plain'],
  ['koa-paymount', 'koa-plain'],
];

function perRoundRatio(a: number[], b: number[]): number {
  return summarise(a.map((value, i) => value / b[i]!)).median;
}

export function httpReport(run: HttpRun, verdicts: Verdict[]): string {
  const out: string[] = [
    '| variant | req/s (median) | min–max | server CPU µs/req | p50 / p99 ms | failed responses |',
    '|---|---:|---:|---:|---:|---:|',
  ];
  for (const [variant, r] of run.results) {
    const s = summarise(r.rps);
    const fresh = r.freshShare
      ? ` (new payments: ${Math.round(summarise(r.freshShare).min * 100)}–${Math.round(summarise(r.freshShare).max * 100)} %)`
      : '';
    out.push(
      `| ${HTTP_LABELS[variant]}${fresh} | ${n(s.median)} | ${n(s.min)}–${n(s.max)} | ${n(summarise(r.cpuUsPerRequest).median)} | ${summarise(r.p50).median} / ${summarise(r.p99).median} | ${r.failures} |`,
    );
  }
  out.push(
    '',
    '| ratio (median of per-round ratios) | req/s | server capacity (baseline CPU µs/req ÷ variant CPU µs/req) |',
    '|---|---:|---:|',
  );
  for (const [subject, baseline, target] of HTTP_RATIOS) {
    const a = run.results.get(subject);
    const b = run.results.get(baseline);
    if (!a || !b) continue;
    const value = perRoundRatio(a.rps, b.rps);
    // When the shared machine starves the load generator, req/s stops tracking server cost; CPU per request still does.
    const capacity = perRoundRatio(b.cpuUsPerRequest, a.cpuUsPerRequest);
    const what = `${subject} / ${baseline}`;
    if (target !== undefined) {
      const v = { what: `HTTP: ${what}`, ratio: value, target };
      verdicts.push(v);
      out.push(`| ${what} | ${verdictText(v)} | ${x(capacity)} |`);
    } else {
      out.push(`| ${what} | ${x(value)} | ${x(capacity)} |`);
    }
  }
  out.push('', `- Checked before timing: ${run.checks.join('; ')}.`);
  return out.join('\n');
}

export function verdictSummary(verdicts: readonly Verdict[]): string {
  const lines = ['| target | ratio | met? |', '|---|---:|---|'];
  for (const v of verdicts) lines.push(`| ${v.what} | ${x(v.ratio)} | ${v.ratio >= v.target ? 'yes' : '**no**'} |`);
  return lines.join('\n');
}
