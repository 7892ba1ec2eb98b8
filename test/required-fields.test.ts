import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alipay, createPayments, unionpay, wechatpay } from '../src/index.js';
import {
  alipayOptions,
  alipayPaid,
  formBody,
  signAlipay,
  signUnionpay,
  signWechatV2,
  unionpayOptions,
  unionpayPaid,
  wechatV2Paid,
  wechatV3Notify,
  wechatV3Options,
  wechatV3Transaction,
  WECHAT_V2_KEY,
  xmlBody,
  type Pairs,
} from './helpers/provider-messages.js';
import { createShop, startApp, type Framework, type RunningApp, type TestShop } from './helpers/shop.js';

/**
 * Providers sign the sorted `k=v&k=v` string of raw values, so a field folded into its
 * neighbour's value keeps the signature valid (docs/after-payment.md#fields-that-must-be-there).
 * Each case is a validly signed paid notify whose merchant or app id was folded away or dropped:
 * the shop must answer 4xx in the provider's format, never call `onPaid`, and tell `onMismatch`
 * which field is missing. The same message untouched is paid, so each refusal is the field's doing.
 */

let seq = 0;
const next = () => `${Date.now().toString(36)}${String(++seq).padStart(4, '0')}`;
/** Provider transaction ids are digits only (WeChat Pay checks it): a per-run counter, zero-padded. */
const digits = (width: number) =>
  `${Date.now() % 1e6}${String(++seq).padStart(4, '0')}`.padStart(width, '0').slice(-width);

/** Moves `field` into the value of the pair before it, as `prev=v&field=w`: the signed string is unchanged. */
function fold(pairs: Pairs, field: string, into: string): Pairs {
  const moved = pairs.find(([k]) => k === field)!;
  return pairs
    .filter(([k]) => k !== field)
    .map(([k, v]): [string, string] => (k === into ? [k, `${v}&${moved[0]}=${moved[1]}`] : [k, v]));
}

const drop = (pairs: Pairs, field: string): Pairs => pairs.filter(([k]) => k !== field);

interface World {
  app: RunningApp;
  shop: TestShop;
  post(provider: string, body: string, headers: Record<string, string>): Promise<{ status: number; text: string }>;
}

async function world(framework: Framework): Promise<World> {
  const app = await startApp(framework);
  const shop = createShop();
  app.use(
    createPayments({
      publicUrl: app.publicUrl,
      providers: {
        alipay: alipay(alipayOptions()),
        wechatpay: wechatpay({ ...wechatV3Options(), v2: { apiKey: WECHAT_V2_KEY, signType: 'MD5' } }),
        unionpay: unionpay(unionpayOptions()),
      },
      ...shop.hooks,
      logger: false,
    }),
  );
  return {
    app,
    shop,
    async post(provider, body, headers) {
      const res = await fetch(`${app.publicUrl}/notify/${provider}`, { method: 'POST', headers, body });
      return { status: res.status, text: await res.text() };
    },
  };
}

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const XML = { 'content-type': 'text/xml' };

