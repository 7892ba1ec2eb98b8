import type { JsapiParams } from '../../../spi/types.js';
import type { PayerPrepayInput } from '../client.js';
import type { V2Config, WechatpayConfig } from '../config.js';
import { nonce, unixSeconds } from '../sign.js';
import { prepayFields } from './checkout.js';
import { requires, type V2Send } from './client.js';
import { v2Sign } from './sign.js';

/**
 * `/pay/unifiedorder` with `trade_type=JSAPI` and the payer's `openid` under `appid` (required
 * for JSAPI): a `prepay_id`, as for APP (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_1).
 */
export async function prepayJsapiV2(
  config: WechatpayConfig,
  publicUrl: string,
  send: V2Send,
  input: PayerPrepayInput,
): Promise<string> {
  const answer = await send({
    path: '/pay/unifiedorder',
    appId: input.appId,
    fields: { ...prepayFields(config, publicUrl, input, 'JSAPI'), openid: input.openid },
    what: input.channel === 'mini' ? 'unifiedorder (JSAPI, mini-program)' : 'unifiedorder (JSAPI)',
    check: requires('prepay_id'),
  });
  // `requires` above refused an answer without it.
  return answer.prepay_id ?? '';
}

/**
 * The page's parameters, `paySign` made like every v2 signature over exactly the five keys
 * `appId`, `timeStamp`, `nonceStr`, `package`, `signType` (case-sensitive, so sorted
 * `appId, nonceStr, package, signType, timeStamp`), with the algorithm the order was placed with
 * (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=7_7).
 */
export function jsapiParamsV2(v2: V2Config, clock: () => Date, appId: string, prepayId: string): JsapiParams {
  const fields = {
    appId,
    timeStamp: unixSeconds(clock),
    nonceStr: nonce(),
    package: `prepay_id=${prepayId}`,
    signType: v2.signType,
  };
  return { ...fields, paySign: v2Sign(fields, v2.apiKey, v2.signType) };
}
