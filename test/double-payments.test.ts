import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PaidEvent } from '../src/index.js';
import {
  acknowledged,
  attempts,
  checkout,
  closeSites,
  newOrderId,
  payInApp,
  press,
  replay,
  sdkPay,
  startSite,
  startWorld,
  until,
  wapCashier,
  type ProviderName,
  type Site,
  type SiteOptions,
  type Tee,
  type World,
} from './helpers/after-payment.js';
import type { Framework } from './helpers/shop.js';

/**
 * Double payments (docs/after-payment.md, "Paid twice"), for every provider: two attempts of one
 * order at the same provider both paid, and one order paid with two providers. The buyer's
 * payments are made at the sandbox's cashiers and app SDKs; their notifies reach a real Express or
 * Koa app. `'report'`: the second payment reaches `onPaid` with `duplicateOf`. `'refund'`: it is
 * also refunded in full at the sandbox, reported to `onRefunded`, and never refunded twice.
 */

let world: World;
// Generating the sandbox's keys takes a while on a loaded machine.
beforeAll(async () => {
  world = await startWorld();
}, 120_000);
afterAll(async () => {
  await closeSites();
  await world.close();
});

interface Payment {
  provider: ProviderName;
  tradeNo: string;
}

interface Scenario {
  name: string;
  site?: SiteOptions;
  /** Opens both attempts, then pays them one after the other; answers them in the order paid. */
  payTwice(site: Site, orderId: string): Promise<[Payment, Payment]>;
}

/** Waits for the payment's notify to be answered "paid" by the shop. */
async function settled(payment: Payment): Promise<Payment> {
  await acknowledged(world, payment.provider, payment.tradeNo);
  return payment;
}

const scenarios: Scenario[] = [
  {
    name: 'WeChat Pay H5, then APP (a new trade number)',
    async payTwice(site, orderId) {
      const h5 = await wapCashier(site, 'wechatpay', orderId);
      const first = (await attempts(site, 'wechatpay', orderId)).current;
      const app = await checkout(site, 'wechatpay', 'app', orderId);
      const second = (await attempts(site, 'wechatpay', orderId)).current;
      expect(second).not.toBe(first);
      await sdkPay(world, 'wechatpay', app.params);
      const paidFirst = await settled({ provider: 'wechatpay', tradeNo: second });
      await press(h5);
      return [paidFirst, await settled({ provider: 'wechatpay', tradeNo: first })];
    },
  },
  {
    name: 'WeChat Pay API v2, H5 then APP (a new trade number)',
    site: { wechatpayApi: 'v2' },
    async payTwice(site, orderId) {
      const h5 = await wapCashier(site, 'wechatpay', orderId);
      const first = (await attempts(site, 'wechatpay', orderId)).current;
      const app = await checkout(site, 'wechatpay', 'app', orderId);
      const second = (await attempts(site, 'wechatpay', orderId)).current;
      expect(second).not.toBe(first);
      await sdkPay(world, 'wechatpay', app.params);
      const paidFirst = await settled({ provider: 'wechatpay', tradeNo: second });
      await press(h5);
      return [paidFirst, await settled({ provider: 'wechatpay', tradeNo: first })];
    },
  },
  {
    name: 'UnionPay, two WAP attempts (an orderId goes to UnionPay once a day)',
    async payTwice(site, orderId) {
      const one = await wapCashier(site, 'unionpay', orderId);
      const first = (await attempts(site, 'unionpay', orderId)).current;
      const two = await wapCashier(site, 'unionpay', orderId);
      const second = (await attempts(site, 'unionpay', orderId)).current;
      expect(second).not.toBe(first);
      await press(one);
      const paidFirst = await settled({ provider: 'unionpay', tradeNo: first });
      await press(two);
      return [paidFirst, await settled({ provider: 'unionpay', tradeNo: second })];
    },
  },
  {
    name: 'Alipay, the order changed between two WAP attempts',
    async payTwice(site, orderId) {
      const one = await wapCashier(site, 'alipay', orderId);
      const first = (await attempts(site, 'alipay', orderId)).current;
      site.shop.orders.get(orderId)!.subject = 'Test order, gift-wrapped';
      const two = await wapCashier(site, 'alipay', orderId);
      const second = (await attempts(site, 'alipay', orderId)).current;
      expect(second).not.toBe(first);
      await press(two);
      const paidFirst = await settled({ provider: 'alipay', tradeNo: second });
      await press(one);
      return [paidFirst, await settled({ provider: 'alipay', tradeNo: first })];
    },
  },
  {
    name: 'WeChat Pay in the app, then Alipay WAP',
    async payTwice(site, orderId) {
      const cashier = await wapCashier(site, 'alipay', orderId);
      const paidFirst = await settled({
        provider: 'wechatpay',
        tradeNo: await payInApp(world, site, 'wechatpay', orderId),
      });
      await press(cashier);
      const tradeNo = (await attempts(site, 'alipay', orderId)).current;
      return [paidFirst, await settled({ provider: 'alipay', tradeNo })];
    },
  },
  {
    name: 'Alipay in the app, then UnionPay WAP',
    async payTwice(site, orderId) {
      const cashier = await wapCashier(site, 'unionpay', orderId);
      const paidFirst = await settled({ provider: 'alipay', tradeNo: await payInApp(world, site, 'alipay', orderId) });
      await press(cashier);
      const tradeNo = (await attempts(site, 'unionpay', orderId)).current;
      return [paidFirst, await settled({ provider: 'unionpay', tradeNo })];
    },
  },
  {
    name: 'UnionPay in the app, then WeChat Pay H5',
    async payTwice(site, orderId) {
      const cashier = await wapCashier(site, 'wechatpay', orderId);
      const paidFirst = await settled({
        provider: 'unionpay',
        tradeNo: await payInApp(world, site, 'unionpay', orderId),
      });
      await press(cashier);
      const tradeNo = (await attempts(site, 'wechatpay', orderId)).current;
      return [paidFirst, await settled({ provider: 'wechatpay', tradeNo })];
    },
  },
];

