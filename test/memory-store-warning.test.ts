import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alipay, createPayments, unionpay, wechatpay, type PaymentsOptions } from '../src/index.js';
import { redisStore } from '../src/store/redis.js';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import { alipayOptions } from './helpers/provider-messages.js';
import { nodeRedis } from './helpers/redis-clients.js';
import { describeWithRedis, RedisServer } from './helpers/redis-server.js';

/**
 * The default memory store forgets everything on a restart and shares nothing with a second
 * instance (docs/state.md). Deployed like that, paymount says so once at startup, naming what is
 * lost and the fix; developing against the sandbox on this machine, it says nothing.
 */

interface Line {
  level: 'info' | 'warn' | 'error';
  message: string;
}

/** A console-style logger that keeps every line. */
function capturing() {
  const lines: Line[] = [];
  const logger = {
    info: (message: string) => void lines.push({ level: 'info', message }),
    warn: (message: string) => void lines.push({ level: 'warn', message }),
    error: (message: string) => void lines.push({ level: 'error', message }),
  };
  return { lines, logger };
}

function start(options: Pick<PaymentsOptions, 'publicUrl' | 'providers' | 'store'>): Line[] {
  const { lines, logger } = capturing();
  createPayments({ ...options, getOrder: () => null, onPaid: () => {}, publicCheckout: true, logger });
  return lines;
}

/** The one warning a deployment on the memory store gets. */
function expectOneWarning(lines: Line[]) {
  expect(lines.filter((l) => l.level !== 'info')).toHaveLength(1);
  const [line] = lines;
  expect(line!.level).toBe('warn');
  for (const lost of ['restart', 'second instance', 'fulfilment dedupe', 'refund records', 'trade-number attempts'])
    expect(line!.message).toContain(lost);
  expect(line!.message).toContain("redisStore({ client }) from 'paymount/redis'");
  expect(line!.message).toContain('docs/state.md');
}

const liveAlipay = () => {
  const { gateway: _, ...options } = alipayOptions();
  return alipay(options);
};

describe('the memory store at startup', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox();
  }, 180_000);
  afterAll(async () => {
    await sandbox.close();
  });

  it('says nothing with the sandbox on loopback, or on the local network (a phone)', () => {
    const providers = {
      alipay: alipay(sandbox.alipay),
      wechatpay: wechatpay(sandbox.wechatpay),
      unionpay: unionpay(sandbox.unionpay),
    };
    expect(start({ publicUrl: 'http://127.0.0.1:3000/pay', providers })).toEqual([]);
    expect(start({ publicUrl: 'http://localhost:3000/pay', providers })).toEqual([]);
    expect(start({ publicUrl: 'http://192.168.1.20:3000/pay', providers })).toEqual([]);
  });

  it('warns once with a production gateway', () => {
    const lines = start({ publicUrl: 'https://shop.example.com/pay', providers: { alipay: liveAlipay() } });
    expectOneWarning(lines);
    expect(lines[0]!.message).toContain('alipay uses a production gateway');
  });

  it('warns once with a public publicUrl, even against the sandbox', () => {
    const lines = start({ publicUrl: 'https://shop.example.com/pay', providers: { alipay: alipay(sandbox.alipay) } });
    expectOneWarning(lines);
    expect(lines[0]!.message).toContain('https://shop.example.com is a public address');
  });
});

describeWithRedis('the Redis store at startup', () => {
  let server: RedisServer;
  let redis: Awaited<ReturnType<typeof nodeRedis.open>>;
  beforeAll(async () => {
    server = await RedisServer.start();
    redis = await nodeRedis.open(server.url);
  });
  afterAll(async () => {
    await redis.close();
    await server.stop();
  });

  it('is the fix: no warning with a production gateway', () => {
    const store = redisStore({ client: redis.client });
    expect(start({ publicUrl: 'https://shop.example.com/pay', providers: { alipay: liveAlipay() }, store })).toEqual(
      [],
    );
  });
});
