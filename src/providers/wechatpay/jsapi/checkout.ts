import { RequestError } from '../../../errors/index.js';
import type { CheckoutInput, CheckoutOutput } from '../../../spi/provider.js';
import type { WechatApi } from '../client.js';
import type { WechatpayConfig } from '../config.js';
import { jsapiInvoke } from './page.js';

/** A `prepay_id` lives 2 hours; reuse it only with a margin for the buyer to pay. */
const PREPAY_REUSE_MS = 2 * 60 * 60 * 1000 - 10 * 60 * 1000;

/**
 * JSAPI (inside WeChat) and mini-program checkout: a prepay for the payer's openid under the
 * channel's app id — or the previous one of the same order, amount, app and payer while it lives —
 * then the signed parameters of the payment call, and for `jsapi` the page script that makes it.
 */
export async function jsapiCheckout(
  config: WechatpayConfig,
  api: WechatApi,
  input: CheckoutInput & { channel: 'jsapi' | 'mini' },
  now: Date,
): Promise<CheckoutOutput> {
  const { order, tradeNo, channel, openid } = input;
  const appId = config.appIds[channel];
  if (!appId)
    throw new RequestError(
      `WeChat Pay has no app id for channel ${channel}: set appId.${channel}`,
      'CHANNEL_UNSUPPORTED',
    );
  if (!openid) {
    throw new RequestError(
      `WeChat Pay ${channel} needs the payer's openid under appId.${channel} ` +
        (channel === 'mini'
          ? '(from wx.login and jscode2session)'
          : '(from web OAuth, or open the checkout link in WeChat)'),
    );
  }
  const previous = input.record;
  const reusable =
    previous?.channel === channel &&
    previous.version === api.version &&
    previous.appId === appId &&
    previous.openid === openid &&
    previous.amount === String(order.amount) &&
    previous.prepayId !== undefined &&
    now.getTime() - Number(previous.prepayAt) < PREPAY_REUSE_MS;
  const prepayId =
    reusable && previous.prepayId !== undefined
      ? previous.prepayId
      : await api.prepayJsapi({
          order,
          tradeNo,
          appId,
          notifyUrl: input.notifyUrl,
          clientIp: input.clientIp,
          channel,
          openid,
        });
  const record = reusable
    ? previous
    : {
        version: api.version,
        channel,
        appId,
        openid,
        prepayId,
        prepayAt: String(now.getTime()),
        amount: String(order.amount),
      };
  const params = await api.jsapiParams(appId, prepayId);
  return {
    result: { type: 'jsapi', provider: 'wechatpay', params },
    record,
    ...(channel === 'jsapi' ? { invoke: jsapiInvoke(input, params, config.jsapi?.bridgeScript ?? undefined) } : {}),
  };
}
