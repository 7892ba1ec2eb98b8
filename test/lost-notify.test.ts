import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SweepSummary } from '../src/index.js';
import {
  acknowledged,
  attempts,
  checkout,
  closeSites,
  delivery,
  newOrderId,
  openAttempts,
  PROVIDERS,
  press,
  startSite,
  startWorld,
  until,
  wapCashier,
  type ProviderName,
  type Site,
  type World,
} from './helpers/after-payment.js';
import type { Framework } from './helpers/shop.js';

/**
 * A notify lost for good (docs/after-payment.md, "A lost notify"): the buyer pays at the sandbox's
 * cashier, the sandbox never delivers the notify (as for a shop down past the provider's retry
 * schedule), and the buyer does not come back. `payments.sweep()` finds the paid attempt in the
 * store's open-attempts index, asks the provider, and fulfils it once; attempts never paid are
 * closed where the provider can close them and forgotten; a provider that cannot be reached
 * leaves the order for the next sweep. Real Express and Koa apps, real HTTP to the sandbox.
 */

let world: World;
// Generating the sandbox's keys takes a while on a loaded machine.
beforeAll(async () => {
  world = await startWorld();
}, 120_000);
afterEach(() => {
  world.tap.hold('query', 0);
  for (const provider of PROVIDERS) world.tap.down(provider, false);
});
afterAll(async () => {
  await closeSites();
  await world.close();
});

const EMPTY: SweepSummary = { checked: 0, fulfilled: 0, alreadyPaid: 0, closed: 0, pending: 0, failed: 0 };

/** The buyer pays the order's WAP cashier; its payment notify is lost for good. Answers the trade number. */
async function payWithNotifyLost(site: Site, provider: ProviderName, orderId: string): Promise<string> {
  const cashier = await wapCashier(site, provider, orderId);
  const { current: tradeNo } = await attempts(site, provider, orderId);
  world.sandbox.dropNotifications((n) => n.provider === provider && n.kind === 'payment' && n.orderId === tradeNo);
  await press(cashier);
  const lost = await delivery(world, provider, tradeNo);
  expect(lost).toMatchObject({ dropped: true, acknowledged: false, attempts: [] });
  return tradeNo;
}

const paidOf = (site: Site, orderId: string) => site.shop.paid.filter((p) => p.orderId === orderId);
const queries = (provider: ProviderName, tradeNo: string) => world.tap.count({ provider, op: 'query', tradeNo });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const frameworkOf = (i: number): Framework => (i % 2 === 0 ? 'express' : 'koa');

