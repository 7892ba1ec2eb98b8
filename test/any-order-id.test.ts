import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alipay, createPayments, unionpay, wechatpay, type Payments } from '../src/index.js';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import { openCashier, postJson, pressAndComeBack, sdkPay, jsonOf, until } from './conformance/flows.js';
import { createShop, startApp, type RunningApp, type TestShop } from './helpers/shop.js';

/**
 * Order ids as shops have them — UUIDs, ULIDs, ids with `-` and `_`, over-long ids — through every
 * provider and channel. An id a provider cannot carry (UnionPay: 8–40 letters and digits; WeChat
 * Pay: 6–32 of `[A-Za-z0-9_-|*]`) is paid under a derived trade number, and every notify, return,
 * query, refund and sweep reports the shop's own id.
 */

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** A ULID: 48 bits of time and 80 random bits in Crockford base32, 26 characters. */
function ulid(): string {
  let n = (BigInt(Date.now()) << 80n) | BigInt(`0x${randomBytes(10).toString('hex')}`);
  let out = '';
  for (let i = 0; i < 26; i++, n >>= 5n) out = CROCKFORD[Number(n & 31n)] + out;
  return out;
}

const kinds = {
  uuid: () => randomUUID(),
  ulid,
  'dashes and underscores': () => `order_${Date.now()}-${randomBytes(2).toString('hex')}`,
  'over-long': () => `shop-a/orders/${randomUUID()}/${randomUUID()}`.slice(0, 100),
} as const;

/** The providers' trade-number rules (docs/go-live.md#order-ids-and-trade-numbers). */
const RULES = {
  alipay: /^[A-Za-z0-9_-]{1,64}$/,
  wechatpay: /^[A-Za-z0-9_\-|*]{6,32}$/,
  unionpay: /^[A-Za-z0-9]{8,40}$/,
};

let sandbox: Sandbox;
let app: RunningApp;
let shop: TestShop;
let payments: Payments;

beforeAll(async () => {
  sandbox = await startSandbox({ timeScale: 0.0005 });
  app = await startApp('express');
  shop = createShop();
  payments = createPayments({
    publicUrl: app.publicUrl,
    providers: {
      alipay: alipay(sandbox.alipay),
      wechatpay: wechatpay(sandbox.wechatpay),
      unionpay: unionpay(sandbox.unionpay),
    },
    ...shop.hooks,
    logger: false,
  });
  app.use(payments);
});
afterAll(async () => {
  await app?.close();
  await sandbox?.close();
});

type Provider = 'alipay' | 'wechatpay' | 'unionpay';

/** Checks an order out over HTTP and pays it at the sandbox (cashier or app SDK). */
async function pay(provider: Provider, channel: 'wap' | 'app', orderId: string): Promise<void> {
  const res = await postJson(`${app.publicUrl}/checkout`, { orderId, provider, channel });
  const result = await jsonOf(res);
  expect(res.status, JSON.stringify(result)).toBe(200);
  if (channel === 'app') return sdkPay(sandbox, provider, result.params);
  const link = `${app.publicUrl}/checkout/${provider}?orderId=${encodeURIComponent(orderId)}`;
  const { back } = await pressAndComeBack(await openCashier(link), 'pay');
  expect(back.status).toBe(302);
}

describe.each(Object.entries(kinds))('an order id with %s', (_kind, makeId) => {
  describe.each(['alipay', 'wechatpay', 'unionpay'] as const)('%s', (provider) => {
    it.each(['wap', 'app'] as const)('%s: pays, queries and refunds under the shop’s own order id', async (channel) => {
      const order = shop.addOrder({ id: makeId(), amount: 800 });
      await pay(provider, channel, order.id);
      await until(() => shop.paid.some((p) => p.orderId === order.id), `onPaid for ${order.id}`);
      const paid = shop.paid.filter((p) => p.orderId === order.id);
      expect(paid).toHaveLength(1);
      expect(paid[0]).toMatchObject({ provider, orderId: order.id, amount: 800 });

      const state = await payments.query(provider, order.id);
      expect(state).toMatchObject({ status: 'paid', orderId: order.id });
      // (A WAP checkout link after the JSON checkout is a second attempt: UnionPay needs a new number.)
      const base = RULES[provider].test(order.id) ? order.id : expect.stringMatching(/^P[0-9a-f]{22}(R\d+)?$/);
      if (base === order.id) expect(state.tradeNo).toMatch(new RegExp(`^${order.id}(R\\d+)?$`));
      else expect(state.tradeNo).toEqual(base);

      const refundId = `R${randomBytes(8).toString('hex')}`;
      const refund = await payments.refund({ provider, orderId: order.id, refundId, amount: 300 });
      expect(refund).toMatchObject({ orderId: order.id, refundId, amount: 300 });
      await until(
        () => shop.refunds.some((r) => r.orderId === order.id && r.status === 'success'),
        `onRefunded for ${order.id}`,
      );
    });
  });
});

describe('the sweep finds a lost payment of an order id no provider can carry', () => {
  it.each(['alipay', 'wechatpay', 'unionpay'] as const)('%s', async (provider) => {
    // A shop whose notify route is down past the provider's retries: the payment is only found by the sweep.
    const down = await startApp('express', { blockPrefix: '/pay/notify' });
    const local = createShop();
    const swept = createPayments({
      publicUrl: down.publicUrl,
      providers: {
        [provider]:
          provider === 'alipay'
            ? alipay(sandbox.alipay)
            : provider === 'wechatpay'
              ? wechatpay(sandbox.wechatpay)
              : unionpay(sandbox.unionpay),
      },
      ...local.hooks,
      logger: false,
    });
    down.use(swept);
    try {
      const order = local.addOrder({ id: `${randomUUID()}/${randomUUID()}`, amount: 600 });
      const res = await postJson(`${down.publicUrl}/checkout`, { orderId: order.id, provider, channel: 'app' });
      await sdkPay(sandbox, provider, (await jsonOf(res)).params);
      // The notify reached a shop that could not take it: until it is retried, only the sweep knows.
      await until(
        () =>
          sandbox.deliveries.some(
            (d) => d.url.startsWith(down.publicUrl) && d.kind === 'payment' && d.attempts.some((a) => a.status === 503),
          ),
        'a refused notify',
      );
      expect(local.paid).toHaveLength(0);
      const summary = await swept.sweep({ olderThan: 0 });
      expect(summary).toMatchObject({ fulfilled: 1 });
      expect(local.paid.map((p) => p.orderId)).toEqual([order.id]);
      expect(await swept.sweep({ olderThan: 0 })).toMatchObject({ checked: 0, fulfilled: 0 });
    } finally {
      await down.close();
    }
  });
});