/** What the sandbox says was refunded of a trade: fen in total, and how many refunds (or cancels) made it. */
function refundedAt(site: Site, payment: Payment): { fen: number; refunds: number } {
  const { alipay, wechatpay, unionpay } = world.sandbox.simulators;
  switch (payment.provider) {
    case 'alipay': {
      const trade = alipay.trades.get(payment.tradeNo)!;
      const fen = Math.round(Number(trade.refunded) * 100);
      // Alipay's trade view has the total, not the entries: one full refund is all it can hold.
      return { fen, refunds: fen > 0 ? 1 : 0 };
    }
    case 'wechatpay': {
      const trade = wechatpay.trade(site.wechatpayMchId, payment.tradeNo)!;
      const done = trade.refunds.filter((r) => r.status === 'SUCCESS');
      return { fen: done.reduce((sum, r) => sum + r.amount, 0), refunds: trade.refunds.length };
    }
    case 'unionpay': {
      const paid = unionpay.payment(payment.tradeNo)!;
      const done = paid.backs.filter((b) => b.status === 'success');
      return { fen: done.reduce((sum, b) => sum + b.txnAmt, 0), refunds: paid.backs.length };
    }
  }
}

/** The two `onPaid` calls: the first plain, the second naming the first. */
function expectPaidTwice(site: Site, orderId: string, [first, second]: [Payment, Payment]): [PaidEvent, PaidEvent] {
  const paid = site.shop.paid.filter((p) => p.orderId === orderId);
  expect(paid.map((p) => p.provider)).toEqual([first.provider, second.provider]);
  const [one, two] = paid as [PaidEvent, PaidEvent];
  expect(one.duplicateOf).toBeUndefined();
  expect(two.duplicateOf).toEqual({ provider: first.provider, transactionId: one.transactionId });
  expect(two.transactionId).not.toBe(one.transactionId);
  return [one, two];
}

