import { describe, expect, it } from 'vitest';
import { couldUse, derivedBase, tradeNumberFor } from '../src/core/attempts.js';
import { checkTradeNo as alipayRule } from '../src/providers/alipay/checkout.js';
import { checkTradeNo as unionpayRule } from '../src/providers/unionpay/checkout.js';
import { checkTradeNo as wechatRule } from '../src/providers/wechatpay/checkout.js';
import type { Provider } from '../src/spi/provider.js';

/**
 * `couldUse` answers "is this one of the 20 numbers this order can be checked out under?" without
 * building all 20 (each may hash the order id): it must agree with building them, for every
 * provider's rule and for ids that fit it, do not fit it, or themselves end in `R<n>`.
 */
const rules = { alipay: alipayRule, wechatpay: wechatRule, unionpay: unionpayRule };
const ids = [
  'ORDER20261125000001',
  'ORDERR2',
  'AR20',
  'AR21',
  'A-1',
  '0b6f7a4e-2c1d-4b8e-9f3a-5d2c1e0f9a7b',
  'x'.repeat(40),
  '订单-2026-1',
  derivedBase('ORDERR2'),
];

describe('trade numbers of an order (couldUse)', () => {
  for (const [name, checkTradeNo] of Object.entries(rules)) {
    it(`${name}: agrees with the numbers the order can have, attempts 1 to 20`, () => {
      const provider = { id: name, checkTradeNo } as Pick<Provider, 'id' | 'checkTradeNo'> as Provider;
      const numbersOf = (id: string) =>
        Array.from({ length: 20 }, (_, i) => tradeNumberFor(provider, id, i + 1)).filter((n) => n !== undefined);
      const all = new Set(ids.flatMap(numbersOf));
      // Numbers just past the cap, and a few the rules refuse, are nobody's.
      for (const id of ids)
        for (const extra of [`${id}R21`, `${derivedBase(id)}R21`, `${id}R1`, `${id}R0`]) all.add(extra);
      let checked = 0;
      for (const id of ids) {
        const own = new Set(numbersOf(id));
        for (const tradeNo of all) {
          expect(couldUse(provider, id, tradeNo), `${id} / ${tradeNo}`).toBe(own.has(tradeNo));
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(1000);
    });
  }
});
