import { rsaSign } from '../../../wire/rsa.js';
import type { JsapiParams } from '../../../spi/types.js';
import type { PayerPrepayInput } from '../client.js';
import type { V3Config, WechatpayConfig } from '../config.js';
import { nonce, unixSeconds } from '../sign.js';
import { prepayBody } from './checkout.js';
import { requires, type V3Send } from './client.js';

/**
 * `POST /v3/pay/transactions/jsapi`: one endpoint for official-account JSAPI and mini-program
 * payments, the app id telling them apart; `payer.openid` is required and must be that app's
 * (WeChat Pay API v3, JSAPI下单).
 */
export async function prepayJsapiV3(config: WechatpayConfig, send: V3Send, input: PayerPrepayInput): Promise<string> {
  const body = {
    ...prepayBody(config, input),
    payer: { openid: input.openid },
    ...(input.clientIp ? { scene_info: { payer_client_ip: input.clientIp } } : {}),
  };
  const answer = await send({
    method: 'POST',
    path: '/v3/pay/transactions/jsapi',
    body,
    what: input.channel === 'mini' ? 'mini-program prepay' : 'JSAPI prepay',
    check: requires('prepay_id'),
  });
  return String(answer.prepay_id);
}

/**
 * The page's message: `appId\ntimeStamp\nnonceStr\npackage\n`, each line ending in `\n`, the last
 * one too; `package` is `prepay_id=…` (APP signs the bare id instead) and `signType` is not signed
 * (WeChat Pay "JSAPI调起支付", https://pay.weixin.qq.com/doc/v3/merchant/4012791857).
 */
export function jsapiMessage(appId: string, timeStamp: string, nonceStr: string, pkg: string): string {
  return `${appId}\n${timeStamp}\n${nonceStr}\n${pkg}\n`;
}

/** The parameters of `getBrandWCPayRequest` / `wx.requestPayment`, signed SHA256withRSA with the merchant key. */
export async function jsapiParamsV3(
  v3: V3Config,
  clock: () => Date,
  appId: string,
  prepayId: string,
): Promise<JsapiParams> {
  const timeStamp = unixSeconds(clock);
  const nonceStr = nonce();
  const pkg = `prepay_id=${prepayId}`;
  const paySign = await rsaSign(v3.privateKey, jsapiMessage(appId, timeStamp, nonceStr, pkg));
  return { appId, timeStamp, nonceStr, package: pkg, signType: 'RSA', paySign };
}
