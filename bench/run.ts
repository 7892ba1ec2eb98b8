import { cpus } from 'node:os';
import { httpSection } from './http/section.js';
import { runInProcess } from './in-process.js';
import { rsaPair } from './keys.js';
import type { RunResult } from './result.js';
import { allSections } from './sections.js';

/** One bench run, in one process: keys, the in-process sections, then the HTTP variants. */

export interface RunSettings {
  quick: boolean;
  inProcess: boolean;
  http: boolean;
  /** In-process sections to run, by case id prefix (`wx3`, `wx2md5`…); all when empty. */
  only: readonly string[];
}

/**
 * Full-run settings. In-process: up to 60 rounds of 100 ms of counted CPU per case (peers far below
 * the baseline get a quarter of that) within 270 s; HTTP: up to 90 rounds within 150 s. On a quiet
 * machine the rounds run out first; on a loaded one the budgets do, and the floor of 10 rounds keeps
 * the intervals meaningful. A full run takes 7–11 minutes on 2 cores shared with other work (see
 * results.md for the load each run saw).
 */
const FULL = {
  inProcess: { warmupMs: 150, minRounds: 10, maxRounds: 60, sliceMs: 100, budgetS: 270 },
  http: { warmupMs: 300, minRounds: 10, maxRounds: 90, sliceMs: 100, budgetS: 150, poolSize: 3000 },
};
/** Smoke run: every check and every case, numbers not meaningful. */
const QUICK = {
  inProcess: { warmupMs: 50, minRounds: 3, maxRounds: 3, sliceMs: 20, budgetS: 0 },
  http: { warmupMs: 50, minRounds: 3, maxRounds: 3, sliceMs: 20, budgetS: 0, poolSize: 500 },
};

export async function runOnce(settings: RunSettings, log: (message: string) => void): Promise<RunResult> {
  const started = Date.now();
  const startedAt = new Date().toISOString();
  const plan = settings.quick ? QUICK : FULL;
  log('generating throwaway keys (RSA-2048 ×4, UnionPay PKI)');
  const [app, alipay, merchant, platform] = await Promise.all([rsaPair(), rsaPair(), rsaPair(), rsaPair()]);
  const result: RunResult = {
    startedAt,
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown CPU',
    cpus: cpus().length,
    pinned: process.env.PAYMOUNT_BENCH_CHILD === 'pinned',
    quick: settings.quick,
    seconds: 0,
  };

  if (settings.inProcess) {
    const sections = (await allSections({ app, alipay, merchant, platform })).filter(
      (section) =>
        settings.only.length === 0 || section.cases.some((c) => settings.only.some((p) => c.id.startsWith(p))),
    );
    const p = plan.inProcess;
    log(
      `in-process: ${sections.length} sections, ${p.minRounds}–${p.maxRounds} rounds × ` +
        `${p.sliceMs} ms CPU per case, ${p.budgetS} s budget`,
    );
    result.inProcess = await runInProcess(sections, p, log);
  }

  if (settings.http) {
    const { poolSize, ...h } = plan.http;
    log(
      `HTTP: signing ${poolSize} distinct notifies for each distinct variant, ` +
        `then ${h.minRounds}–${h.maxRounds} rounds`,
    );
    const section = await httpSection({ app, alipay }, poolSize);
    try {
      result.http = await runInProcess([section], h, log);
    } finally {
      section.close();
    }
  }

  result.seconds = (Date.now() - started) / 1000;
  return result;
}