describe.each(PROVIDERS.map((provider, i) => ({ provider, i })))('a lost $provider notify', ({ provider, i }) => {
  const framework = frameworkOf(i);
  const other = frameworkOf(i + 1);

  it(`sweep() fulfils the paid order once (on ${framework})`, async () => {
    const site = await startSite(world, framework);
    const orderId = site.shop.addOrder({ id: newOrderId('LN'), amount: 3100 + i }).id;
    const tradeNo = await payWithNotifyLost(site, provider, orderId);
    expect(paidOf(site, orderId)).toEqual([]);
    expect(await openAttempts(site)).toEqual([[provider, orderId, tradeNo]]);

    // An attempt younger than `olderThan` still expects its notify: not looked at.
    expect(await site.payments.sweep({ olderThan: 60_000 })).toEqual(EMPTY);
    expect(queries(provider, tradeNo)).toBe(0);

    expect(await site.payments.sweep({ olderThan: 0 })).toEqual({ ...EMPTY, checked: 1, fulfilled: 1 });
    const paid = paidOf(site, orderId);
    expect(paid).toHaveLength(1);
    expect(paid[0]).toMatchObject({ provider, orderId, amount: 3100 + i });
    expect(paid[0]!.duplicateOf).toBeUndefined();
    expect(site.shop.orders.get(orderId)?.status).toBe('paid');
    expect(await openAttempts(site)).toEqual([]);

    // Found once: the next sweep has nothing left to ask about.
    expect(await site.payments.sweep({ olderThan: 0 })).toEqual(EMPTY);
    expect(queries(provider, tradeNo)).toBe(1);
    expect(paidOf(site, orderId)).toHaveLength(1);
  });

  it(`two instances sweeping one store at the same time fulfil once (on ${other})`, async () => {
    // The shop takes its time to record a payment: whichever sweep comes second finds the first
    // still at it, and must wait for it, then see the payment recorded.
    const site: Site = await startSite(world, other, {
      onPaid: async (event, ctx) => {
        await sleep(300);
        await site.shop.hooks.onPaid(event, ctx);
      },
    });
    const orderId = site.shop.addOrder({ id: newOrderId('LN'), amount: 3200 + i }).id;
    await payWithNotifyLost(site, provider, orderId);
    // Both sweeps list the attempt and are asking the provider at the same time.
    world.tap.hold('query', 300);
    const [a, b] = await Promise.all([site.payments.sweep({ olderThan: 0 }), site.instance().sweep({ olderThan: 0 })]);
    expect(a.checked + b.checked).toBe(2);
    expect(a.fulfilled + b.fulfilled).toBe(1);
    expect(a.alreadyPaid + b.alreadyPaid).toBe(1);
    expect(paidOf(site, orderId)).toHaveLength(1);
    expect(await openAttempts(site)).toEqual([]);
  });

  it(`two sweepers on one store take turns: one query, one onPaid (on ${framework})`, async () => {
    const site = await startSite(world, framework);
    const orderId = site.shop.addOrder({ id: newOrderId('LN'), amount: 3300 + i }).id;
    const tradeNo = await payWithNotifyLost(site, provider, orderId);
    world.tap.hold('query', 300);
    const summaries: SweepSummary[] = [];
    const options = { everyMs: 20, olderThan: 0, onSweep: (s: SweepSummary) => void summaries.push(s) };
    const sweepers = [site.payments.startSweeper(options), site.instance().startSweeper(options)];
    // Until a sweep after the one that fulfilled it found nothing left.
    await until(() => {
      const found = summaries.findIndex((s) => s.fulfilled === 1);
      return found >= 0 && found < summaries.length - 1;
    }, 'a sweep after the one that fulfilled');
    await Promise.all(sweepers.map((s) => s.stop()));
    expect(paidOf(site, orderId)).toHaveLength(1);
    // Of the sweeps that ticked while the first was asking, none ran: the provider was asked once.
    expect(queries(provider, tradeNo)).toBe(1);
    expect(summaries.reduce((sum, s) => sum + s.fulfilled + s.alreadyPaid, 0)).toBe(1);
  });

  it(`a provider down during the sweep: the order stays pending, the next sweep gets it (on ${other})`, async () => {
    const site = await startSite(world, other);
    const orderId = site.shop.addOrder({ id: newOrderId('LN'), amount: 3400 + i }).id;
    const tradeNo = await payWithNotifyLost(site, provider, orderId);
    world.tap.down(provider);
    expect(await site.payments.sweep({ olderThan: 0 })).toEqual({ ...EMPTY, checked: 1, failed: 1 });
    expect(paidOf(site, orderId)).toEqual([]);
    expect(site.shop.orders.get(orderId)?.status).toBeUndefined();
    expect(await openAttempts(site)).toEqual([[provider, orderId, tradeNo]]);

    world.tap.down(provider, false);
    expect(await site.payments.sweep({ olderThan: 0 })).toEqual({ ...EMPTY, checked: 1, fulfilled: 1 });
    expect(paidOf(site, orderId)).toHaveLength(1);
    expect(await openAttempts(site)).toEqual([]);
  });
});

