/**
 * Cold start of the sandbox: each sample is a new Node process (no key made by an earlier start in
 * the same process) timing one `startSandbox()` until it resolves, then closing it. Prints every
 * sample and the median. Not a test: nothing here asserts on time.
 *
 *   npx tsx bench/sandbox-startup.ts [samples=10] [module=../src/sandbox/index.ts] [--no-key-cache]
 *
 * With the key cache (the default, see docs/sandbox.md) every sample but a first on an empty cache
 * reads its RSA keys; `--no-key-cache` makes each process generate them. CPU time is printed beside
 * wall time: on a machine shared with other work it varies far less.
 * `module` lets the same script time another checkout's sandbox (a path relative to this file, or
 * absolute), for before/after figures.
 */
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { isAbsolute, resolve } from 'node:path';

const CHILD = '--child';

async function child(modulePath: string, keyCache: boolean): Promise<void> {
  const { startSandbox } = (await import(modulePath)) as typeof import('../src/sandbox/index.js');
  const cpu = process.cpuUsage();
  const started = performance.now();
  const sandbox = await startSandbox(keyCache ? {} : { keyCache: false });
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  await sandbox.close();
  process.stdout.write(`${ms.toFixed(0)} ${((used.user + used.system) / 1000).toFixed(0)}\n`);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  return sorted.length % 2 ? sorted[Math.floor(mid)]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function main(): void {
  const args = process.argv.slice(2).filter((arg) => arg !== '--no-key-cache');
  const keyCache = args.length === process.argv.length - 2;
  const samples = Number(args[0] ?? 10);
  const given = args[1] ?? '../src/sandbox/index.ts';
  const modulePath = pathToFileURL(isAbsolute(given) ? given : resolve(import.meta.dirname, given)).href;
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < samples; i++) {
    const run = spawnSync(
      process.execPath,
      [...process.execArgv, import.meta.filename, CHILD, modulePath, String(keyCache)],
      { encoding: 'utf8' },
    );
    if (run.status !== 0) throw new Error(`sample ${i + 1} failed:\n${run.stderr}`);
    const [ms, cpuMs] = (run.stdout.trim().split('\n').at(-1) ?? '').split(' ').map(Number) as [number, number];
    wall.push(ms);
    cpu.push(cpuMs);
    console.log(`sample ${i + 1}: ${ms} ms (CPU ${cpuMs} ms)`);
  }
  const range = `wall min ${Math.min(...wall)} ms, max ${Math.max(...wall)} ms`;
  console.log(
    `startSandbox() cold start, ${samples} processes, key cache ${keyCache ? 'on' : 'off'}: ` +
      `median ${median(wall)} ms wall, ${median(cpu)} ms CPU (${range})`,
  );
}

if (process.argv[2] === CHILD) await child(process.argv[3] ?? '', process.argv[4] === 'true');
else main();
