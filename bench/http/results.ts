import type { HttpResult, RatioResult, VariantResult } from '../result.js';
import { estimate, median, perRound, spread } from '../stats.js';
import { HTTP_RATIOS, VARIANT_LABELS } from './protocol.js';
import type { HttpOptions, HttpWindows } from './run.js';

const finite = (values: number[]) => values.filter(Number.isFinite);

/**
 * The HTTP windows as results. A capacity ratio compares the server CPU per counted request of two
 * variants in the same window (the baseline's over the subject's: above 1, the subject costs less);
 * the same over all requests is printed beside it for reference, as it moves with the machine's load.
 */
export function httpResult(
  run: HttpWindows,
  options: Pick<HttpOptions, 'rounds' | 'warmupS' | 'measureS' | 'phaseMs' | 'connections'>,
  seconds: number,
): HttpResult {
  const variants: VariantResult[] = [...run.windows].map(([id, w]) => ({
    id,
    label: VARIANT_LABELS[id],
    cpuUs: spread(finite(w.cpuUsPerRequest)),
    allCpuUs: spread(finite(w.allCpuUsPerRequest)),
    counted: spread(w.counted),
    requests: median(w.requests),
    freshShare: w.freshShare && spread(w.freshShare),
  }));
  const ratios: RatioResult[] = [];
  for (const [subject, baseline, target] of HTTP_RATIOS) {
    const a = run.windows.get(subject);
    const b = run.windows.get(baseline);
    if (!a || !b) continue;
    const key = `${subject} / ${baseline}`;
    ratios.push({
      key,
      label: key,
      estimate: estimate(finite(perRound(b.cpuUsPerRequest, a.cpuUsPerRequest))),
      target,
      allTurns: median(finite(perRound(b.allCpuUsPerRequest, a.allCpuUsPerRequest))),
    });
  }
  return {
    settings: {
      rounds: options.rounds,
      warmupS: options.warmupS,
      measureS: options.measureS,
      phaseMs: options.phaseMs,
      connections: options.connections,
    },
    variants,
    ratios,
    cpuShare: spread(run.cpuShare),
    failures: run.failures,
    checks: run.checks,
    poolSize: run.poolSize,
    poolSignSeconds: run.poolSignSeconds,
    load: run.load,
    seconds,
  };
}
