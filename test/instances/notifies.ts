import { createHash, createPrivateKey, randomBytes, sign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NOTIFY_SCHEDULE as ALIPAY_SCHEDULE } from '../../src/sandbox/alipay/notify.js';
import type { Sandbox } from '../../src/sandbox/index.js';
import { BACK_NOTIFY_SCHEDULE as UNIONPAY_SCHEDULE } from '../../src/sandbox/unionpay/notify.js';
import { NOTIFY_SCHEDULE as WECHATPAY_SCHEDULE, v2Ack } from '../../src/sandbox/wechatpay/notify.js';
import { formBody, sortedString, v3NotifyBody, xmlBody, type Pairs } from '../helpers/provider-messages.js';

/**
 * Paid notifies as the providers send them, for orders that no checkout went through: the fields
 * the sandbox's simulators send (docs/providers/*.md#notify), signed in this process with
 * node:crypto and the providers' own keys, which the sandbox keeps in its state dir. The soak
 * delivers most of its notifies this way, so that its CPU goes to the instances under test rather
 * than to checkouts and the sandbox's cashier.
 */

/** The providers' signing keys, as the sandbox saved them. */
export interface ProviderKeys {
  /** Alipay's RSA2 key: the private half of `alipayPublicKey`. */
  alipay: KeyObject;
  /** The private half of the WeChat Pay public key (public-key mode), and its `PUB_KEY_ID_…`. */
  wechatpay: { key: KeyObject; serial: string };
  /** UnionPay's signing certificate (CR LF line breaks, sent as `signPubKeyCert`) and its key. */
  unionpay: { key: KeyObject; certPem: string };
}

const identityIn = (stateDir: string, name: string) =>
  (JSON.parse(readFileSync(join(stateDir, `${name}.json`), 'utf8')) as { identity: Record<string, unknown> }).identity;

/** Reads the providers' keys from the state dir of a running sandbox (`startSandbox({ stateDir })`). */
export function readProviderKeys(stateDir: string): ProviderKeys {
  const alipay = identityIn(stateDir, 'alipay') as { alipayKey: string };
  const wechatpay = identityIn(stateDir, 'wechatpay') as { publicKey: string; publicKeyId: string };
  const unionpay = identityIn(stateDir, 'unionpay') as { signing: { key: string; cert: string } };
  return {
    alipay: createPrivateKey(alipay.alipayKey),
    wechatpay: { key: createPrivateKey(wechatpay.publicKey), serial: wechatpay.publicKeyId },
    unionpay: { key: createPrivateKey(unionpay.signing.key), certPem: unionpay.signing.cert },
  };
}

export type NotifyProvider = 'alipay' | 'wechatpay' | 'unionpay';

/** One signed notify, ready to be posted (and posted again) to any instance. */
export interface Notify {
  provider: NotifyProvider;
  mount: '/pay' | '/pay-v2';
  orderId: string;
  /** The payment's idempotency key, `<provider>:<transaction id>`, as the instances log it. */
  key: string;
  /** Path below the instance's origin. */
  path: string;
  headers: Record<string, string>;
  body: Buffer;
  /** The provider's waits between attempts, in provider time (ms). */
  schedule: readonly number[];
  /** Whether an answer is the provider's success acknowledgement. */
  isAck(status: number, body: string): boolean;
}

/** SHA256withRSA, base64, on the libuv thread pool (the callback form of `crypto.sign`), off the event loop. */
const rsaSha256 = (key: KeyObject, text: string) =>
  new Promise<string>((resolve, reject) =>
    sign('sha256', Buffer.from(text, 'utf8'), key, (error, signature) =>
      error ? reject(error) : resolve(signature.toString('base64')),
    ),
  );

const pad = (n: number, width = 2) => String(n).padStart(width, '0');
/** Beijing time (UTC+8) as `yyyy-MM-dd HH:mm:ss` parts, the providers' clock. */
function beijing(at: Date) {
  const b = new Date(at.getTime() + 8 * 3600_000);
  const [y, mo, d, h, mi, s] = [
    b.getUTCFullYear(),
    pad(b.getUTCMonth() + 1),
    pad(b.getUTCDate()),
    pad(b.getUTCHours()),
    pad(b.getUTCMinutes()),
    pad(b.getUTCSeconds()),
  ];
  return {
    dateTime: `${y}-${mo}-${d} ${h}:${mi}:${s}`,
    compact: `${y}${mo}${d}${h}${mi}${s}`,
    rfc3339: `${y}-${mo}-${d}T${h}:${mi}:${s}+08:00`,
  };
}
/** The merchant's app id for the APP channel (the channel the soak checks out with). */
const appAppId = (appId: string | { app?: string }) => (typeof appId === 'string' ? appId : (appId.app ?? ''));
const yuan = (fen: number) => `${Math.floor(fen / 100)}.${pad(fen % 100)}`;

