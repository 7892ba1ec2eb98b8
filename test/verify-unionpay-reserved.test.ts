import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { resolveUnionpayConfig } from '../src/providers/unionpay/config.js';
import { parseNotify } from '../src/providers/unionpay/notify.js';
import { acpRefundOrderId } from '../src/providers/unionpay/refunds.js';
import { paymentReserved, reqReservedOf } from '../src/providers/unionpay/reserved.js';
import { parseReturn } from '../src/providers/unionpay/return.js';
import { createVerifier } from '../src/providers/unionpay/verify.js';
import { memoryStore } from '../src/store/memory.js';
import {
  formPost,
  CLOCK,
  fixtureOptions,
  fixtureSigner,
  fixtureText,
  paymentNotify,
  signAsUnionpay,
  type AcpFields,
} from './fixtures/unionpay/helpers.js';
import { expectAsyncRefusal } from './helpers/refusal.js';

/**
 * `reqReserved`, which UnionPay echoes signed (docs/providers/unionpay.md#limits: at most 1024
 * bytes): what paymount writes at checkout and refund comes back, through a signed notify or
 * return, as the same order and refund; what does not fit is not sent rather than cut.
 */
const config = resolveUnionpayConfig(fixtureOptions());
const verify = createVerifier(
  {
    middle: new X509Certificate(fixtureText('up-middle.pem')),
    root: new X509Certificate(fixtureText('up-root.pem')),
    production: false,
  },
  () => CLOCK,
);
const signer = fixtureSigner();
const TRADE = 'P20270301120000001';

const read = (fields: AcpFields) => parseNotify(config, verify, memoryStore(), formPost(fields), CLOCK);

/** A signed payment notify echoing `reqReserved` (none when `undefined`). */
const paid = (reqReserved: string | undefined) =>
  signAsUnionpay(paymentNotify(TRADE, 1999, reqReserved === undefined ? {} : { reqReserved }), signer);

/** A signed notify of refund `refundId` of {@link TRADE}, echoing `reqReserved`. */
const refunded = (refundId: string, reqReserved: string) =>
  signAsUnionpay(
    paymentNotify(acpRefundOrderId(TRADE, refundId), 500, { txnType: '04', txnSubType: '00', reqReserved }),
    signer,
  );

describe('UnionPay reqReserved of a payment', () => {
  it('brings back the order id checkout wrote, whatever its characters, in the notify and the return', async () => {
    for (const id of ['A-1/2', '订单 7', "x'()*!~_.", 'a&b=c{d}[e];f:g|h%']) {
      const reserved = paymentReserved(id);
      expect(reserved).toBe(`order:${encodeURIComponent(id)}`);
      expect(await read(paid(reserved))).toMatchObject({ type: 'paid', tradeNo: TRADE, orderId: id });
      expect(parseReturn(config, verify, formPost(paid(reserved), '/return/unionpay'))).toEqual({
        tradeNo: TRADE,
        orderId: id,
        hint: 'unknown',
      });
    }
  });

  it('is written up to 1024 bytes, and not at all beyond (a cut id would name another order)', async () => {
    const longest = 'a'.repeat(1024 - 'order:'.length);
    expect(paymentReserved(longest)).toBe(`order:${longest}`);
    expect(await read(paid(paymentReserved(longest)))).toMatchObject({ orderId: longest });
    expect(paymentReserved(`${longest}a`)).toBeUndefined();
    // Counted in UTF-8 bytes of the encoded form: one Chinese character is 9 of them (%E8%AE%A2).
    expect(paymentReserved('订'.repeat(113))).toBeDefined();
    expect(paymentReserved('订'.repeat(114))).toBeUndefined();
  });

  it('refuses a reqReserved in neither of paymount forms: REQUEST_INVALID', async () => {
    for (const forged of ['A-1', 'x:order:A-1', 'order:A&b', 'order:%E4%B8', 'order:', 'ORDER:A-1']) {
      await expectAsyncRefusal(
        () => read(paid(forged)),
        'REQUEST_INVALID',
        /^reqReserved ".*" is not what paymount sent$/,
      );
    }
    const long = `x${'a'.repeat(100)}`;
    await expectAsyncRefusal(
      () => read(paid(long)),
      'REQUEST_INVALID',
      new RegExp(`^reqReserved "${long.slice(0, 80)}" is`),
    );
  });
});

describe('UnionPay reqReserved of a refund', () => {
  it('maps the refund back to its payment, refund id and order, with no store record', async () => {
    for (const refundId of ['RF1', 'a|b', 'r_1-2.3']) {
      const reserved = reqReservedOf(TRADE, refundId, 'A-1/2');
      expect(reserved).toBe(`${TRADE}|${refundId};order:A-1%2F2`);
      expect(await read(refunded(refundId, reserved))).toMatchObject({
        type: 'refunded',
        tradeNo: TRADE,
        refundId,
        orderId: 'A-1/2',
        amount: 500,
      });
    }
    const bare = reqReservedOf(TRADE, 'RF1');
    expect(bare).toBe(`${TRADE}|RF1`);
    expect(await read(refunded('RF1', bare))).toMatchObject({ tradeNo: TRADE, refundId: 'RF1', orderId: undefined });
  });

  it('leaves the order id out when it would pass 1024 bytes, keeping the refund readable', async () => {
    const room = 1024 - `${TRADE}|RF1;order:`.length;
    expect(reqReservedOf(TRADE, 'RF1', 'o'.repeat(room))).toBe(`${TRADE}|RF1;order:${'o'.repeat(room)}`);
    const cut = reqReservedOf(TRADE, 'RF1', 'o'.repeat(room + 1));
    expect(cut).toBe(`${TRADE}|RF1`);
    expect(await read(refunded('RF1', cut))).toMatchObject({ refundId: 'RF1', orderId: undefined });
  });

  it('refuses a refund whose reqReserved names no refund of this payment: ORDER_NOT_FOUND', async () => {
    for (const reserved of [`${TRADE}|`, `|RF1`, `${TRADE}RF1`, `P-1|RF1`, `${TRADE}|RF2`, `;order:A|RF1`]) {
      await expectAsyncRefusal(() => read(refunded('RF1', reserved)), 'ORDER_NOT_FOUND', /which paymount did not send/);
    }
    await expectAsyncRefusal(() => read(refunded('', `${TRADE}|`)), 'ORDER_NOT_FOUND');
  });
});