/**
 * Refund requests the sandbox received for a payment, counted at the gateway tap (a refund names
 * the payment by trade number or by transaction id). WeChat Pay API v2 refunds go over mutual TLS
 * straight to the sandbox, past the tap: there the sandbox's own record of refunds is the count.
 */
function refundCalls(site: Site, payment: Payment, transactionId: string): number | undefined {
  if (payment.provider === 'wechatpay' && site.wechatpayMchId !== world.tap.wechatpay.mchId) return undefined;
  const refunds = world.tap.calls.filter((c) => c.provider === payment.provider && c.op === 'refund');
  return refunds.filter((c) => c.tradeNo === payment.tradeNo || c.transactionId === transactionId).length;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const frameworks: Framework[] = ['express', 'koa'];

describe.each(scenarios.map((s, i) => ({ ...s, i })))('$name', (scenario) => {
  // Each scenario runs on both frameworks, one mode on each, swapping from one scenario to the next.
  const reportOn = frameworks[scenario.i % 2]!;
  const refundOn = frameworks[(scenario.i + 1) % 2]!;

  it(`report (on ${reportOn}): onPaid twice, the second with duplicateOf; nothing refunded`, async () => {
    const site = await startSite(world, reportOn, {}, scenario.site);
    const orderId = site.shop.addOrder({ id: newOrderId(), amount: 1100 + scenario.i }).id;
    const payments = await scenario.payTwice(site, orderId);
    const [one, two] = expectPaidTwice(site, orderId, payments);
    expect(payments.map((p) => refundedAt(site, p))).toEqual([
      { fen: 0, refunds: 0 },
      { fen: 0, refunds: 0 },
    ]);
    expect(refundCalls(site, payments[0], one.transactionId) ?? 0).toBe(0);
    expect(refundCalls(site, payments[1], two.transactionId) ?? 0).toBe(0);
    expect(site.shop.refunds).toEqual([]);
    // The host fulfils once: the order is paid, and the second event names the first.
    expect(site.shop.orders.get(orderId)?.status).toBe('paid');
  });

  it(`refund (on ${refundOn}): refunded once, its notify 3 times at two instances, then after a restart`, async () => {
    const copies: Promise<{ status: number; body: string }>[] = [];
    const site: Site = await startSite(
      world,
      refundOn,
      {
        duplicatePayments: 'refund',
        // While the shop records the second payment, two more copies of its notify arrive (a
        // provider retries a slow answer): one at this instance, one at another instance on the
        // same store. Both must wait for this one and then change nothing.
        onPaid: async (event, ctx) => {
          if (event.duplicateOf && copies.length === 0) {
            const [kept] = site.inFlight();
            expect(kept).toBeDefined();
            const seen = site.notifies(event.provider as ProviderName).length;
            copies.push(replay(new URL(site.publicUrl).origin, kept!), replay(twin.url, kept!));
            await until(
              () => site.notifies(event.provider as ProviderName).length > seen && twin.requests.length > 0,
              'both copies at the shop',
            );
            await sleep(200);
          }
          await site.shop.hooks.onPaid(event, ctx);
        },
      },
      scenario.site,
    );
    const twin: Tee = await site.twin();
    const amount = 2100 + scenario.i;
    const orderId = site.shop.addOrder({ id: newOrderId(), amount }).id;
    const payments = await scenario.payTwice(site, orderId);
    const [first, second] = payments;
    const [, duplicate] = expectPaidTwice(site, orderId, payments);

    // The copies were answered as a delivered notify is: the provider stops retrying.
    const answers = await Promise.all(copies);
    expect(answers).toHaveLength(2);
    for (const answer of answers) expect([200, 204], answer.body).toContain(answer.status);

    // Refunded at the provider (UnionPay and WeChat Pay confirm it by notify a moment later).
    await until(() => site.shop.refunds.some((r) => r.status === 'success'), 'onRefunded');
    const money = () => payments.map((p) => refundedAt(site, p));
    expect(money()).toEqual([
      { fen: 0, refunds: 0 },
      { fen: amount, refunds: 1 },
    ]);
    const refunded = site.shop.refunds.filter((r) => r.status === 'success');
    expect(refunded).toHaveLength(1);
    expect(refunded[0]).toMatchObject({ provider: second.provider, orderId, amount });
    expect(refunded[0]!.refundId).toMatch(/^D[0-9a-f]{31}$/);
    const calls = () => refundCalls(site, second, duplicate.transactionId);
    if (calls() !== undefined) expect(calls()).toBe(1);
    expect(site.shop.paid.filter((p) => p.orderId === orderId)).toHaveLength(2);

    // The provider's retry of the second payment's notify after a restart on the same store, and
    // a sweep: acknowledged, and nothing new for onPaid, onRefunded or the provider.
    const kept = site.notifies(second.provider).filter((r) => r.answer !== undefined);
    const copy = kept.find((r) => r.body.includes(second.tradeNo)) ?? kept.at(-1)!;
    site.restart();
    const again = await site.replay(copy);
    expect([200, 204], again.body).toContain(again.status);
    const swept = await site.payments.sweep({ olderThan: 0 });
    expect(swept).toMatchObject({ fulfilled: 0 });
    expect(site.shop.paid.filter((p) => p.orderId === orderId)).toHaveLength(2);
    expect(site.shop.refunds.filter((r) => r.status === 'success')).toHaveLength(1);
    if (calls() !== undefined) expect(calls()).toBe(1);
    expect(money()).toEqual([
      { fen: 0, refunds: 0 },
      { fen: amount, refunds: 1 },
    ]);
    // The order stays paid: the payment that stands for it was not refunded.
    expect(duplicate.duplicateOf?.provider).toBe(first.provider);
    expect(site.shop.orders.get(orderId)?.status).toBe('paid');
  });
});

it('refund: Alipay down as the second payment comes in; its notify fails until it is refunded', async () => {
  const site = await startSite(world, 'koa', { duplicatePayments: 'refund' });
  const amount = 2900;
  const orderId = site.shop.addOrder({ id: newOrderId(), amount }).id;
  const cashier = await wapCashier(site, 'alipay', orderId);
  const first = await settled({ provider: 'wechatpay', tradeNo: await payInApp(world, site, 'wechatpay', orderId) });
  const tradeNo = (await attempts(site, 'alipay', orderId)).current;
  const second: Payment = { provider: 'alipay', tradeNo };

  // The buyer pays at Alipay while the shop cannot reach Alipay's gateway (the notify still arrives).
  world.tap.down('alipay');
  try {
    await press(cashier);
    await until(() => {
      const notice = world.sandbox.deliveries.find((d) => d.provider === 'alipay' && d.orderId === tradeNo);
      return (notice?.attempts.filter((a) => a.status !== undefined).length ?? 0) >= 2;
    }, 'two answered deliveries of the notify');
  } finally {
    world.tap.down('alipay', false);
  }
  const done = await acknowledged(world, 'alipay', tradeNo);
  const answers = done.attempts.map((a) => a.body);
  expect(answers.at(-1)).toBe('success');
  expect(answers.slice(0, 2)).not.toContain('success');

  const [, duplicate] = expectPaidTwice(site, orderId, [first, second]);
  expect(refundedAt(site, second)).toEqual({ fen: amount, refunds: 1 });
  expect(refundedAt(site, first)).toEqual({ fen: 0, refunds: 0 });
  await until(() => site.shop.refunds.some((r) => r.status === 'success'), 'onRefunded');
  expect(site.shop.refunds).toHaveLength(1);
  expect(site.shop.refunds[0]).toMatchObject({ provider: 'alipay', orderId, amount, status: 'success' });
  // Every try asked Alipay for the same refund id; Alipay refunded it once.
  expect(refundCalls(site, second, duplicate.transactionId)).toBeGreaterThanOrEqual(2);
  expect(site.shop.paid.filter((p) => p.orderId === orderId)).toHaveLength(2);
});
