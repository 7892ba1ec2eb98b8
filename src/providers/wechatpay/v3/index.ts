import type { ProviderEnv } from '../../../spi/provider.js';
import { wechatHttp, type WechatApi } from '../client.js';
import type { V3Config, WechatpayConfig } from '../config.js';
import { appParamsV3, prepayAppV3, prepayH5V3 } from './checkout.js';
import { v3Send } from './client.js';
import { jsapiParamsV3, prepayJsapiV3 } from './jsapi.js';
import { PlatformKeys } from './keys.js';
import { closeV3, queryRefundV3, queryV3, refundV3 } from './operations.js';

/** API v3 (signed JSON, verified answers), and the platform keys that verify its answers and notifications. */
export function v3Api(config: WechatpayConfig, v3: V3Config, env: ProviderEnv): WechatApi & { keys: PlatformKeys } {
  const signer = {
    mchId: config.mchId,
    serial: v3.serial,
    privateKey: v3.privateKey,
    gateway: config.gateway,
    clock: env.clock,
  };
  // The keys download their certificates through the same calls whose answers they verify.
  const send = v3Send(signer, wechatHttp(config), (serial) => keys.lookup(serial));
  const keys = new PlatformKeys(v3, config.mchId, send, env);
  return {
    version: 'v3',
    keys,
    prepayH5: (input) => prepayH5V3(config, send, input),
    prepayApp: (input) => prepayAppV3(config, send, input),
    appParams: (appId, prepayId) => appParamsV3(config, v3, env.clock, appId, prepayId),
    prepayJsapi: (input) => prepayJsapiV3(config, send, input),
    jsapiParams: (appId, prepayId) => jsapiParamsV3(v3, env.clock, appId, prepayId),
    query: (tradeNo) => queryV3(config, send, tradeNo),
    close: (tradeNo) => closeV3(config, send, tradeNo),
    refund: (input) => refundV3(send, input),
    queryRefund: (input) => queryRefundV3(send, input.refundId),
  };
}
