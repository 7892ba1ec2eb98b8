import { createDecipheriv, createHash } from 'node:crypto';
import { RequestError, SignatureError } from '../../../errors/index.js';
import { parseFen } from '../../../wire/money.js';
import type { ProviderEvent } from '../../../spi/provider.js';
import { parseBeijing } from '../../../wire/time.js';
import { echoedOrderId, idMismatch, missingFrom } from '../fields.js';
import { channelOf, refundStatus } from '../operations.js';
import { PAID_FIELDS } from './operations.js';
import type { V2Config, WechatpayConfig } from '../config.js';
import { v2Verify } from './sign.js';
import { parseXml, type XmlFields } from './xml.js';

/**
 * `req_info`: AES-256-ECB with the 32 lower-case hex characters of MD5(API v2 key) as the key
 * (docs/providers/wechatpay.md#refund-notify).
 */
export function decryptReqInfo(reqInfo: string, apiKey: string): string {
  const key = Buffer.from(createHash('md5').update(apiKey, 'utf8').digest('hex'), 'ascii');
  try {
    const decipher = createDecipheriv('aes-256-ecb', key, null);
    return Buffer.concat([decipher.update(Buffer.from(reqInfo, 'base64')), decipher.final()]).toString('utf8');
  } catch {
    throw new SignatureError(
      'req_info does not decrypt with MD5(v2.apiKey): a forged refund notification, or v2.apiKey is wrong',
      'DECRYPT_FAILED',
    );
  }
}

const V2_IDS = { mch: 'mch_id', app: 'appid' };

/**
 * A v2 notification: a payment (signed with the API v2 key) or a refund (`req_info`, whose
 * successful decryption is the proof of origin — it carries no `sign`).
 */
export function parseV2Notify(config: WechatpayConfig, v2: V2Config, body: Buffer, clock: () => Date): ProviderEvent {
  const x = parseXml(body);
  if (x.return_code !== 'SUCCESS')
    throw new RequestError(
      `the notification says return_code=${x.return_code ?? '(none)'}: ${x.return_msg ?? 'no message'}`,
    );
  if (x.req_info !== undefined) return refundEvent(config, v2, x);
  return paymentEvent(config, v2, x, clock);
}

function paymentEvent(config: WechatpayConfig, v2: V2Config, x: XmlFields, clock: () => Date): ProviderEvent {
  // The algorithm is the configured one; a message naming another is refused, never followed (spec P8).
  if (x.sign_type !== undefined && x.sign_type !== v2.signType) {
    throw new SignatureError(
      `the notification is signed with ${x.sign_type} but v2.signType is ${v2.signType}: ` +
        'set v2.signType to the algorithm your orders use',
    );
  }
  if (!v2Verify(x, v2.apiKey, v2.signType)) {
    throw new SignatureError(
      `the notification sign does not verify with v2.apiKey (${v2.signType}): ` +
        'forged, altered, or v2.apiKey/signType is wrong',
    );
  }
  const tradeNo = x.out_trade_no;
  if (!tradeNo) throw new RequestError('the notification has no out_trade_no');
  // result_code is the payment's outcome: anything but its two values (absent, or another field
  // folded into it) is refused, never read as a failure.
  if (x.result_code !== 'SUCCESS' && x.result_code !== 'FAIL')
    throw new RequestError(`the notification has result_code ${JSON.stringify(x.result_code ?? '')}`);
  // A plain object already (`xml.ts`): handed on as it is.
  const raw = x;
  const orderId = echoedOrderId(x);
  const mismatch =
    idMismatch(config, x, V2_IDS) ??
    (x.fee_type && x.fee_type !== 'CNY'
      ? { reason: 'currency' as const, expected: 'CNY', actual: x.fee_type }
      : undefined);
  if (x.result_code === 'FAIL')
    return {
      type: 'closed',
      tradeNo,
      orderId,
      transactionId: x.transaction_id,
      reason: x.err_code ?? 'FAIL',
      raw,
      mismatch,
    };
  const amount = parseFen(x.total_fee ?? '');
  if (amount === undefined) throw new RequestError('total_fee is missing or not an integer of fen');
  if (!x.transaction_id || !/^\d{1,64}$/.test(x.transaction_id))
    throw new RequestError('transaction_id is missing or not digits');
  const paidAt = x.time_end ? parseBeijing(x.time_end) : undefined;
  if (x.time_end && !paidAt) throw new RequestError(`time_end "${x.time_end}" is not a time yyyyMMddHHmmss`);
  return {
    type: 'paid',
    tradeNo,
    orderId,
    transactionId: x.transaction_id,
    amount,
    paidAt: paidAt ?? clock(),
    channel: channelOf(x.trade_type, x.appid, config.appIds),
    payer: x.openid,
    raw,
    mismatch: mismatch ?? missingFrom(x, PAID_FIELDS),
  };
}

/** A refund: decrypting `req_info` proves its origin; the outer XML must still name this merchant and app. */
function refundEvent(config: WechatpayConfig, v2: V2Config, x: XmlFields): ProviderEvent {
  if (x.req_info === undefined) throw new RequestError('the refund notification has no req_info');
  const inner = parseXml(decryptReqInfo(x.req_info, v2.apiKey), 'root');
  const tradeNo = inner.out_trade_no;
  const refundId = inner.out_refund_no;
  if (!tradeNo || !refundId) throw new RequestError('req_info has no out_trade_no or out_refund_no');
  const amount = parseFen(inner.refund_fee ?? '');
  if (amount === undefined) throw new RequestError('req_info refund_fee is missing or not an integer of fen');
  if (!inner.refund_status) throw new RequestError('req_info has no refund_status');
  return {
    type: 'refunded',
    tradeNo,
    refundId,
    providerRefundId: inner.refund_id,
    amount,
    status: refundStatus(inner.refund_status),
    raw: { ...inner, appid: x.appid, mch_id: x.mch_id },
    mismatch: idMismatch(config, x, V2_IDS),
  };
}
