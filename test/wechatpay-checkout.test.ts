import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createPayments, wechatpay, RequestError } from '../src/index.js';
import { checkTradeNo, withRedirect } from '../src/providers/wechatpay/checkout.js';
import { wechatAck } from '../src/providers/wechatpay/ack.js';
import { createShop } from './helpers/shop.js';

const fx = (name: string) => readFileSync(new URL(`./fixtures/wechatpay/${name}`, import.meta.url), 'utf8');

function setup() {
  const shop = createShop();
  const payments = createPayments({
    publicUrl: 'https://shop.example.com/pay',
    // an unroutable gateway: these tests must fail before any request is sent
    providers: {
      wechatpay: wechatpay({
        mchId: '1230000109',
        appId: 'wxd678efh567hg6787',
        gateway: 'http://127.0.0.1:9',
        v3: {
          apiV3Key: 'K3'.repeat(16),
          privateKey: fx('merchant_key.pem'),
          certificateSerial: 'ABCDEF0123',
          platformPublicKey: fx('platform_pub.pem'),
          platformPublicKeyId: 'PUB_KEY_ID_01',
        },
      }),
    },
    ...shop.hooks,
    logger: false,
  });
  return { shop, payments };
}

describe('WeChat Pay checkout rules', () => {
  it('out_trade_no: 6–32 of [A-Za-z0-9_-|*]', () => {
    expect(checkTradeNo('T2024_01-a|b*c')).toBeUndefined();
    expect(checkTradeNo('abc12')).toMatch(/6–32/);
    expect(checkTradeNo('x'.repeat(33))).toMatch(/6–32/);
    expect(checkTradeNo('order@2024')).toMatch(/_-\|\*/);
  });
  it('H5 without the payer IP fails with a clear RequestError before calling WeChat', async () => {
    const { shop, payments } = setup();
    const order = shop.addOrder({ id: 'T20240222001', amount: 100 });
    const error = await payments
      .checkout({ provider: 'wechatpay', orderId: order.id, channel: 'wap' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestError);
    expect((error as Error).message).toMatch(/payer's IP address/);
  });
  it('names the rule an out_trade_no breaks (the core then derives a number that keeps it)', () => {
    expect(checkTradeNo('abc')).toMatch(/6–32 characters/);
    expect(checkTradeNo('a'.repeat(33))).toMatch(/6–32 characters/);
    expect(checkTradeNo('T|1*_-x')).toBeUndefined();
  });
  it('redirect_url is appended URL-encoded, with ? or &', () => {
    expect(
      withRedirect(
        'https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=wx1&package=2',
        'https://shop.example.com/pay/return/wechatpay',
        'T|1*',
      ),
    ).toBe(
      'https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=wx1&package=2&redirect_url=https%3A%2F%2Fshop.example.com%2Fpay%2Freturn%2Fwechatpay%3ForderId%3DT%257C1*',
    );
    expect(withRedirect('https://h5.example/pay', 'https://s/r', 'T00001')).toBe(
      'https://h5.example/pay?redirect_url=https%3A%2F%2Fs%2Fr%3ForderId%3DT00001',
    );
  });
  it('return: only the orderId of the query, validated; anything else is a 400', async () => {
    const { payments } = setup();
    const res = await payments.handle({
      method: 'GET',
      path: '/return/wechatpay',
      query: new URLSearchParams('orderId=../../evil'),
      headers: {},
    });
    expect(res?.status).toBe(400);
    const none = await payments.handle({
      method: 'GET',
      path: '/return/wechatpay',
      query: new URLSearchParams(''),
      headers: {},
    });
    expect(none?.status).toBe(400);
  });
  it('acks: v3 204 / FAIL JSON with the status; v2 exact SUCCESS / FAIL XML', () => {
    expect(wechatAck({ ok: true }, false)).toEqual({ status: 204, headers: {} });
    expect(wechatAck({ ok: false, status: 500, message: 'db\ndown' }, false)).toMatchObject({
      status: 500,
      body: '{"code":"FAIL","message":"db down"}',
    });
    expect(wechatAck({ ok: true }, true)).toMatchObject({
      status: 200,
      body: '<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>',
    });
    expect(wechatAck({ ok: false, status: 401, message: 'bad sign' }, true)).toMatchObject({
      status: 401,
      body: '<xml><return_code><![CDATA[FAIL]]></return_code><return_msg><![CDATA[bad sign]]></return_msg></xml>',
    });
  });
});
