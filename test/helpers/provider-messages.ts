import {
  createCipheriv,
  createHash,
  createHmac,
  createPrivateKey,
  createSign,
  randomBytes,
  randomUUID,
} from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AlipayOptions, UnionpayOptions, WechatpayOptions } from '../../src/index.js';
import { fixture } from './fixtures.js';

/**
 * Signed provider messages (paid notifies) built with node:crypto and this file's own sorted
 * string, never paymount's signing code (docs/architecture.md#layers), for the fixture merchants.
 * Messages are ordered `[key, value]` pairs so that tests can also send what a parser would
 * refuse: a key twice, a key holding `=` or `&`.
 */

export type Pairs = [key: string, value: string][];

/** No gateway is ever called in these tests: a closed local port, and never a live one. */
const NO_GATEWAY = 'http://127.0.0.1:9';

const byKey = (a: [string, string], b: [string, string]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

/** The sorted `k=v&k=v` of non-empty values, `skip` left out: what Alipay, WeChat Pay v2 and UnionPay sign. */
export function sortedString(pairs: Pairs, skip: readonly string[]): string {
  return pairs
    .filter(([k, v]) => v !== '' && !skip.includes(k))
    .sort(byKey)
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

const rsaSha256 = (key: Parameters<typeof createPrivateKey>[0], text: string) =>
  createSign('sha256').update(text, 'utf8').sign(createPrivateKey(key), 'base64');

/** A form body: each pair as given, in order, key and value percent-encoded. */
export function formBody(pairs: Pairs): string {
  return pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
}

/** `<xml>` with one element per pair, values in CDATA. */
export function xmlBody(pairs: Pairs): string {
  return `<xml>${pairs.map(([k, v]) => `<${k}><![CDATA[${v}]]></${k}>`).join('')}</xml>`;
}

// ---- Alipay -------------------------------------------------------------------------------

export const ALIPAY_APP_ID = '2021000122671080';
export const ALIPAY_SELLER_ID = '2088102177296610';

/** The fixture app, with a seller id (so `seller_id` is checked) and no live gateway. */
export function alipayOptions(): AlipayOptions {
  return {
    appId: ALIPAY_APP_ID,
    privateKey: fixture('alipay/app-private-pkcs8.pem'),
    alipayPublicKey: fixture('alipay/alipay-public.pem'),
    sellerId: ALIPAY_SELLER_ID,
    gateway: `${NO_GATEWAY}/gateway.do`,
  };
}

/** A `TRADE_SUCCESS` notify as Alipay sends it, unsigned (docs/providers/alipay.md#notify-fields). */
export function alipayPaid(tradeNo: string, tradeId: string, yuan: string): Pairs {
  return [
    ['notify_time', '2026-11-29 17:50:12'],
    ['notify_type', 'trade_status_sync'],
    ['notify_id', `n${tradeId}`],
    ['app_id', ALIPAY_APP_ID],
    ['auth_app_id', ALIPAY_APP_ID],
    ['charset', 'utf-8'],
    ['version', '1.0'],
    ['trade_no', tradeId],
    ['out_trade_no', tradeNo],
    ['buyer_id', '2088102177846880'],
    ['buyer_logon_id', 'buy***@example.com'],
    ['seller_id', ALIPAY_SELLER_ID],
    ['seller_email', 'shop@example.com'],
    ['trade_status', 'TRADE_SUCCESS'],
    ['total_amount', yuan],
    ['receipt_amount', yuan],
    ['buyer_pay_amount', yuan],
    ['subject', '测试商品'],
    ['gmt_create', '2026-11-29 17:49:20'],
    ['gmt_payment', '2026-11-29 17:50:12'],
    ['passback_params', encodeURIComponent(tradeNo)],
    ['fund_bill_list', `[{"amount":"${yuan}","fundChannel":"ALIPAYACCOUNT"}]`],
  ];
}

/** Signs like Alipay: RSA2 over the sorted string without `sign` and `sign_type`. */
export function signAlipay(pairs: Pairs): Pairs {
  const unsigned = pairs.filter(([k]) => k !== 'sign' && k !== 'sign_type');
  const sign = rsaSha256(fixture('alipay/alipay-private.pem'), sortedString(unsigned, []));
  return [...unsigned, ['sign', sign], ['sign_type', 'RSA2']];
}

// ---- WeChat Pay v2 ----------------------------------------------------------------------------

export const WECHAT_MCH_ID = '1230000109';
export const WECHAT_APP_ID = 'wxd678efh567hg6787';
export const WECHAT_V2_KEY = '192006250b4c09247ec02edce69f6a2d';
export const WECHAT_V3_KEY = 'K3'.repeat(16);
export const WECHAT_KEY_ID = 'PUB_KEY_ID_0114232134912410000000000000000001';

export function wechatV2Options(signType: 'MD5' | 'HMAC-SHA256'): WechatpayOptions {
  return { mchId: WECHAT_MCH_ID, appId: WECHAT_APP_ID, v2: { apiKey: WECHAT_V2_KEY, signType }, gateway: NO_GATEWAY };
}

/** A paid v2 notify, unsigned (docs/providers/wechatpay.md#notify). */
export function wechatV2Paid(tradeNo: string, transactionId: string, fen: number): Pairs {
  return [
    ['return_code', 'SUCCESS'],
    ['result_code', 'SUCCESS'],
    ['appid', WECHAT_APP_ID],
    ['mch_id', WECHAT_MCH_ID],
    ['nonce_str', randomBytes(8).toString('hex')],
    ['openid', 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o'],
    ['is_subscribe', 'N'],
    ['trade_type', 'MWEB'],
    ['bank_type', 'OTHERS'],
    ['total_fee', String(fen)],
    ['fee_type', 'CNY'],
    ['cash_fee', String(fen)],
    ['transaction_id', transactionId],
    ['out_trade_no', tradeNo],
    ['attach', tradeNo],
    ['time_end', '20261129175012'],
  ];
}

/** Signs like WeChat Pay v2: MD5 or HMAC-SHA256 of the sorted string with `&key=` appended, upper-case hex. */
export function signWechatV2(pairs: Pairs, signType: 'MD5' | 'HMAC-SHA256'): Pairs {
  const unsigned = pairs.filter(([k]) => k !== 'sign');
  const text = `${sortedString(unsigned, [])}&key=${WECHAT_V2_KEY}`;
  const digest =
    signType === 'MD5'
      ? createHash('md5').update(text, 'utf8').digest('hex')
      : createHmac('sha256', WECHAT_V2_KEY).update(text, 'utf8').digest('hex');
  return [...unsigned, ['sign', digest.toUpperCase()]];
}

// ---- WeChat Pay v3 ----------------------------------------------------------------------------

export function wechatV3Options(): WechatpayOptions {
  return {
    mchId: WECHAT_MCH_ID,
    appId: WECHAT_APP_ID,
    v3: {
      apiV3Key: WECHAT_V3_KEY,
      privateKey: fixture('wechatpay/merchant_key.pem'),
      certificateSerial: '444F4864EA9B34415D2A5BE1CF0A4C6B8B1B5CAB',
      platformPublicKey: fixture('wechatpay/platform_pub.pem'),
      platformPublicKeyId: WECHAT_KEY_ID,
    },
    gateway: NO_GATEWAY,
  };
}

/** The transaction of a paid v3 notify, as its decrypted resource reads (docs/providers/wechatpay.md#notify). */
export function wechatV3Transaction(tradeNo: string, transactionId: string, fen: number): Record<string, unknown> {
  return {
    appid: WECHAT_APP_ID,
    mchid: WECHAT_MCH_ID,
    out_trade_no: tradeNo,
    transaction_id: transactionId,
    trade_type: 'MWEB',
    trade_state: 'SUCCESS',
    trade_state_desc: '支付成功',
    bank_type: 'OTHERS',
    attach: tradeNo,
    success_time: '2026-11-29T17:50:12+08:00',
    payer: { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' },
    amount: { total: fen, payer_total: fen, currency: 'CNY', payer_currency: 'CNY' },
  };
}

/**
 * The JSON body of a WeChat Pay v3 notify: `resource` sealed with AEAD_AES_256_GCM under the merchant's
 * APIv3 key (associated data `transaction`, a fresh nonce), in the documented envelope.
 */
export function v3NotifyBody(apiV3Key: string, resource: string, createTime: string): string {
  const nonce = randomBytes(6).toString('hex');
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(apiV3Key, 'utf8'), Buffer.from(nonce, 'utf8'));
  cipher.setAAD(Buffer.from('transaction', 'utf8'));
  const sealed = Buffer.concat([cipher.update(resource, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return JSON.stringify({
    id: randomUUID(),
    create_time: createTime,
    resource_type: 'encrypt-resource',
    event_type: 'TRANSACTION.SUCCESS',
    summary: '支付成功',
    resource: {
      original_type: 'transaction',
      algorithm: 'AEAD_AES_256_GCM',
      ciphertext: sealed.toString('base64'),
      associated_data: 'transaction',
      nonce,
    },
  });
}

/**
 * A v3 notify around `resource` (the decrypted JSON text, exactly as given): AES-256-GCM with the
 * APIv3 key, then the `Wechatpay-*` headers signed over the body with the fixture platform key.
 */
export function wechatV3Notify(resource: string): { headers: Record<string, string>; body: string } {
  const body = v3NotifyBody(WECHAT_V3_KEY, resource, '2026-11-29T17:50:13+08:00');
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonceStr = randomUUID().replace(/-/g, '');
  const signature = rsaSha256(fixture('wechatpay/platform_key.pem'), `${timestamp}\n${nonceStr}\n${body}\n`);
  return {
    headers: {
      'content-type': 'application/json',
      'wechatpay-timestamp': timestamp,
      'wechatpay-nonce': nonceStr,
      'wechatpay-signature': signature,
      'wechatpay-serial': WECHAT_KEY_ID,
      'wechatpay-signature-type': 'WECHATPAY2-SHA256-RSA2048',
    },
    body,
  };
}

// ---- UnionPay ---------------------------------------------------------------------------------

export const UNIONPAY_MER_ID = '777290058110048';

export function unionpayOptions(): UnionpayOptions {
  return {
    merId: UNIONPAY_MER_ID,
    signCert: {
      pfx: readFileSync(new URL('../fixtures/unionpay/merchant.p12', import.meta.url)),
      passphrase: '000000',
    },
    middleCert: fixture('unionpay/up-middle.pem'),
    rootCert: fixture('unionpay/up-root.pem'),
    gateway: NO_GATEWAY,
  };
}

/** A successful payment's back notify, unsigned (docs/providers/unionpay.md#back-notify). */
export function unionpayPaid(tradeNo: string, queryId: string, fen: number): Pairs {
  return [
    ['accessType', '0'],
    ['bizType', '000201'],
    ['currencyCode', '156'],
    ['encoding', 'UTF-8'],
    ['merId', UNIONPAY_MER_ID],
    ['orderId', tradeNo],
    ['queryId', queryId],
    ['reqReserved', `order:${encodeURIComponent(tradeNo)}`],
    ['respCode', '00'],
    ['respMsg', '成功[0000000]'],
    ['settleAmt', String(fen)],
    ['settleCurrencyCode', '156'],
    ['settleDate', '1129'],
    ['signMethod', '01'],
    ['traceNo', queryId.slice(14, 20)],
    ['traceTime', '1129175012'],
    ['txnAmt', String(fen)],
    ['txnSubType', '01'],
    ['txnTime', '20261129174920'],
    ['txnType', '01'],
    ['version', '5.1.0'],
  ];
}

/**
 * Signs like UnionPay 5.1.0: `signPubKeyCert` (the fixture signing leaf, CR LF) is signed too;
 * SHA-256 of the sorted string as lower-case hex, that hex text signed SHA256withRSA.
 */
export function signUnionpay(pairs: Pairs): Pairs {
  const unsigned = pairs.filter(([k]) => k !== 'signature');
  if (!unsigned.some(([k]) => k === 'signPubKeyCert'))
    unsigned.push(['signPubKeyCert', fixture('unionpay/up-sign.pem').replace(/\r?\n/g, '\r\n')]);
  const digest = createHash('sha256').update(sortedString(unsigned, []), 'utf8').digest('hex');
  return [...unsigned, ['signature', rsaSha256(fixture('unionpay/up-sign.key'), digest)]];
}
