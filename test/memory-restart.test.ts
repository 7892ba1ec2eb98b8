import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  alipay,
  createPayments,
  unionpay,
  wechatpay,
  type Order,
  type Payments,
  type ProviderDefinition,
} from '../src/index.js';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import { createShop, startApp, type RunningApp, type TestShop } from './helpers/shop.js';

let sandbox: Sandbox;
beforeAll(async () => {
  // Retries 10 times faster than the providers': a restart fits between two deliveries.
  sandbox = await startSandbox({ timeScale: 0.01 });
  // The sandbox makes its keys at start: slow on a busy machine.
}, 120_000);
afterAll(() => sandbox.close());

type ProviderName = 'alipay' | 'wechatpay' | 'unionpay';
const providerOf: Record<ProviderName, () => ProviderDefinition> = {
  alipay: () => alipay(sandbox.alipay),
  wechatpay: () => wechatpay(sandbox.wechatpay),
  unionpay: () => unionpay(sandbox.unionpay),
};

interface Host {
  app: RunningApp;
  shop: TestShop;
  payments: Payments;
  /** A restart: the same app and shop, a new `createPayments` with a new (empty) memory store. */
  restart(): Payments;
}

async function host(provider: ProviderName): Promise<Host> {
  const app = await startApp('express');
  const shop = createShop();
  const start = () => {
    const payments = createPayments({
      publicUrl: app.publicUrl,
      providers: { [provider]: providerOf[provider]() },
      ...shop.hooks,
      logger: false,
    });
    app.use(payments);
    return payments;
  };
  const h: Host = {
    app,
    shop,
    payments: start(),
    restart: () => (h.payments = start()),
  };
  return h;
}

let seq = 0;
const newId = () => `M${Date.now().toString(36)}${String(++seq).padStart(3, '0')}`;

async function sdkPay(provider: ProviderName, params: unknown): Promise<void> {
  const res = await fetch(`${sandbox.url}/${provider}/app/pay`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ params, action: 'pay' }),
  });
  expect(res.status, await res.clone().text()).toBe(200);
  await res.arrayBuffer();
}

