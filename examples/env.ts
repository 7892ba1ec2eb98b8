import { readFileSync } from 'node:fs';
import type { ExampleOptions, ExampleSandbox } from './common.js';

/**
 * What an example's `main.ts` starts with: `PORT`, and for several instances behind a load
 * balancer, the variables they must share (every one optional; without them the example runs
 * alone, with its own sandbox and memory):
 *
 * - `REDIS_URL`: paymount's store and the order book in this Redis (`redis://127.0.0.1:6379`);
 * - `PUBLIC_URL`: the origin buyers and the providers reach (the load balancer), e.g. `http://127.0.0.1:8080`;
 * - `LINK_SECRET`: signs checkout links, so a link made by one instance opens on another;
 * - `PAYMOUNT_SANDBOX_OPTIONS`: the options file `npx paymount sandbox` writes and prints, so every
 *   instance pays against that one sandbox instead of starting its own (docs/sandbox.md).
 *
 * Each payment prints one line: `paid: order <id> by <provider> (transaction <id>)`.
 */
export function mainOptions(env: NodeJS.ProcessEnv = process.env): ExampleOptions {
  // An empty variable counts as unset, as in a shell's `REDIS_URL= npx tsx …`.
  const get = (name: string) => (env[name] === '' ? undefined : env[name]);
  const file = get('PAYMOUNT_SANDBOX_OPTIONS');
  return {
    port: Number(get('PORT') ?? 3000),
    redisUrl: get('REDIS_URL'),
    publicUrl: get('PUBLIC_URL')?.replace(/\/+$/, ''),
    linkSecret: get('LINK_SECRET'),
    sandbox: file ? sandboxFromFile(file) : undefined,
    onPaid: (p) => console.log(`paid: order ${p.orderId} by ${p.provider} (transaction ${p.transactionId})`),
  };
}

/**
 * The provider options of a sandbox running elsewhere, from the JSON file `npx paymount sandbox`
 * writes (`.pfx` files as base64, which UnionPay's `signCert.pfx` takes as is).
 */
export function sandboxFromFile(file: string): ExampleSandbox {
  const options = JSON.parse(readFileSync(file, 'utf8')) as Omit<ExampleSandbox, 'url'>;
  const gateway = options.alipay.gateway;
  if (!gateway) throw new Error(`${file}: no Alipay gateway; is it the options.json of \`paymount sandbox\`?`);
  return { ...options, url: new URL(gateway).origin };
}
