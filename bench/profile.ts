/**
 * Runs the bench cases whose id starts with a prefix in a loop, under V8's CPU profiler (the one
 * `node --cpu-prof` uses), started after setup so key generation does not cloud the profile:
 *
 *   taskset -c 0 node --import tsx bench/profile.ts wx2md5.paymount [seconds]
 *
 * It writes `bench/profiles/<case>.cpuprofile` (open it in Chrome DevTools) and prints the
 * functions with the most self time.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { fileURLToPath } from 'node:url';
import { topSelfTime, type CpuProfile } from './profile-summary.js';
import { alipayNotifySection, alipaySignSections } from './cases/alipay.js';
import { unionpaySections } from './cases/unionpay.js';
import { wechatV2Section, wechatV3Section } from './cases/wechatpay.js';
import { rsaPair } from './keys.js';
import type { Section } from './section.js';

async function main(): Promise<void> {
  const [wanted = '', secondsArg = '3'] = process.argv.slice(2);
  const seconds = Number(secondsArg);
  const [app, alipayKeys, merchant, platform] = await Promise.all([rsaPair(), rsaPair(), rsaPair(), rsaPair()]);
  const up = await unionpaySections();
  const sections: Section[] = [
    await alipayNotifySection({ app, alipay: alipayKeys }),
    ...(await alipaySignSections({ app, alipay: alipayKeys })),
    await wechatV3Section({ merchant, platform }),
    await wechatV2Section('MD5'),
    await wechatV2Section('HMAC-SHA256'),
    up.notify,
    up.sign,
  ];
  const cases = sections.flatMap((s) => s.cases).filter((c) => c.id.startsWith(wanted));
  if (cases.length === 0) throw new Error(`no case id starts with "${wanted}"`);
  const dir = fileURLToPath(new URL('./profiles/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  for (const c of cases) {
    await session.post('Profiler.start');
    let ops = 0;
    const end = Date.now() + seconds * 1000;
    while (Date.now() < end) {
      for (let i = 0; i < 100; i++) {
        const value = c.run();
        if (value instanceof Promise) await value;
      }
      ops += 100;
    }
    const { profile } = (await session.post('Profiler.stop')) as { profile: CpuProfile };
    const file = `${dir}${c.id}.cpuprofile`;
    writeFileSync(file, JSON.stringify(profile));
    process.stdout.write(
      `${c.id}: ${Math.round(ops / seconds)} ops/s (profiled), ${file}\n${topSelfTime(profile, 20)}\n`,
    );
  }
  session.disconnect();
}

void main();