/** Waits until the sandbox has made `n` attempts to deliver the payment notify of `tradeNo`. */
async function attempts(provider: ProviderName, tradeNo: string, n: number): Promise<void> {
  for (const deadline = Date.now() + 15_000; Date.now() < deadline;) {
    const delivery = sandbox.deliveries.find((d) => d.provider === provider && d.orderId === tradeNo);
    if ((delivery?.attempts.length ?? 0) >= n) return;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  throw new Error(`fewer than ${n} ${provider} notify attempts for ${tradeNo}`);
}

const acked = (provider: ProviderName, tradeNo: string) =>
  sandbox.waitForDelivery((d) => d.provider === provider && d.orderId === tradeNo && d.kind === 'payment', 15_000);

/** Pays `order` under a retry number `<id>R2`: a second checkout the provider refuses under the first number. */
async function payRetry(h: Host, provider: ProviderName, order: Order): Promise<string> {
  if (provider === 'wechatpay') {
    await h.payments.checkout({ provider, orderId: order.id, channel: 'wap', clientIp: '127.0.0.1' });
  } else {
    await h.payments.checkout({ provider, orderId: order.id, channel: 'app' });
    order.amount -= 100;
  }
  const result = await h.payments.checkout({ provider, orderId: order.id, channel: 'app' });
  expect(result.type).toBe('app');
  await sdkPay(provider, (result as { params: unknown }).params);
  return `${order.id}R2`;
}

async function payFirst(h: Host, provider: ProviderName, order: Order): Promise<string> {
  const result = await h.payments.checkout({ provider, orderId: order.id, channel: 'app' });
  await sdkPay(provider, (result as { params: unknown }).params);
  return order.id;
}

/** The outcome of a call, or the code and message of its error. */
const outcome = <T>(promise: Promise<T>) =>
  promise.then(
    (value) => ({ value }),
    (error: unknown) => {
      const { code, message } = error as { code?: string; message?: string };
      return { error: { code, message } };
    },
  );

describe.each(['alipay', 'wechatpay'] as const)('%s with the memory store, restarted after a payment', (provider) => {
  it.each([
    ['its own number', payFirst],
    ['a retry number', payRetry],
  ] as const)('settles, queries, returns and refunds an order paid under %s', async (_, pay) => {
    const h = await host(provider);
    try {
      const order = h.shop.addOrder({ id: newId(), amount: 1000 });
      const tradeNo = await pay(h, provider, order);
      expect((await acked(provider, tradeNo)).acknowledged).toBe(true);
      const [first] = h.shop.paid;
      h.restart();

      // The store forgot the payment: paymount asks the provider, every number the order could have used.
      expect(await h.payments.query(provider, order.id)).toMatchObject({ status: 'paid', tradeNo });
      expect(await h.payments.settle(provider, order.id)).toBe('paid');
      // Fulfilled again, under the same idempotency key: the host's onPaid makes it a no-op (docs/state.md).
      expect(h.shop.paid.map((p) => p.idempotencyKey)).toEqual([first!.idempotencyKey, first!.idempotencyKey]);
      if (provider === 'wechatpay') {
        // WeChat's return is unsigned and names the trade number: the page asks WeChat (Alipay's is signed).
        const back = await fetch(`${h.app.publicUrl}/return/wechatpay?orderId=${tradeNo}`, { redirect: 'manual' });
        const page = await fetch(new URL(back.headers.get('location')!, h.app.origin), english);
        expect(await page.text()).toMatch(/Payment received/);
      }
      const refund = await h.payments.refund({ provider, orderId: order.id, refundId: `F${order.id}`, amount: 100 });
      expect(refund.status).not.toBe('failed');
      expect(JSON.stringify(refund.raw)).toContain(tradeNo);
    } finally {
      await h.app.close();
    }
  });
});

const english = { headers: { 'accept-language': 'en' } };

describe('unionpay with the memory store, restarted after a payment', () => {
  it.each([
    ['its own number', payFirst],
    ['a retry number', payRetry],
  ] as const)('settles, queries and refunds an order paid under %s by its queryId', async (_, pay) => {
    const h = await host('unionpay');
    try {
      const order = h.shop.addOrder({ id: newId(), amount: 1000 });
      const tradeNo = await pay(h, 'unionpay', order);
      expect((await acked('unionpay', tradeNo)).acknowledged).toBe(true);
      const { transactionId, idempotencyKey } = h.shop.paid[0]!;
      h.restart();

      // UnionPay finds a payment by orderId + txnTime or by queryId; the txnTime was in the lost store.
      for (const call of [
        h.payments.settle('unionpay', order.id),
        h.payments.query('unionpay', order.id),
        h.payments.refund({ provider: 'unionpay', orderId: order.id, refundId: `F${order.id}`, amount: 100 }),
      ]) {
        const { error } = (await outcome<unknown>(call)) as { error: { code: string; message: string } };
        expect(error.code).toBe('RECORD_MISSING');
        expect(error.message).toMatch(/txnTime sent at checkout, or by its queryId/);
        expect(error.message).toMatch(/memory store forgets them on restart.*transactionId/);
      }

      // The queryId the shop kept from onPaid is enough.
      const known = { transactionId };
      expect(await h.payments.query('unionpay', order.id, known)).toMatchObject({ status: 'paid', tradeNo });
      expect(await h.payments.settle('unionpay', order.id, known)).toBe('paid');
      expect(h.shop.paid.map((p) => p.idempotencyKey)).toEqual([idempotencyKey, idempotencyKey]);
      const refund = await h.payments.refund({
        provider: 'unionpay',
        orderId: order.id,
        refundId: `F${order.id}`,
        amount: 100,
      });
      expect(refund).toMatchObject({ status: 'processing', raw: { origQryId: transactionId } });
      expect(refund.raw.reqReserved).toContain(`${tradeNo}|F${order.id}`);
    } finally {
      await h.app.close();
    }
  });

  it("refuses another order's queryId", async () => {
    const h = await host('unionpay');
    try {
      const [a, b] = [h.shop.addOrder({ id: newId(), amount: 1000 }), h.shop.addOrder({ id: newId(), amount: 1000 })];
      await payFirst(h, 'unionpay', a);
      await acked('unionpay', a.id);
      h.restart();
      const { error } = (await outcome(
        h.payments.settle('unionpay', b.id, { transactionId: h.shop.paid[0]!.transactionId }),
      )) as { error: { message: string } };
      expect(error.message).toMatch(new RegExp(`paid trade number ${a.id}, which is not one of order ${b.id}'s`));
      expect(h.shop.paid).toHaveLength(1);
    } finally {
      await h.app.close();
    }
  });

  it('needs nothing from the shop once a retried notify reached the restarted instance', async () => {
    const h = await host('unionpay');
    try {
      const order = h.shop.addOrder({ id: newId(), amount: 1000 });
      // The deliveries before the restart fail (onPaid throws); UnionPay's next retry reaches the new process.
      h.shop.failOnPaid(100);
      await payFirst(h, 'unionpay', order);
      // UnionPay sends twice at once, then after a minute (here 600 ms).
      await attempts('unionpay', order.id, 2);
      h.restart();
      h.shop.failOnPaid(0);
      expect((await acked('unionpay', order.id)).acknowledged).toBe(true);
      expect(h.shop.paid).toHaveLength(1);
      expect(await h.payments.query('unionpay', order.id)).toMatchObject({ status: 'paid', tradeNo: order.id });
      expect(await h.payments.settle('unionpay', order.id)).toBe('paid');
      const refund = await h.payments.refund({
        provider: 'unionpay',
        orderId: order.id,
        refundId: `F${order.id}`,
        amount: 1000,
      });
      expect(refund).toMatchObject({ status: 'processing', raw: { origQryId: h.shop.paid[0]!.transactionId } });
      expect(h.shop.paid).toHaveLength(1);
    } finally {
      await h.app.close();
    }
  });
});

describe('checkout after a restart', () => {
  it.each([
    ['wechatpay', 'H5', 'wap'],
    ['unionpay', 'APP', 'app'],
  ] as const)(
    'gives %s APP the next number when the order went to %s under its own before the restart',
    async (provider, _, before) => {
      const h = await host(provider);
      try {
        const order = h.shop.addOrder({ id: newId(), amount: 1000 });
        await h.payments.checkout({ provider, orderId: order.id, channel: before, clientIp: '127.0.0.1' });
        h.restart();
        // The provider refuses the first number again with other parameters, or twice in a day.
        const result = await h.payments.checkout({ provider, orderId: order.id, channel: 'app' });
        expect(result).toMatchObject({ type: 'app' });
        await sdkPay(provider, (result as { params: unknown }).params);
        expect((await acked(provider, `${order.id}R2`)).acknowledged).toBe(true);
        expect(h.shop.paid.map((p) => p.orderId)).toEqual([order.id]);
      } finally {
        await h.app.close();
      }
    },
  );
});
