import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  attempts,
  checkout,
  closeSites,
  newOrderId,
  startSite,
  startWorld,
  wapCashier,
  type Site,
  type World,
} from './helpers/after-payment.js';

/**
 * Queries are bounded (docs/after-payment.md, "Queries are bounded"): WeChat Pay's return URL is
 * unsigned, so anyone may load `/return/wechatpay?orderId=…` as often as they like. Twenty buyers'
 * returns for one pending order at once cost at most one query per attempt in flight and per
 * second, counted where the sandbox receives them.
 */

let world: World;
// Generating the sandbox's keys takes a while on a loaded machine.
beforeAll(async () => {
  world = await startWorld();
}, 120_000);
afterEach(() => world.tap.hold('query', 0));
afterAll(async () => {
  await closeSites();
  await world.close();
});

/** Twenty anonymous returns for the trade number, all at once; every one redirected to a result page. */
async function twentyReturns(site: Site, tradeNo: string): Promise<void> {
  const url = `${site.publicUrl}/return/wechatpay?orderId=${encodeURIComponent(tradeNo)}`;
  const answers = await Promise.all(
    Array.from({ length: 20 }, async () => {
      const res = await fetch(url, { redirect: 'manual' });
      await res.arrayBuffer();
      return [res.status, res.headers.get('location')?.includes('/result') ?? false];
    }),
  );
  expect(answers).toEqual(Array(20).fill([302, true]));
}

const queries = (tradeNo: string) => world.tap.count({ provider: 'wechatpay', op: 'query', tradeNo });

describe.each(['express', 'koa'] as const)('returns for a pending order on %s', (framework) => {
  it('20 returns while WeChat Pay is slow to answer: one query, shared', async () => {
    const site = await startSite(world, framework);
    const orderId = site.shop.addOrder({ id: newOrderId('RQ'), amount: 4100 }).id;
    await wapCashier(site, 'wechatpay', orderId);
    const { current: tradeNo } = await attempts(site, 'wechatpay', orderId);
    // Every query takes 300 ms at the gateway: the twenty returns all ask while the first is out.
    world.tap.hold('query', 300);
    await twentyReturns(site, tradeNo);
    expect(queries(tradeNo)).toBe(1);
    expect(site.shop.paid).toEqual([]);
  });

  it('20 returns for an order with two attempts: at most 2 queries per attempt', async () => {
    const site = await startSite(world, framework);
    const orderId = site.shop.addOrder({ id: newOrderId('RQ'), amount: 4200 }).id;
    await wapCashier(site, 'wechatpay', orderId);
    await checkout(site, 'wechatpay', 'app', orderId);
    const { current, tradeNumbers } = await attempts(site, 'wechatpay', orderId);
    expect(tradeNumbers).toHaveLength(2);
    const started = Date.now();
    await twentyReturns(site, current);
    const seconds = Math.ceil((Date.now() - started) / 1000);
    // One query per attempt and per second of the burst, plus one for a second boundary crossed.
    for (const tradeNo of tradeNumbers) {
      expect(queries(tradeNo)).toBeGreaterThanOrEqual(1);
      expect(queries(tradeNo)).toBeLessThanOrEqual(Math.max(2, seconds + 1));
    }
  });
});
