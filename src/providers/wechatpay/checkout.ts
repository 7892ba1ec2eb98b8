import type { CheckoutInput, CheckoutOutput } from '../../spi/provider.js';
import type { WechatBackend } from './backend.js';
import type { WechatpayConfig } from './config.js';

/** prepay_id lives 2 hours; reuse it only with a margin for the app to call the SDK. */
const PREPAY_REUSE_MS = 2 * 60 * 60 * 1000 - 10 * 60 * 1000;

/** `redirect_url` appended to the cashier URL: back to `/return/wechatpay?orderId=…` (spec §A.6). */
export function withRedirect(cashierUrl: string, returnUrl: string, orderId: string): string {
  const target = `${returnUrl}?orderId=${encodeURIComponent(orderId)}`;
  return `${cashierUrl}${cashierUrl.includes('?') ? '&' : '?'}redirect_url=${encodeURIComponent(target)}`;
}

/**
 * H5: prepay, then the cashier URL with `redirect_url`. APP: prepay (or reuse a still-valid
 * prepay_id for the same amount and app id), then the signed parameter set for the OpenSDK.
 */
export async function wechatCheckout(
  config: WechatpayConfig,
  api: WechatBackend,
  input: CheckoutInput,
  now: Date,
): Promise<CheckoutOutput> {
  const { order, channel } = input;
  const appId = config.appIds[channel];
  const prepay = { order, appId, notifyUrl: input.notifyUrl, clientIp: input.clientIp };
  if (channel === 'wap') {
    const url = await api.prepayH5(prepay);
    return {
      result: { type: 'redirect', url: withRedirect(url, input.returnUrl, order.id) },
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
  const prepayId = reusable ? previous.prepayId! : await api.prepayApp(prepay);
  const record = reusable
    ? previous
    : { version: api.version, channel, appId, prepayId, prepayAt: String(now.getTime()), amount: String(order.amount) };
  const params = await api.appParams(appId, prepayId);
  return { result: { type: 'app', provider: 'wechatpay', params }, record };
}