describe('an abandoned attempt', () => {
  const closes = (provider: ProviderName, tradeNo: string) => world.tap.count({ provider, op: 'close', tradeNo });

  it('stays open while young; past closeAfter Alipay closes it, its close notice reaches onClosed once', async () => {
    const site = await startSite(world, 'express');
    const orderId = site.shop.addOrder({ id: newOrderId('AB'), amount: 3500 }).id;
    const cashier = await wapCashier(site, 'alipay', orderId);
    const { current: tradeNo } = await attempts(site, 'alipay', orderId);

    expect(await site.payments.sweep({ olderThan: 0 })).toEqual({ ...EMPTY, checked: 1, pending: 1 });
    expect(closes('alipay', tradeNo)).toBe(0);
    expect(await openAttempts(site)).toEqual([['alipay', orderId, tradeNo]]);

    expect(await site.payments.sweep({ olderThan: 0, closeAfter: 0 })).toEqual({ ...EMPTY, checked: 1, closed: 1 });
    expect(closes('alipay', tradeNo)).toBe(1);
    expect(world.sandbox.simulators.alipay.trades.get(tradeNo)?.status).toBe('TRADE_CLOSED');
    expect(await openAttempts(site)).toEqual([]);
    await acknowledged(world, 'alipay', tradeNo, 'close');
    await until(() => site.shop.closed.length === 1, 'onClosed');
    expect(site.shop.closed[0]).toMatchObject({ provider: 'alipay', orderId });

    // The buyer comes back to the old cashier tab: it can no longer be paid.
    await press(cashier).catch(() => undefined);
    expect(world.sandbox.simulators.alipay.trades.get(tradeNo)?.status).toBe('TRADE_CLOSED');
    expect(site.shop.paid).toEqual([]);
    expect(await site.payments.sweep({ olderThan: 0, closeAfter: 0 })).toEqual(EMPTY);
  });

  it("past the order's expiresAt, WeChat Pay closes it on the next sweep (default closeAfter)", async () => {
    const site = await startSite(world, 'koa');
    const expiresAt = new Date(Date.now() + 60_000);
    const orderId = site.shop.addOrder({ id: newOrderId('AB'), amount: 3600, expiresAt }).id;
    await wapCashier(site, 'wechatpay', orderId);
    const { current: tradeNo } = await attempts(site, 'wechatpay', orderId);
    expect(await site.payments.sweep({ olderThan: 0 })).toEqual({ ...EMPTY, checked: 1, pending: 1 });

    site.shop.orders.get(orderId)!.expiresAt = new Date(Date.now() - 1000);
    expect(await site.payments.sweep({ olderThan: 0 })).toEqual({ ...EMPTY, checked: 1, closed: 1 });
    expect(closes('wechatpay', tradeNo)).toBe(1);
    expect(world.sandbox.simulators.wechatpay.trade(site.wechatpayMchId, tradeNo)?.state).toBe('CLOSED');
    expect(await openAttempts(site)).toEqual([]);
    expect(site.shop.paid).toEqual([]);
  });

  it('UnionPay has no close: an unpaid attempt past its time is checked unpaid, then forgotten', async () => {
    const site = await startSite(world, 'express');
    const orderId = site.shop.addOrder({ id: newOrderId('AB'), amount: 3700 }).id;
    await wapCashier(site, 'unionpay', orderId);
    const { current: tradeNo } = await attempts(site, 'unionpay', orderId);
    expect(await site.payments.sweep({ olderThan: 0, closeAfter: 0 })).toEqual({ ...EMPTY, checked: 1, closed: 1 });
    expect(world.tap.count({ provider: 'unionpay', tradeNo, op: 'query' })).toBeGreaterThanOrEqual(1);
    expect(await openAttempts(site)).toEqual([]);
    expect(site.shop.paid).toEqual([]);
    expect(site.shop.closed).toEqual([]);
  });

  it('a checkout whose cashier never opened: nothing to close at Alipay, forgotten', async () => {
    const site = await startSite(world, 'koa');
    const orderId = site.shop.addOrder({ id: newOrderId('AB'), amount: 3800 }).id;
    await checkout(site, 'alipay', 'wap', orderId);
    const { current: tradeNo } = await attempts(site, 'alipay', orderId);
    expect(world.sandbox.simulators.alipay.trades.get(tradeNo)).toBeUndefined();
    expect(await site.payments.sweep({ olderThan: 0, closeAfter: 0 })).toEqual({ ...EMPTY, checked: 1, closed: 1 });
    expect(closes('alipay', tradeNo)).toBe(0);
    expect(await openAttempts(site)).toEqual([]);
    expect(site.shop.closed).toEqual([]);
  });
});
