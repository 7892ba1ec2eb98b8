import type { ProviderEnv } from '../../../spi/provider.js';
import type { WechatApi } from '../client.js';
import type { V2Config, WechatpayConfig } from '../config.js';
import { appParamsV2, prepayAppV2, prepayH5V2 } from './checkout.js';
import { v2Send } from './client.js';
import { jsapiParamsV2, prepayJsapiV2 } from './jsapi.js';
import { closeV2, queryRefundV2, queryV2, refundV2 } from './operations.js';

/** API v2: signed XML with two-level result codes, mutual TLS for refunds. */
export function v2Api(config: WechatpayConfig, v2: V2Config, env: ProviderEnv): WechatApi {
  const send = v2Send(config, v2);
  return {
    version: 'v2',
    prepayH5: (input) => prepayH5V2(config, env.publicUrl, send, input),
    prepayApp: (input) => prepayAppV2(config, env.publicUrl, send, input),
    appParams: async (appId, prepayId) => appParamsV2(config, v2, env.clock, appId, prepayId),
    prepayJsapi: (input) => prepayJsapiV2(config, env.publicUrl, send, input),
    jsapiParams: async (appId, prepayId) => jsapiParamsV2(v2, env.clock, appId, prepayId),
    query: (tradeNo, appId) => queryV2(config, send, tradeNo, appId),
    close: (tradeNo, appId) => closeV2(send, tradeNo, appId),
    refund: (input) => refundV2(send, input),
    queryRefund: (input) => queryRefundV2(send, input.refundId, input.appId),
  };
}