/** What the notifies are built from: the merchants the instances are configured with, and the keys. */
export interface NotifyContext {
  sandbox: Pick<Sandbox, 'alipay' | 'wechatpay' | 'wechatpayV2' | 'unionpay'>;
  keys: ProviderKeys;
}

/**
 * Alipay's `TRADE_SUCCESS` notify ("异步通知说明"): a form, RSA2 over the sorted fields without
 * `sign` and `sign_type`, Alipay's malformed Content-Type.
 */
async function alipayNotify(ctx: NotifyContext, orderId: string, fen: number, serial: string): Promise<Notify> {
  const { appId, sellerId } = ctx.sandbox.alipay;
  const now = beijing(new Date());
  const tradeNo = `${now.compact.slice(0, 8)}2200${serial.padStart(16, '0')}`;
  const pairs: Pairs = [
    ['notify_time', now.dateTime],
    ['notify_type', 'trade_status_sync'],
    ['notify_id', `${now.compact}${randomBytes(12).toString('hex')}`],
    ['app_id', appId],
    ['auth_app_id', appId],
    ['charset', 'utf-8'],
    ['version', '1.0'],
    ['trade_no', tradeNo],
    ['out_trade_no', orderId],
    ['buyer_id', '2088102000000042'],
    ['buyer_logon_id', 'buy***@paymount.test'],
    ['seller_id', sellerId ?? ''],
    ['seller_email', 'sandbox-seller@paymount.test'],
    ['trade_status', 'TRADE_SUCCESS'],
    ['total_amount', yuan(fen)],
    ['receipt_amount', yuan(fen)],
    ['invoice_amount', yuan(fen)],
    ['buyer_pay_amount', yuan(fen)],
    ['point_amount', '0.00'],
    ['subject', 'Instance test order'],
    ['gmt_create', now.dateTime],
    ['gmt_payment', now.dateTime],
    ['fund_bill_list', JSON.stringify([{ amount: yuan(fen), fundChannel: 'ALIPAYACCOUNT' }])],
    // paymount's checkout sends the order id URL-encoded; Alipay echoes it as sent.
    ['passback_params', encodeURIComponent(orderId)],
  ];
  const signature = await rsaSha256(ctx.keys.alipay, sortedString(pairs, ['sign', 'sign_type']));
  return {
    provider: 'alipay',
    mount: '/pay',
    orderId,
    key: `alipay:${tradeNo}`,
    path: '/pay/notify/alipay',
    headers: { 'content-type': 'application/x-www-form-urlencoded; text/html; charset=UTF-8' },
    body: Buffer.from(formBody([...pairs, ['sign', signature], ['sign_type', 'RSA2']])),
    schedule: ALIPAY_SCHEDULE,
    isAck: (status, body) => status === 200 && body === 'success',
  };
}

/**
 * WeChat Pay API v3 "支付结果通知": the transaction AES-256-GCM encrypted under the merchant's APIv3
 * key, the `Wechatpay-*` headers signed over `timestamp\nnonce\nbody\n` with the WeChat Pay
 * public key's private half. Acknowledged by 200 or 204.
 */
async function wechatV3Notify(ctx: NotifyContext, orderId: string, fen: number, serial: string): Promise<Notify> {
  const merchant = ctx.sandbox.wechatpay;
  const now = new Date();
  const transactionId = `4200${serial.padStart(24, '0')}`;
  const resource = JSON.stringify({
    appid: appAppId(merchant.appId),
    mchid: merchant.mchId,
    out_trade_no: orderId,
    transaction_id: transactionId,
    trade_type: 'APP',
    trade_state: 'SUCCESS',
    trade_state_desc: '支付成功',
    bank_type: 'OTHERS',
    success_time: beijing(now).rfc3339,
    payer: { openid: `o${createHash('sha256').update(orderId).digest('hex').slice(0, 27)}` },
    attach: orderId,
    amount: { total: fen, payer_total: fen, currency: 'CNY', payer_currency: 'CNY' },
  });
  const body = v3NotifyBody(merchant.v3!.apiV3Key, resource, beijing(now).rfc3339);
  // Within WeChat Pay's 5-minute window for the whole run, so every attempt may send these bytes.
  const timestamp = String(Math.floor(now.getTime() / 1000));
  const nonceStr = randomBytes(16).toString('hex');
  const signature = await rsaSha256(ctx.keys.wechatpay.key, `${timestamp}\n${nonceStr}\n${body}\n`);
  return {
    provider: 'wechatpay',
    mount: '/pay',
    orderId,
    key: `wechatpay:${transactionId}`,
    path: '/pay/notify/wechatpay',
    headers: {
      'content-type': 'application/json',
      'wechatpay-timestamp': timestamp,
      'wechatpay-nonce': nonceStr,
      'wechatpay-signature': signature,
      'wechatpay-serial': ctx.keys.wechatpay.serial,
      'wechatpay-signature-type': 'WECHATPAY2-SHA256-RSA2048',
    },
    body: Buffer.from(body),
    schedule: WECHATPAY_SCHEDULE,
    isAck: (status) => status === 200 || status === 204,
  };
}

