import { RequestError } from '../../../errors/index.js';
import { rsaSign } from '../../../wire/rsa.js';
import { beijingRfc3339 } from '../../../wire/time.js';
import { description } from '../checkout.js';
import { attachOf } from '../fields.js';
import type { PrepayInput } from '../client.js';
import type { V3Config, WechatpayConfig } from '../config.js';
import { nonce, unixSeconds } from '../sign.js';
import { requires, type V3Send } from './client.js';
import { appMessage } from './sign.js';

type Json = Record<string, unknown>;

/** The fields H5 and APP prepays share; `attach` echoes the host's order id (`fields.ts`). */
function prepayBody(config: WechatpayConfig, input: PrepayInput): Json {
  const { order } = input;
  const attach = attachOf(order.id, 'v3');
  return {
    appid: input.appId,
    mchid: config.mchId,
    description: description(order, input.tradeNo),
    out_trade_no: input.tradeNo,
    ...(order.expiresAt ? { time_expire: beijingRfc3339(order.expiresAt) } : {}),
    ...(attach ? { attach } : {}),
    notify_url: input.notifyUrl,
    amount: { total: order.amount, currency: 'CNY' },
  };
}

function h5Info(config: WechatpayConfig): Json {
  const h5 = config.h5;
  if (!h5) return { type: 'Wap' };
  const type = h5.bundleId ? 'iOS' : h5.packageName ? 'Android' : 'Wap';
  return {
    type,
    app_name: h5.appName,
    ...(h5.appUrl ? { app_url: h5.appUrl } : {}),
    ...(h5.bundleId ? { bundle_id: h5.bundleId } : {}),
    ...(h5.packageName ? { package_name: h5.packageName } : {}),
  };
}

/** `POST /v3/pay/transactions/h5`: the cashier URL `h5_url`. */
export async function prepayH5V3(config: WechatpayConfig, send: V3Send, input: PrepayInput): Promise<string> {
  if (!input.clientIp)
    throw new RequestError(
      "WeChat Pay H5 needs the payer's IP address (scene_info.payer_client_ip): pass clientIp, or make sure the " +
        "adapter sees the client's IP (trust proxy)",
    );
  const body = {
    ...prepayBody(config, input),
    scene_info: { payer_client_ip: input.clientIp, h5_info: h5Info(config) },
  };
  const answer = await send({
    method: 'POST',
    path: '/v3/pay/transactions/h5',
    body,
    what: 'H5 prepay',
    check: requires('h5_url'),
  });
  return String(answer.h5_url);
}

/** `POST /v3/pay/transactions/app`: the `prepay_id` the OpenSDK pays. */
export async function prepayAppV3(config: WechatpayConfig, send: V3Send, input: PrepayInput): Promise<string> {
  const body = {
    ...prepayBody(config, input),
    ...(input.clientIp ? { scene_info: { payer_client_ip: input.clientIp } } : {}),
  };
  const answer = await send({
    method: 'POST',
    path: '/v3/pay/transactions/app',
    body,
    what: 'APP prepay',
    check: requires('prepay_id'),
  });
  return String(answer.prepay_id);
}

/** The OpenSDK's parameters, signed with the merchant key over the APP client message. */
export async function appParamsV3(
  config: WechatpayConfig,
  v3: V3Config,
  clock: () => Date,
  appId: string,
  prepayId: string,
): Promise<Record<string, string>> {
  const timestamp = unixSeconds(clock);
  const noncestr = nonce();
  const sign = await rsaSign(v3.privateKey, appMessage(appId, timestamp, noncestr, prepayId));
  return {
    appid: appId,
    partnerid: config.mchId,
    prepayid: prepayId,
    package: 'Sign=WXPay',
    noncestr,
    timestamp,
    sign,
  };
}