describe.each<Framework>(['express', 'koa'])('required fields, over %s', (framework) => {
  let w: World;
  beforeAll(async () => {
    w = await world(framework);
  });
  afterAll(async () => {
    await w.app.close();
  });

  /** Sends `message` for a fresh order; expects the refusal, no onPaid, and onMismatch naming `field`. */
  async function refused(orderId: string, send: () => Promise<{ status: number; text: string }>, field: string) {
    const res = await send();
    expect(res.status).toBe(409);
    expect(w.shop.paid.filter((p) => p.orderId === orderId)).toEqual([]);
    const mismatch = w.shop.mismatches.filter((m) => m.orderId === orderId);
    expect(mismatch).toMatchObject([{ reason: 'missing', field }]);
    expect(mismatch[0]!.message).toContain(field);
    return res;
  }

  describe('Alipay', () => {
    const paid = (id: string) => alipayPaid(id, `2026112922001446${digits(12)}`, '1.00');

    it('pays the message untouched', async () => {
      const order = w.shop.addOrder({ id: `A${next()}`, amount: 100 });
      const res = await w.post('alipay', formBody(signAlipay(paid(order.id))), FORM);
      expect(res).toEqual({ status: 200, text: 'success' });
      expect(w.shop.paid.filter((p) => p.orderId === order.id)).toHaveLength(1);
    });

    it("refuses another seller's notify with seller_id folded into seller_email (signature unchanged)", async () => {
      const order = w.shop.addOrder({ id: `A${next()}`, amount: 100 });
      const otherSeller = paid(order.id).map(([k, v]): [string, string] => [
        k,
        k === 'seller_id' ? '2088000000000001' : v,
      ]);
      const folded = fold(signAlipay(otherSeller), 'seller_id', 'seller_email');
      expect(new URLSearchParams(formBody(folded)).get('seller_email')).toBe(
        'shop@example.com&seller_id=2088000000000001',
      );
      const res = await refused(order.id, () => w.post('alipay', formBody(folded), FORM), 'seller_id');
      expect(res.text).toBe('fail');
    });

    it('refuses a notify without seller_id, re-signed', async () => {
      const order = w.shop.addOrder({ id: `A${next()}`, amount: 100 });
      await refused(
        order.id,
        () => w.post('alipay', formBody(signAlipay(drop(paid(order.id), 'seller_id'))), FORM),
        'seller_id',
      );
    });

    it('refuses a notify without app_id, re-signed', async () => {
      const order = w.shop.addOrder({ id: `A${next()}`, amount: 100 });
      await refused(
        order.id,
        () => w.post('alipay', formBody(signAlipay(drop(paid(order.id), 'app_id'))), FORM),
        'app_id',
      );
    });
  });

  describe('WeChat Pay v2', () => {
    const paid = (id: string) => wechatV2Paid(id, `42000000002026112900${digits(8)}`, 100);

    it('pays the message untouched', async () => {
      const order = w.shop.addOrder({ id: `W${next()}`, amount: 100 });
      const res = await w.post('wechatpay', xmlBody(signWechatV2(paid(order.id), 'MD5')), XML);
      expect(res.status).toBe(200);
      expect(res.text).toContain('SUCCESS');
      expect(w.shop.paid.filter((p) => p.orderId === order.id)).toHaveLength(1);
    });

    it('refuses a notify with mch_id folded into is_subscribe (sign unchanged)', async () => {
      const order = w.shop.addOrder({ id: `W${next()}`, amount: 100 });
      const folded = fold(signWechatV2(paid(order.id), 'MD5'), 'mch_id', 'is_subscribe');
      const res = await refused(order.id, () => w.post('wechatpay', xmlBody(folded), XML), 'mch_id');
      expect(res.text).toContain('<return_code><![CDATA[FAIL]]></return_code>');
    });

    it('refuses a notify without appid, re-signed', async () => {
      const order = w.shop.addOrder({ id: `W${next()}`, amount: 100 });
      const signed = signWechatV2(drop(paid(order.id), 'appid'), 'MD5');
      await refused(order.id, () => w.post('wechatpay', xmlBody(signed), XML), 'appid');
    });
  });

  describe('WeChat Pay v3', () => {
    const transaction = (id: string) => wechatV3Transaction(id, `42000000002026112901${digits(8)}`, 100);
    const send = (resource: Record<string, unknown>) => {
      const { headers, body } = wechatV3Notify(JSON.stringify(resource));
      return w.post('wechatpay', body, headers);
    };

    it('pays the message untouched', async () => {
      const order = w.shop.addOrder({ id: `V${next()}`, amount: 100 });
      expect(await send(transaction(order.id))).toEqual({ status: 204, text: '' });
      expect(w.shop.paid.filter((p) => p.orderId === order.id)).toHaveLength(1);
    });

    for (const field of ['mchid', 'appid']) {
      it(`refuses a resource without ${field}, re-encrypted and re-signed`, async () => {
        const order = w.shop.addOrder({ id: `V${next()}`, amount: 100 });
        const { [field]: _dropped, ...rest } = transaction(order.id);
        const res = await refused(order.id, () => send(rest), field);
        expect(JSON.parse(res.text)).toMatchObject({ code: 'FAIL' });
      });
    }
  });

  describe('UnionPay', () => {
    const paid = (id: string) => unionpayPaid(id, `78261129175012${digits(7)}`, 100);

    it('pays the message untouched', async () => {
      const order = w.shop.addOrder({ id: `U${next()}`, amount: 100 });
      expect(await w.post('unionpay', formBody(signUnionpay(paid(order.id))), FORM)).toEqual({
        status: 200,
        text: 'ok',
      });
      expect(w.shop.paid.filter((p) => p.orderId === order.id)).toHaveLength(1);
    });

    it("refuses another merchant's notify with merId folded into encoding (signature unchanged)", async () => {
      const order = w.shop.addOrder({ id: `U${next()}`, amount: 100 });
      const other = paid(order.id).map(([k, v]): [string, string] => [k, k === 'merId' ? '777290058199999' : v]);
      const folded = fold(signUnionpay(other), 'merId', 'encoding');
      const res = await refused(order.id, () => w.post('unionpay', formBody(folded), FORM), 'merId');
      expect(res.text).toMatch(/^fail: /);
    });

    it('refuses a notify without merId, re-signed', async () => {
      const order = w.shop.addOrder({ id: `U${next()}`, amount: 100 });
      await refused(
        order.id,
        () => w.post('unionpay', formBody(signUnionpay(drop(paid(order.id), 'merId'))), FORM),
        'merId',
      );
    });
  });
});
