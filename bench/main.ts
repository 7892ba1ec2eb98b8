/**
 * `npm run bench`: what paymount costs next to bare node:crypto and the peer SDKs, measured the way
 * spec/performance.md §0 describes (one process, interleaved rounds, warm-up discarded, medians,
 * ratios from the same rounds), then the Express and Koa notify routes over loopback HTTP.
 *
 *   npm run bench                 full run (about 4–5 minutes on 2 cores)
 *   npm run bench -- --quick      a short smoke run (numbers not meaningful)
 *   npm run bench -- --no-http    in-process cases only
 *   npm run bench -- --no-inproc  HTTP cases only
 */
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { alipayNotifySection, alipaySignSections } from './cases/alipay.js';
import { unionpaySections } from './cases/unionpay.js';
import { wechatV2Section, wechatV3Section } from './cases/wechatpay.js';
import { runInterleaved } from './harness.js';
import { VARIANTS } from './http/protocol.js';
import { runHttp } from './http/run.js';
import { rsaPair } from './keys.js';
import { hasTaskset } from './pin.js';
import { httpReport, inProcessReport, verdictSummary, type Verdict } from './report.js';
import type { Section } from './section.js';

const args = new Set(process.argv.slice(2));
const quick = args.has('--quick');

/**
 * Re-runs this script pinned to CPU 0 with `--expose-gc` (GC between cases), once. Without
 * taskset it still re-runs for `--expose-gc`, unpinned.
 */
function reexec(): never {
  const script = fileURLToPath(import.meta.url);
  const node = [process.execPath, '--expose-gc', '--import', 'tsx', script, ...process.argv.slice(2)];
  const [command, ...rest] = hasTaskset() ? ['taskset', '-c', '0', ...node] : node;
  const result = spawnSync(command!, rest, {
    stdio: 'inherit',
    env: { ...process.env, PAYMOUNT_BENCH_CHILD: hasTaskset() ? 'pinned' : 'unpinned' },
  });
  process.exit(result.status ?? 1);
}

const settings = quick
  ? {
      warmupMs: 100,
      rounds: 2,
      roundMs: 150,
      http: { rounds: 1, warmupS: 0.5, measureS: 1, connections: 10, poolSize: 3000 },
    }
  : {
      warmupMs: 300,
      rounds: 5,
      roundMs: 400,
      http: { rounds: 3, warmupS: 1, measureS: 4, connections: 10, poolSize: 15000 },
    };

const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);

async function main(): Promise<void> {
  if (!process.env.PAYMOUNT_BENCH_CHILD) reexec();
  const started = Date.now();
  const pinned = process.env.PAYMOUNT_BENCH_CHILD === 'pinned';
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  log(
    `node ${process.version}, ${cpus().length} CPUs (${cpu}), ${pinned ? 'pinned to CPU 0' : 'not pinned (no taskset)'}, gc ${typeof (globalThis as { gc?: unknown }).gc === 'function' ? 'exposed' : 'not exposed'}`,
  );

  log('generating throwaway keys (RSA-2048 ×4, UnionPay PKI)');
  const [app, alipayKeys, merchant, platform] = await Promise.all([rsaPair(), rsaPair(), rsaPair(), rsaPair()]);
  const alipay = { app, alipay: alipayKeys };
  const verdicts: Verdict[] = [];
  const parts: string[] = [
    '# paymount bench results',
    '',
    `Run ${new Date().toISOString()} · Node ${process.version} · ${cpus().length} × ${cpu} · ${pinned ? 'in-process cases pinned to CPU 0 (taskset)' : 'not pinned'} · ${quick ? '**quick smoke run: numbers not meaningful**' : 'full run'}`,
    '',
    "Every ratio is the median of per-round ratios (both sides from the same round). Absolute numbers move with the machine's load; ratios are the figures to compare. Inputs are made with keys generated at bench start; every implementation was checked to accept its input before timing.",
    '',
  ];

  if (!args.has('--no-inproc')) {
    const up = await unionpaySections();
    const sections: Section[] = [
      await alipayNotifySection(alipay),
      ...(await alipaySignSections(alipay)),
      await wechatV3Section({ merchant, platform }),
      await wechatV2Section('MD5'),
      await wechatV2Section('HMAC-SHA256'),
      up.notify,
      up.sign,
    ];
    const cases = sections.flatMap((s) => s.cases);
    log(
      `in-process: ${cases.length} cases, warm-up ${settings.warmupMs} ms each, ${settings.rounds} interleaved rounds × ${settings.roundMs} ms`,
    );
    const results = await runInterleaved(cases, {
      warmupMs: settings.warmupMs,
      rounds: settings.rounds,
      roundMs: settings.roundMs,
      onProgress: log,
    });
    parts.push(
      '## In-process',
      '',
      `${cases.length} cases in one process${pinned ? ' pinned to CPU 0' : ''}, GC before each case, ${settings.warmupMs} ms warm-up per case (discarded), then ${settings.rounds} interleaved rounds of ${settings.roundMs} ms per case (performance.md used 7 × 700 ms; shorter here to keep the whole run under ~6 minutes). Async APIs are awaited in the loop.`,
      '',
      inProcessReport(sections, results, verdicts),
    );
  }

  if (!args.has('--no-http')) {
    const h = settings.http;
    log(
      `HTTP: ${VARIANTS.length} variants × ${h.rounds} rounds, ${h.warmupS} s warm-up + ${h.measureS} s measured, ${h.connections} connections`,
    );
    const run = await runHttp(alipay, { variants: VARIANTS, ...h, log });
    parts.push(
      '## HTTP (loopback, autocannon)',
      '',
      `Server process${pinned ? ' pinned to CPU 0' : ''}, autocannon in the bench process${pinned ? ' pinned to CPU 1' : ''}. ${h.connections} connections, ${h.rounds} rounds interleaved across variants, each a ${h.warmupS} s warm-up (discarded) and ${h.measureS} s measured. The body is a ${'signed 26-field Alipay notify'} (form, ~1.5 KB). paymount routes run a real \`createPayments\` with an in-memory order book and an idempotent no-op \`onPaid\`; the store is emptied before each measured window. "Same notify": every request is the same valid notify, so all but the first are dedupe hits. "Distinct notifies": ${run.poolSize} notifies for ${run.poolSize} orders pre-signed at start (${run.poolSignSeconds.toFixed(1)} s on the thread pool), sent in turn; the share of requests that were new payments is shown (below 100 % when a window outran the pool and it wrapped). Server CPU is \`process.cpuUsage\` of the server over the measured window.`,
      '',
      httpReport(run, verdicts),
      '',
    );
  }

  parts.push(
    '## Targets (DESIGN.md §10)',
    '',
    verdictSummary(verdicts),
    '',
    `Total bench time: ${((Date.now() - started) / 1000).toFixed(0)} s.`,
    '',
  );
  const markdown = parts.join('\n');
  process.stdout.write(`${markdown}\n`);
  const file = fileURLToPath(new URL('./results.md', import.meta.url));
  // Only a full run replaces the recorded results: a partial one would drop half the table.
  const full = !quick && !args.has('--no-http') && !args.has('--no-inproc');
  if (full) writeFileSync(file, markdown);
  log(full ? `written to ${file}` : 'partial or quick run: bench/results.md left unchanged');
}

main().catch((error: unknown) => {
  process.stderr.write(`[bench] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
