import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { alipay, createPayments } from '../src/index.js';

/**
 * `npx paymount sandbox`: the command runs the simulators alone, prints options a shop elsewhere
 * can use, and stops cleanly on SIGTERM. Run from source through tsx, as the built bin runs the
 * same module.
 */

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

it('prints the gateways and options, answers a shop using them, exits 0 on SIGTERM', { timeout: 180_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'paymount-cli-'));
  dirs.push(dir);
  const cli = new URL('../src/sandbox/cli.ts', import.meta.url).pathname;
  const child = spawn(process.execPath, ['--import', 'tsx', cli, 'sandbox', '--port', '0', '--state-dir', dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', () => stdout.includes('Ctrl-C stops the sandbox.') && resolve());
      void exited.then((code) => reject(new Error(`the command exited with ${code}:\n${stdout}\n${stderr}`)));
    });

    const gateway = /^Alipay +gateway (\S+) +appId (\d+)$/m.exec(stdout);
    expect(gateway, stdout).not.toBeNull();
    const optionsFile = /^PAYMOUNT_SANDBOX_OPTIONS=(.+)$/m.exec(stdout)?.[1];
    expect(optionsFile).toBe(join(dir, 'options', 'options.json'));
    const options = JSON.parse(await readFile(optionsFile!, 'utf8')) as { alipay: Parameters<typeof alipay>[0] };
    expect(options.alipay.gateway).toBe(gateway![1]);
    expect(await readFile(join(dir, 'options', 'alipay-app-private-key.pem'), 'utf8')).toBe(options.alipay.privateKey);

    // A shop elsewhere with the printed options: a signed query, answered and verified.
    const payments = createPayments({
      publicUrl: 'http://127.0.0.1:9/pay',
      providers: { alipay: alipay(options.alipay) },
      getOrder: () => undefined,
      onPaid: () => undefined,
      publicCheckout: true,
      logger: false,
    });
    await expect(payments.query('alipay', 'CLI00000001')).resolves.toMatchObject({ status: 'not_found' });
  } finally {
    child.kill('SIGTERM');
  }
  expect(await exited).toBe(0);
  expect(stdout).toMatch(/paymount sandbox stopped\n$/);
  expect(stderr).toBe('');
});

it('refuses an unknown flag with the usage, exit code 2', { timeout: 60_000 }, async () => {
  const cli = new URL('../src/sandbox/cli.ts', import.meta.url).pathname;
  const child = spawn(process.execPath, ['--import', 'tsx', cli, 'sandbox', '--colour'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  expect(code).toBe(2);
  expect(stderr).toMatch(/Unknown option '--colour'[\s\S]*Usage: paymount sandbox/);
});
