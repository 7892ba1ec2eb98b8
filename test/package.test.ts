import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * The published shape: `npm run build` emits the five entries as ESM, CJS and declarations, and a
 * consumer can `require` and `import` each one by its package name.
 */
const root = fileURLToPath(new URL('..', import.meta.url));
const entries = ['index', 'express', 'koa', 'fetch', 'sandbox'];
const node = (args: string[]) => execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' }).trim();

describe('package build', () => {
  beforeAll(() => {
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'pipe' });
  }, 180_000);

  it('emits ESM, CJS and type declarations for every entry', () => {
    for (const name of entries) {
      for (const ext of ['js', 'cjs', 'd.ts', 'd.cts'])
        expect(existsSync(`${root}/dist/${name}.${ext}`), `${name}.${ext}`).toBe(true);
    }
  });

  it('loads every entry with require() and with import', () => {
    const cjs = node([
      '-e',
      "for (const m of ['paymount','paymount/express','paymount/koa','paymount/fetch','paymount/sandbox']) console.log(m, Object.keys(require(m)).sort().join(','))",
    ]);
    expect(cjs).toMatch(/^paymount .*\balipay,createPayments\b.*\bunionpay,wechatpay\b/m);
    expect(cjs).toMatch(/^paymount\/express expressPayments$/m);
    expect(cjs).toMatch(/^paymount\/koa koaPayments$/m);
    expect(cjs).toMatch(/^paymount\/fetch fetchPayments$/m);
    expect(cjs).toMatch(/^paymount\/sandbox startSandbox$/m);
    const esm = node([
      '--input-type=module',
      '-e',
      "const { createPayments } = await import('paymount'); const { startSandbox } = await import('paymount/sandbox'); console.log(typeof createPayments, typeof startSandbox)",
    ]);
    expect(esm).toBe('function function');
  });
});
