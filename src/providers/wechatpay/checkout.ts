import { RequestError, type ProviderError } from '../../errors/index.js';
import type { CheckoutInput, CheckoutOutput } from '../../spi/provider.js';
import type { Channel, Order } from '../../spi/types.js';
import type { WechatApi } from './client.js';
import type { WechatpayConfig } from './config.js';
import { jsapiCheckout } from './jsapi/checkout.js';

/**
 * WeChat `out_trade_no`: 6–32 of letters, digits and `_-|*` (docs/providers/wechatpay.md#limits,
 * docs/architecture.md#trade-numbers).
 */
const OUT_TRADE_NO = /^[A-Za-z0-9_\-|*]{6,32}$/;

/** prepay_id lives 2 hours; reuse it only with a margin for the app to call the SDK. */
const PREPAY_REUSE_MS = 2 * 60 * 60 * 1000 - 10 * 60 * 1000;

/** Why `tradeNo` cannot be a WeChat `out_trade_no`, or `undefined` when it can. */
export function checkTradeNo(tradeNo: string): string | undefined {
  if (OUT_TRADE_NO.test(tradeNo)) return undefined;
  return 'WeChat Pay out_trade_no must be 6–32 characters of letters, digits and _-|*';
}

/**
 * Whether a checkout on `channel` may place the previous attempt's trade number again: WeChat
 * refuses an out_trade_no placed again with other parameters (H5 then APP: "201 商户订单号重复"),
 * and a JSAPI order is its payer's, so another openid needs another number.
 */
export function reusesTradeNumber(previous: Record<string, string>, channel: Channel, openid?: string): boolean {
  return previous.channel === channel && previous.openid === openid;
}

/**
 * A prepay refused because the out_trade_no was placed before with other parameters: v2 and the
 * documented v3 code `OUT_TRADE_NO_USED`, or v3 `INVALID_REQUEST` "201 商户订单号重复" (WeChat Pay
 * documentation, error codes of the prepay APIs: https://pay.weixin.qq.com/docs/merchant/apis/).
 */
export function tradeNumberTaken(error: ProviderError): boolean {
  return error.providerCode === 'OUT_TRADE_NO_USED' || error.message.includes('商户订单号重复');
}

/**
 * `redirect_url` appended to the cashier URL: back to `/return/wechatpay?orderId=<tradeNo>`. The
 * parameter keeps its name `orderId` so that cashier pages opened before an upgrade still return.
 */
export function withRedirect(cashierUrl: string, returnUrl: string, tradeNo: string): string {
  const target = `${returnUrl}?orderId=${encodeURIComponent(tradeNo)}`;
  return `${cashierUrl}${cashierUrl.includes('?') ? '&' : '?'}redirect_url=${encodeURIComponent(target)}`;
}

/** Descriptions are limited to 127 characters; longer subjects are cut rather than refused. */
export function description(order: Order, tradeNo: string): string {
  const text = order.subject || tradeNo;
  return Array.from(text).slice(0, 127).join('');
}

/**
 * H5: prepay, then the cashier URL with `redirect_url`. APP: prepay (or reuse a still-valid
 * prepay_id for the same amount and app id), then the signed parameter set for the OpenSDK.
 * JSAPI and mini-program: `jsapi/checkout.ts`.
 */
export async function wechatCheckout(
  config: WechatpayConfig,
  api: WechatApi,
  input: CheckoutInput,
  now: Date,
): Promise<CheckoutOutput> {
  const { order, tradeNo, channel } = input;
  if (channel === 'jsapi' || channel === 'mini') return jsapiCheckout(config, api, { ...input, channel }, now);
  const appId = config.appIds[channel];
  if (!appId)
    throw new RequestError(
      `WeChat Pay has no app id for channel ${channel}: set appId.${channel}`,
      'CHANNEL_UNSUPPORTED',
    );
  const prepay = { order, tradeNo, appId, notifyUrl: input.notifyUrl, clientIp: input.clientIp };
  if (channel === 'wap') {
    const url = await api.prepayH5(prepay);
    return {
      result: { type: 'redirect', url: withRedirect(url, input.returnUrl, tradeNo) },
      record: { version: api.version, channel, appId },
    };
  }
  const previous = input.record;
  const reusable =
    previous?.channel === 'app' &&
    previous.version === api.version &&
    previous.appId === appId &&
    previous.amount === String(order.amount) &&
    previous.prepayId !== undefined &&
    now.getTime() - Number(previous.prepayAt) < PREPAY_REUSE_MS;
  const prepayId = (reusable ? previous.prepayId : undefined) ?? (await api.prepayApp(prepay));
  const record = reusable
    ? previous
    : { version: api.version, channel, appId, prepayId, prepayAt: String(now.getTime()), amount: String(order.amount) };
  const params = await api.appParams(appId, prepayId);
  return { result: { type: 'app', provider: 'wechatpay', params }, record };
}
