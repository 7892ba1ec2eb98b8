import { encodeForm } from '../../wire/form.js';
import { fenToYuan } from '../../wire/money.js';
import { beijingDateTime } from '../../wire/time.js';
import type { CheckoutInput, CheckoutOutput } from '../../spi/provider.js';
import type { AlipayConfig } from './config.js';
import { commonParams, signRequest } from './sign.js';

/** Parameters that travel in the URL of a POST form; the rest (biz_content) go in the body. */
const URL_PARAMS = new Set([
  'app_id',
  'method',
  'format',
  'charset',
  'sign_type',
  'sign',
  'timestamp',
  'version',
  'notify_url',
  'return_url',
  'app_cert_sn',
  'alipay_root_cert_sn',
]);

const OUT_TRADE_NO = /^[A-Za-z0-9_-]{1,64}$/;

/** Why `tradeNo` cannot be an Alipay `out_trade_no`, or `undefined` when it can. */
export function checkTradeNo(tradeNo: string): string | undefined {
  return OUT_TRADE_NO.test(tradeNo) ? undefined : 'Alipay out_trade_no is 1–64 of letters, digits, "_" and "-"';
}

/**
 * Order fields both payment methods share; amounts become yuan strings here and nowhere else.
 * `passback_params` carries the host's order id (Alipay wants it URL-encoded): the signed notify
 * echoes it, so a trade number still leads to its order when the store has forgotten it.
 */
function bizOf(input: CheckoutInput, productCode: string): Record<string, string> {
  const { order } = input;
  const biz: Record<string, string> = {
    out_trade_no: input.tradeNo,
    total_amount: fenToYuan(order.amount),
    subject: order.subject.slice(0, 256),
    product_code: productCode,
    passback_params: encodeURIComponent(order.id),
  };
  if (order.description) biz.body = order.description.slice(0, 128);
  if (order.expiresAt) biz.time_expire = beijingDateTime(order.expiresAt);
  return biz;
}

/**
 * WAP (`alipay.trade.wap.pay`): no server call; the signed request is the cashier URL (GET) or an
 * auto-submitting form (POST). `quit_url` sends a buyer who backs out to the result page.
 */
export async function wapCheckout(config: AlipayConfig, input: CheckoutInput, now: Date): Promise<CheckoutOutput> {
  const biz = { ...bizOf(input, 'QUICK_WAP_WAY'), quit_url: input.resultUrl };
  const params = await signRequest(config, {
    ...commonParams(config, 'alipay.trade.wap.pay', now),
    notify_url: input.notifyUrl,
    return_url: input.returnUrl,
    biz_content: JSON.stringify(biz),
  });
  const joiner = config.gateway.includes('?') ? '&' : '?';
  if (config.wapMethod === 'GET')
    return { result: { type: 'redirect', url: `${config.gateway}${joiner}${encodeForm(params)}` } };
  const inUrl = Object.fromEntries(Object.entries(params).filter(([k]) => URL_PARAMS.has(k)));
  const fields = Object.fromEntries(Object.entries(params).filter(([k]) => !URL_PARAMS.has(k)));
  return { result: { type: 'form', action: `${config.gateway}${joiner}${encodeForm(inUrl)}`, method: 'POST', fields } };
}

/** APP (`alipay.trade.app.pay`): the signed `orderString` the Alipay SDK takes, verbatim. */
export async function appCheckout(config: AlipayConfig, input: CheckoutInput, now: Date): Promise<CheckoutOutput> {
  const params = await signRequest(config, {
    ...commonParams(config, 'alipay.trade.app.pay', now),
    notify_url: input.notifyUrl,
    biz_content: JSON.stringify(bizOf(input, 'QUICK_MSECURITY_PAY')),
  });
  return { result: { type: 'app', provider: 'alipay', params: { orderString: encodeForm(params) } } };
}

/** Checkout on either channel: WAP in the mobile browser, APP through the Alipay SDK. */
export function checkout(config: AlipayConfig, input: CheckoutInput, now: Date): Promise<CheckoutOutput> {
  return input.channel === 'app' ? appCheckout(config, input, now) : wapCheckout(config, input, now);
}
