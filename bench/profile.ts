/**
 * Runs bench cases one at a time in a loop under V8's CPU profiler (the one `node --cpu-prof`
 * uses), started after setup and a warm-up so key generation and compilation do not cloud it:
 *
 *   taskset -c 0 node --import tsx bench/profile.ts wx2md5.paymount,wx2md5.bare [seconds]
 *
 * Cases are chosen by id prefix (comma-separated); `http.…` ids (`http.koa-paymount`) start the
 * HTTP servers. For each it prints the process CPU µs per
 * operation measured without the profiler, then the functions with the most self time, as a share
 * and as µs per operation (share × that CPU cost), and writes `bench/profiles/<case>.cpuprofile`
 * (open it in Chrome DevTools → Performance).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { fileURLToPath } from 'node:url';
import { cpuMicros, type BenchCase } from './harness.js';
import { rsaPair } from './keys.js';
import { topSelfTime, type CpuProfile } from './profile-summary.js';
import { httpSection } from './http/section.js';
import type { Section } from './section.js';
import { allSections } from './sections.js';

/** Distinct notifies per HTTP variant; the pools are refilled (a new empty store) before they run out. */
const POOL = 3000;

/**
 * Runs `c` for `ms` of process CPU time; returns the operations done and the CPU µs they took. `reset`
 * starts the HTTP variants' pools and stores afresh: without it, a "distinct notifies" case would
 * profile dedupe hits once its pool has been sent once.
 */
async function loop(c: BenchCase, ms: number, reset?: () => void): Promise<{ ops: number; cpuUs: number }> {
  const start = cpuMicros();
  let ops = 0;
  while (cpuMicros() - start < ms * 1000) {
    if (reset && ops % (POOL - 50) < 50) reset();
    for (let i = 0; i < 50; i++) {
      const value = c.run();
      if (value instanceof Promise) await value;
    }
    ops += 50;
  }
  return { ops, cpuUs: cpuMicros() - start };
}

async function main(): Promise<void> {
  const [wanted = '', secondsArg = '3'] = process.argv.slice(2);
  const ms = Number(secondsArg) * 1000;
  const prefixes = wanted.split(',');
  const [app, alipay, merchant, platform] = await Promise.all([rsaPair(), rsaPair(), rsaPair(), rsaPair()]);
  const sections: Section[] = await allSections({ app, alipay, merchant, platform });
  // The HTTP variants (`http.koa-paymount`…) only when asked for: they start servers.
  const http = prefixes.some((p) => p.startsWith('http')) ? await httpSection({ app, alipay }, POOL) : undefined;
  if (http) sections.push(http);
  const cases = sections.flatMap((s) => s.cases).filter((c) => prefixes.some((p) => c.id.startsWith(p)));
  if (cases.length === 0) throw new Error(`no case id starts with "${wanted}"`);
  const dir = fileURLToPath(new URL('./profiles/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  const reset = http?.beforeRound;
  for (const c of cases) {
    await loop(c, 1000, reset);
    const plain = await loop(c, ms / 2, reset);
    const usPerOp = plain.cpuUs / plain.ops;
    await session.post('Profiler.start');
    await loop(c, ms, reset);
    const { profile } = (await session.post('Profiler.stop')) as { profile: CpuProfile };
    const file = `${dir}${c.id}.cpuprofile`;
    writeFileSync(file, JSON.stringify(profile));
    process.stdout.write(
      `${c.id}: ${usPerOp.toFixed(1)} CPU µs/op without the profiler; ${file}\n` +
        `${topSelfTime(profile, 20, usPerOp)}\n\n`,
    );
  }
  session.disconnect();
  http?.close();
}

void main();
