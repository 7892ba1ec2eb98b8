import { RequestError } from '../../../errors/index.js';
import { beijingCompact } from '../../../wire/time.js';
import { description } from '../checkout.js';
import { attachOf } from '../fields.js';
import type { PrepayInput } from '../client.js';
import type { V2Config, WechatpayConfig } from '../config.js';
import { nonce, unixSeconds } from '../sign.js';
import { requires, type V2Send } from './client.js';
import { v2Sign } from './sign.js';

/** The v2 scene_info for MWEB: a JSON *string* (an object would become nested XML, spec P9). */
function sceneInfo(config: WechatpayConfig, publicUrl: string): string {
  const h5 = config.h5;
  if (h5?.bundleId) return JSON.stringify({ h5_info: { type: 'IOS', app_name: h5.appName, bundle_id: h5.bundleId } });
  if (h5?.packageName)
    return JSON.stringify({ h5_info: { type: 'Android', app_name: h5.appName, package_name: h5.packageName } });
  const url = h5?.appUrl ?? new URL(publicUrl).origin;
  return JSON.stringify({ h5_info: { type: 'Wap', wap_url: url, wap_name: h5?.appName ?? new URL(url).host } });
}

/** The `/pay/unifiedorder` fields of an H5 (`MWEB`), APP or JSAPI prepay. */
export function prepayFields(
  config: WechatpayConfig,
  publicUrl: string,
  input: PrepayInput,
  tradeType: 'MWEB' | 'APP' | 'JSAPI',
): Record<string, string | undefined> {
  if (!input.clientIp) {
    throw new RequestError(
      "WeChat Pay needs the payer's IP address (spbill_create_ip): pass clientIp, or make sure the adapter sees " +
        "the client's IP (trust proxy)",
    );
  }
  const { order } = input;
  return {
    body: description(order, input.tradeNo),
    out_trade_no: input.tradeNo,
    total_fee: String(order.amount),
    fee_type: 'CNY',
    spbill_create_ip: input.clientIp,
    time_expire: order.expiresAt ? beijingCompact(order.expiresAt) : undefined,
    // Echoed in the notify and the query: the host's order id, when it fits (`fields.ts`).
    attach: attachOf(order.id, 'v2'),
    notify_url: input.notifyUrl,
    trade_type: tradeType,
    scene_info: tradeType === 'MWEB' ? sceneInfo(config, publicUrl) : undefined,
  };
}

/** `/pay/unifiedorder` with `trade_type=MWEB`: the cashier URL `mweb_url`. */
export async function prepayH5V2(
  config: WechatpayConfig,
  publicUrl: string,
  send: V2Send,
  input: PrepayInput,
): Promise<string> {
  const answer = await send({
    path: '/pay/unifiedorder',
    appId: input.appId,
    fields: prepayFields(config, publicUrl, input, 'MWEB'),
    what: 'unifiedorder (MWEB)',
    check: requires('mweb_url'),
  });
  if (answer.mweb_url === undefined) throw new Error('unifiedorder (MWEB) answer lacks mweb_url after its check');
  return answer.mweb_url;
}

/** `/pay/unifiedorder` with `trade_type=APP`: the `prepay_id` the OpenSDK pays. */
export async function prepayAppV2(
  config: WechatpayConfig,
  publicUrl: string,
  send: V2Send,
  input: PrepayInput,
): Promise<string> {
  const answer = await send({
    path: '/pay/unifiedorder',
    appId: input.appId,
    fields: prepayFields(config, publicUrl, input, 'APP'),
    what: 'unifiedorder (APP)',
    check: requires('prepay_id'),
  });
  if (answer.prepay_id === undefined) throw new Error('unifiedorder (APP) answer lacks prepay_id after its check');
  return answer.prepay_id;
}

/** The OpenSDK's parameters, signed with the API v2 key like every v2 message. */
export function appParamsV2(
  config: WechatpayConfig,
  v2: V2Config,
  clock: () => Date,
  appId: string,
  prepayId: string,
): Record<string, string> {
  const params: Record<string, string> = {
    appid: appId,
    partnerid: config.mchId,
    prepayid: prepayId,
    package: 'Sign=WXPay',
    noncestr: nonce(),
    timestamp: unixSeconds(clock),
  };
  return { ...params, sign: v2Sign(params, v2.apiKey, v2.signType) };
}
