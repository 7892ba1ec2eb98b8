import { randomUUID } from 'node:crypto';
import { signRsaSync } from '../wire/rsa.js';
import { beijingRfc3339 } from '../wire/time.js';
import type { Delivery } from '../types.js';
import { gcmEncrypt, nonce, reqInfoEncrypt, v2Sign } from './crypto.js';
import type { SimState } from './state.js';
import type { Refund, Trade } from './trades.js';
import { requestId } from './v3.js';
import { refundNotifyJson, transactionJson, v2RefundInfo, v2TradeFields } from './views.js';
import { buildFlatXml, parseFlatXml, XmlError } from './xml.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/**
 * WeChat's retry waits after the first delivery (WeChat Pay "支付结果通知", v2 and v3 alike): 15
 * retries over 24h4m.
 */
export const NOTIFY_SCHEDULE: readonly number[] = [
  15 * SECOND,
  15 * SECOND,
  30 * SECOND,
  3 * MINUTE,
  10 * MINUTE,
  20 * MINUTE,
  30 * MINUTE,
  30 * MINUTE,
  30 * MINUTE,
  60 * MINUTE,
  3 * HOUR,
  3 * HOUR,
  3 * HOUR,
  6 * HOUR,
  6 * HOUR,
];

/** v3: only the HTTP status counts, 200 or 204. */
function v3Ack(status: number): boolean {
  return status === 200 || status === 204;
}

/** v2: HTTP 200 and exactly `<xml><return_code>SUCCESS</return_code>…</xml>`; `success`, JSON or HTML is failure. */
export function v2Ack(status: number, body: string): boolean {
  if (status !== 200) return false;
  try {
    return parseFlatXml(body).return_code === 'SUCCESS';
  } catch (error) {
    if (error instanceof XmlError) return false;
    throw error;
  }
}

/**
 * A v3 notify: JSON envelope with the resource AES-256-GCM encrypted under the merchant's APIv3
 * key, signed over `TIMESTAMP\nNONCE\nBODY\n` by the platform key the merchant verifies with.
 * Every attempt is re-signed with a fresh timestamp and nonce (a retry hours later must still pass
 * the 5-minute window); the first attempt may be a `WECHATPAY/SIGNTEST/` probe when one is queued.
 */
function deliverV3(
  state: SimState,
  trade: Trade,
  kind: 'payment' | 'refund',
  url: string,
  eventType: string,
  summary: string,
  originalType: string,
  payload: unknown,
): Delivery {
  const merchant = trade.merchant;
  const body = JSON.stringify({
    id: randomUUID(),
    create_time: beijingRfc3339(state.ctx.clock()),
    resource_type: 'encrypt-resource',
    event_type: eventType,
    summary,
    resource: { original_type: originalType, ...gcmEncrypt(merchant.apiV3Key, JSON.stringify(payload), originalType) },
  });
  let probe = state.probes.remaining > 0;
  if (probe) state.probes.remaining -= 1;
  const build = () => {
    const signer = state.platform.signerFor(merchant);
    const timestamp = String(Math.floor(state.ctx.clock().getTime() / 1000));
    const nonceStr = nonce(32);
    const signature = probe
      ? `WECHATPAY/SIGNTEST/${nonce(64)}`
      : signRsaSync(signer.key, `${timestamp}\n${nonceStr}\n${body}\n`);
    probe = false;
    return {
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Mozilla/4.0',
        'request-id': requestId(),
        'wechatpay-timestamp': timestamp,
        'wechatpay-nonce': nonceStr,
        'wechatpay-signature': signature,
        'wechatpay-serial': signer.serial,
        'wechatpay-signature-type': 'WECHATPAY2-SHA256-RSA2048',
      },
      body,
    };
  };
  const first = build();
  return state.ctx.notifier.deliver({
    provider: 'wechatpay',
    kind,
    orderId: trade.outTradeNo,
    url,
    headers: first.headers,
    body: first.body,
    schedule: NOTIFY_SCHEDULE,
    isAck: v3Ack,
    rebuild: build,
  });
}

function deliverV2(
  state: SimState,
  trade: Trade,
  kind: 'payment' | 'refund',
  url: string,
  fields: Record<string, string | undefined>,
): Delivery {
  return state.ctx.notifier.deliver({
    provider: 'wechatpay',
    kind,
    orderId: trade.outTradeNo,
    url,
    headers: { 'content-type': 'text/xml', 'user-agent': 'Mozilla/4.0' },
    body: buildFlatXml(fields),
    schedule: NOTIFY_SCHEDULE,
    isAck: v2Ack,
  });
}

/** Payment success notify to the order's `notify_url`, in the merchant's API version. */
export function notifyPayment(state: SimState, trade: Trade): Delivery {
  const merchant = trade.merchant;
  if (merchant.api === 'v3')
    return deliverV3(
      state,
      trade,
      'payment',
      trade.notifyUrl,
      'TRANSACTION.SUCCESS',
      '支付成功',
      'transaction',
      transactionJson(trade),
    );
  // The payment notify carries no sign_type: the merchant must take the algorithm from its config (P8).
  const fields: Record<string, string | undefined> = {
    return_code: 'SUCCESS',
    result_code: 'SUCCESS',
    nonce_str: nonce(32),
    ...v2TradeFields(trade),
  };
  fields.sign = v2Sign(fields, merchant.apiV2Key, merchant.signType);
  return deliverV2(state, trade, 'payment', trade.notifyUrl, fields);
}

/**
 * Refund result notify. v3 JSON (`REFUND.SUCCESS`, AAD "refund"), or v2 XML whose only payload is
 * `req_info` (AES-256-ECB under MD5(APIv2 key)) and which carries no `sign` — also what a v3
 * merchant receives for a refund started in the merchant platform (P12).
 */
export function notifyRefund(state: SimState, trade: Trade, refund: Refund): Delivery | undefined {
  if (!refund.notifyUrl) return undefined;
  const merchant = trade.merchant;
  if (refund.notifyApi === 'v3')
    return deliverV3(
      state,
      trade,
      'refund',
      refund.notifyUrl,
      'REFUND.SUCCESS',
      '退款成功',
      'refund',
      refundNotifyJson(trade, refund),
    );
  const reqInfo = reqInfoEncrypt(merchant.apiV2Key, buildFlatXml(v2RefundInfo(trade, refund), 'root'));
  return deliverV2(state, trade, 'refund', refund.notifyUrl, {
    return_code: 'SUCCESS',
    appid: trade.appId,
    mch_id: merchant.mchId,
    nonce_str: nonce(32),
    req_info: reqInfo,
  });
}

/** Refunds finish after a short (scaled) bank delay, then notify. */
export const REFUND_DELAY_MS = 60 * SECOND;

export function scheduleRefundCompletion(state: SimState, trade: Trade, refund: Refund): void {
  const timer = setTimeout(
    () => {
      state.timers.delete(timer);
      state.trades.completeRefund(refund);
      notifyRefund(state, trade, refund);
    },
    Math.max(1, Math.round(REFUND_DELAY_MS * state.ctx.timeScale)),
  );
  state.timers.add(timer);
}