/**
 * WeChat Pay API v2 "支付结果通知": XML, MD5 of the sorted fields with `&key=<API key>` appended,
 * upper-case hex. Acknowledged by `<xml><return_code>SUCCESS</return_code>…`.
 */
function wechatV2Notify(ctx: NotifyContext, orderId: string, fen: number, serial: string): Notify {
  const merchant = ctx.sandbox.wechatpayV2;
  const apiKey = merchant.v2!.apiKey;
  const transactionId = `4200${serial.padStart(24, '0')}`;
  const pairs: Pairs = [
    ['return_code', 'SUCCESS'],
    ['result_code', 'SUCCESS'],
    ['appid', appAppId(merchant.appId)],
    ['mch_id', merchant.mchId],
    ['nonce_str', randomBytes(16).toString('hex')],
    ['openid', `o${createHash('sha256').update(orderId).digest('hex').slice(0, 27)}`],
    ['is_subscribe', 'N'],
    ['trade_type', 'APP'],
    ['bank_type', 'OTHERS'],
    ['total_fee', String(fen)],
    ['fee_type', 'CNY'],
    ['cash_fee', String(fen)],
    ['cash_fee_type', 'CNY'],
    ['transaction_id', transactionId],
    ['out_trade_no', orderId],
    ['attach', orderId],
    ['time_end', beijing(new Date()).compact],
  ];
  const digest = createHash('md5')
    .update(`${sortedString(pairs, ['sign'])}&key=${apiKey}`, 'utf8')
    .digest('hex')
    .toUpperCase();
  return {
    provider: 'wechatpay',
    mount: '/pay-v2',
    orderId,
    key: `wechatpay:${transactionId}`,
    path: '/pay-v2/notify/wechatpay',
    headers: { 'content-type': 'text/xml' },
    body: Buffer.from(xmlBody([...pairs, ['sign', digest]])),
    schedule: WECHATPAY_SCHEDULE,
    isAck: v2Ack,
  };
}

/**
 * UnionPay ACP 5.1.0 back notify: `signPubKeyCert` is signed too; SHA-256 of the sorted fields
 * as lower-case hex, that hex signed SHA256withRSA. Acknowledged by HTTP 200 (or 302).
 */
async function unionpayNotify(ctx: NotifyContext, orderId: string, fen: number, serial: string): Promise<Notify> {
  const now = beijing(new Date());
  const queryId = `${now.compact.slice(2, 14)}${serial.padStart(9, '0')}`;
  const pairs: Pairs = [
    ['version', '5.1.0'],
    ['encoding', 'UTF-8'],
    ['accessType', '0'],
    ['bizType', '000201'],
    ['merId', ctx.sandbox.unionpay.merId],
    ['orderId', orderId],
    ['txnTime', now.compact],
    ['txnType', '01'],
    ['txnSubType', '01'],
    ['txnAmt', String(fen)],
    ['currencyCode', '156'],
    ['respCode', '00'],
    ['respMsg', '成功[0000000]'],
    ['reqReserved', `order:${encodeURIComponent(orderId)}`],
    ['queryId', queryId],
    ['traceNo', queryId.slice(-6)],
    ['traceTime', now.compact.slice(4)],
    ['settleDate', now.compact.slice(4, 8)],
    ['settleAmt', String(fen)],
    ['settleCurrencyCode', '156'],
    ['accNo', '6216***********0018'],
    ['signMethod', '01'],
    ['signPubKeyCert', ctx.keys.unionpay.certPem],
  ];
  const digest = createHash('sha256')
    .update(sortedString(pairs, ['signature']), 'utf8')
    .digest('hex');
  const signature = await rsaSha256(ctx.keys.unionpay.key, digest);
  return {
    provider: 'unionpay',
    mount: '/pay',
    orderId,
    key: `unionpay:${queryId}`,
    path: '/pay/notify/unionpay',
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' },
    body: Buffer.from(formBody([...pairs, ['signature', signature]])),
    schedule: UNIONPAY_SCHEDULE,
    isAck: (status) => status === 200 || status === 302,
  };
}

/**
 * The paid notify of `orderId` (`fen` fen) at `provider` (`/pay-v2`: WeChat Pay API v2), with a
 * transaction id made of `serial` (unique within a run).
 */
export function paidNotify(
  ctx: NotifyContext,
  kind: { provider: NotifyProvider; mount: '/pay' | '/pay-v2' },
  orderId: string,
  fen: number,
  serial: number,
): Promise<Notify> {
  const id = String(serial);
  if (kind.provider === 'alipay') return alipayNotify(ctx, orderId, fen, id);
  if (kind.provider === 'unionpay') return unionpayNotify(ctx, orderId, fen, id);
  return kind.mount === '/pay-v2'
    ? Promise.resolve(wechatV2Notify(ctx, orderId, fen, id))
    : wechatV3Notify(ctx, orderId, fen, id);
}
