import { createPrivateKey } from 'node:crypto';
import { alipay } from '../../src/index.js';
import { fixture } from './fixtures.js';
import { formBody as urlEncoded, rsaSha256, sortedPairs } from './signing.js';

export const APP_ID = '2021000122671080';
export const SELLER_ID = '2088102177296610';
const alipayPrivate = createPrivateKey(fixture('alipay/alipay-private.pem'));

/**
 * The provider configured with the frozen fixture keys (no gateway needed for notify tests). Alipay's
 * sandbox gateway, not production: a production gateway needs a public HTTPS publicUrl.
 */
export function fixtureAlipay() {
  return alipay({
    appId: APP_ID,
    privateKey: fixture('alipay/app-private-pkcs8.pem'),
    alipayPublicKey: fixture('alipay/alipay-public.pem'),
    sellerId: SELLER_ID,
    gateway: 'sandbox',
  });
}

/** Notify fields as Alipay sends them for a paid order. */
export function notifyFields(
  orderId: string,
  totalAmount: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    notify_time: '2024-05-13 17:50:12',
    notify_type: 'trade_status_sync',
    notify_id: `n${orderId}`,
    app_id: APP_ID,
    charset: 'utf-8',
    version: '1.0',
    trade_no: `20240513220014468805${orderId.slice(-8).padStart(8, '0')}`,
    out_trade_no: orderId,
    buyer_id: '2088102177846880',
    seller_id: SELLER_ID,
    trade_status: 'TRADE_SUCCESS',
    total_amount: totalAmount,
    receipt_amount: totalAmount,
    gmt_payment: '2024-05-13 17:50:12',
    subject: '测试商品 & more',
    passback_params: 'a%3Db%26c%3Dd',
    fund_bill_list: `[{"amount":"${totalAmount}","fundChannel":"ALIPAYACCOUNT"}]`,
    ...extra,
  };
}

/**
 * Signs like Alipay signs a payment notify: RSA2 over the sorted string without `sign` and
 * `sign_type` (Alipay's "异步通知说明"), then `sign_type=RSA2` is added. With
 * `includeSignType` the content covers `sign_type` too, as Alipay's other notifications do.
 */
export function signNotify(
  fields: Record<string, string>,
  options: { includeSignType?: boolean } = {},
): Record<string, string> {
  const content = options.includeSignType
    ? sortedPairs({ ...fields, sign_type: 'RSA2' }, ['sign'])
    : sortedPairs(fields, ['sign', 'sign_type']);
  return { ...fields, sign: rsaSha256(alipayPrivate, content), sign_type: 'RSA2' };
}

/** The form body, spaces as "+", like Alipay's notifier. */
export function formBody(fields: Record<string, string>): string {
  return urlEncoded(fields);
}

/** Alipay's malformed notify content type (two media types). */
export const ALIPAY_CONTENT_TYPE = 'application/x-www-form-urlencoded; text/html; charset=UTF-8';
