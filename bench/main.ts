/**
 * `npm run bench`: what paymount costs next to bare node:crypto and the peer SDKs, in process CPU
 * time per operation, then the Express and Koa notify routes in server CPU time per request.
 *
 *   npm run bench                   one full run
 *   npm run bench -- --runs 3       three full runs, one after another, side by side
 *   npm run bench -- --quick        a short smoke run (numbers not meaningful)
 *   npm run bench -- --no-http      in-process cases only
 *   npm run bench -- --no-inproc    HTTP cases only
 *   npm run bench -- --only wx3,wx2 in-process sections holding a case whose id starts so (no HTTP)
 *
 * Each run is its own process (fresh keys, fresh JIT), pinned to CPU 0 with `--expose-gc`.
 * A full invocation with every part writes bench/results.md.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hasTaskset } from './pin.js';
import { runReport } from './report.js';
import type { RunResult } from './result.js';
import { runOnce } from './run.js';
import { AGREEMENT, summary } from './summary.js';

const argv = process.argv.slice(2);
const args = new Set(argv);
const quick = args.has('--quick');
const runsArg = argv.indexOf('--runs');
const runs = runsArg >= 0 ? Number(argv[runsArg + 1]) : 1;
if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs takes a positive whole number');
const onlyArg = argv.indexOf('--only');
const only = onlyArg >= 0 ? (argv[onlyArg + 1] ?? '').split(',').filter(Boolean) : [];
if (onlyArg >= 0 && only.length === 0)
  throw new Error('--only takes case id prefixes, comma-separated: --only wx3,wx2');
const settings = {
  quick,
  inProcess: !args.has('--no-inproc'),
  http: !args.has('--no-http') && only.length === 0,
  only,
};

const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);

/** Runs one bench run in a child process pinned to CPU 0 with `--expose-gc`; returns what it measured. */
function child(index: number, dir: string): RunResult {
  const out = join(dir, `run-${index}.json`);
  const node = [process.execPath, '--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url), ...argv];
  const [command, ...rest] = hasTaskset() ? ['taskset', '-c', '0', ...node] : node;
  const result = spawnSync(command!, rest, {
    stdio: 'inherit',
    env: { ...process.env, PAYMOUNT_BENCH_CHILD: hasTaskset() ? 'pinned' : 'unpinned', PAYMOUNT_BENCH_OUT: out },
  });
  if (result.status !== 0) throw new Error(`bench run ${index} failed (exit ${result.status ?? result.signal})`);
  return JSON.parse(readFileSync(out, 'utf8')) as RunResult;
}

/** The commit measured, and whether tracked files differed from it when the runs started. */
function commitOf(): string {
  const git = (...a: string[]) => {
    const out = spawnSync('git', a, { encoding: 'utf8' });
    return out.status === 0 ? out.stdout.trim() : '';
  };
  const hash = git('rev-parse', '--short', 'HEAD');
  if (!hash) return 'commit unknown';
  return `commit ${hash}${git('status', '--porcelain', '--untracked-files=no') ? ' with uncommitted changes' : ''}`;
}

function resultsMarkdown(results: readonly RunResult[], seconds: number, commit: string): string {
  const s = summary(results);
  const first = results[0]!;
  const parts = [
    '# paymount bench results',
    '',
    `${results.length} ${quick ? 'quick smoke' : 'full'} run${results.length > 1 ? 's' : ''}, one after another, ` +
      `from ${first.startedAt} · ${commit} · Node ${first.node} · ${first.cpus} × ${first.cpu} · ` +
      `${Math.round(seconds)} s in all (${results.map((r) => `${Math.round(r.seconds)} s`).join(', ')}).`,
    '',
    'Costs are process CPU time (every thread: main, libuv pool, GC helpers), so time other processes take on ' +
      'the machine is not counted. A ratio is the throughput of the subject over that of its baseline (the ' +
      "baseline's CPU per operation over the subject's), computed round by round, both sides interleaved within " +
      'the round; the figure is the median over the rounds and the interval a 95 % bootstrap interval of that ' +
      'median. An HTTP case is one request sent and its answer read, measured the same way. See README.md.',
    '',
    '## The runs side by side',
    '',
    s.markdown,
    '',
    `- ${s.agreeing} of ${s.total} ratios have every run within ±${AGREEMENT} of the runs' median.`,
    `- ${s.targetsMet} of ${s.targets} targets are met in every run.`,
    '',
  ];
  results.forEach((run, i) => parts.push(runReport(run, results.length > 1 ? `Run ${i + 1}` : 'The run')));
  return parts.join('\n');
}

async function main(): Promise<void> {
  if (process.env.PAYMOUNT_BENCH_CHILD) {
    const result = await runOnce(settings, log);
    writeFileSync(process.env.PAYMOUNT_BENCH_OUT!, JSON.stringify(result));
    process.stdout.write(`${runReport(result, 'This run')}\n`);
    return;
  }
  const started = Date.now();
  const commit = commitOf();
  const dir = mkdtempSync(join(tmpdir(), 'paymount-bench-'));
  try {
    const results: RunResult[] = [];
    for (let i = 1; i <= runs; i++) {
      log(`run ${i} of ${runs}`);
      results.push(child(i, dir));
    }
    const markdown = resultsMarkdown(results, (Date.now() - started) / 1000, commit);
    // Only a full run of both parts replaces the recorded results: a partial one would drop half the table.
    const full = !quick && settings.inProcess && settings.http && only.length === 0;
    const file = fileURLToPath(new URL('./results.md', import.meta.url));
    if (full) writeFileSync(file, markdown);
    process.stdout.write(`\n${summary(results).markdown}\n`);
    log(full ? `written to ${file}` : 'partial or quick run: bench/results.md left unchanged');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`[bench] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
