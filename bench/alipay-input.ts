import { sign, type KeyObject } from 'node:crypto';

/**
 * The Alipay notify the bench sends: a realistic `trade_status_sync` with 26 fields (sign and
 * sign_type included, about 1.3 KB form-encoded), signed the way Alipay signs it (V1 rule: every
 * field but `sign` and `sign_type`, sorted, raw values).
 */

export const APP_ID = '2021000122671080';
export const SELLER_ID = '2088102177296610';
/** 88.88 yuan. */
export const AMOUNT_FEN = 8888;
export const NOTIFY_PATH = '/pay/notify/alipay';

/** The unsigned fields of a paid notify for order `orderId` (its trade number follows the index). */
export function alipayNotifyFields(orderId: string, index = 0): Record<string, string> {
  const seq = String(index).padStart(8, '0');
  return {
    notify_time: '2026-11-25 17:50:12',
    notify_type: 'trade_status_sync',
    notify_id: `2026112500222175012046880592${seq}`,
    app_id: APP_ID,
    auth_app_id: APP_ID,
    charset: 'utf-8',
    version: '1.0',
    trade_no: `20261125220014468805${seq}`,
    out_trade_no: orderId,
    buyer_id: '2088102177846880',
    buyer_logon_id: 'xud***@126.com',
    seller_id: SELLER_ID,
    trade_status: 'TRADE_SUCCESS',
    total_amount: '88.88',
    receipt_amount: '88.88',
    invoice_amount: '88.88',
    buyer_pay_amount: '88.88',
    point_amount: '0.00',
    subject: '测试商品 - 年度会员 & 礼包',
    body: '年度会员一份，含赠品礼包；配送至上海市浦东新区',
    gmt_create: '2026-11-25 17:50:01',
    gmt_payment: '2026-11-25 17:50:12',
    fund_bill_list: '[{"amount":"80.00","fundChannel":"ALIPAYACCOUNT"},{"amount":"8.88","fundChannel":"COUPON"}]',
    // What paymount's checkout sends, and Alipay echoes still URL-encoded: the host's order id.
    passback_params: encodeURIComponent(orderId),
  };
}

/** The V1 sign string: sorted `k=v` of every non-empty field but sign and sign_type. */
export function v1String(fields: Readonly<Record<string, string>>): string {
  return Object.keys(fields)
    .filter((k) => k !== 'sign' && k !== 'sign_type' && fields[k] !== '')
    .sort()
    .map((k) => `${k}=${fields[k]}`)
    .join('&');
}

function signed(fields: Record<string, string>, signature: Buffer): Record<string, string> {
  return { ...fields, sign_type: 'RSA2', sign: signature.toString('base64') };
}

export function signNotifySync(fields: Record<string, string>, alipayKey: KeyObject): Record<string, string> {
  return signed(fields, sign('sha256', Buffer.from(v1String(fields), 'utf8'), alipayKey));
}

/** On the thread pool: pre-signing a pool of distinct notifies uses every core. */
export function signNotify(fields: Record<string, string>, alipayKey: KeyObject): Promise<Record<string, string>> {
  return new Promise((resolve, reject) =>
    sign('sha256', Buffer.from(v1String(fields), 'utf8'), alipayKey, (error, signature) =>
      error ? reject(error) : resolve(signed(fields, signature)),
    ),
  );
}

/** The form body as Alipay's notifier sends it (percent-encoded UTF-8, spaces as `+`). */
export function formBody(fields: Readonly<Record<string, string>>): string {
  return Object.entries(fields)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&')
    .replace(/%20/g, '+');
}

/** Alipay's own content type for notifies (two media types in one header). */
export const ALIPAY_CONTENT_TYPE = 'application/x-www-form-urlencoded; charset=utf-8';
