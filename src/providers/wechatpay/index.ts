import type { Provider, ProviderDefinition, ProviderEnv } from '../../spi/provider.js';
import { resolveProviderOptions } from '../../spi/provider.js';
import { notifyAck } from './ack.js';
import { checkTradeNo, reusesTradeNumber, tradeNumberTaken, wechatCheckout } from './checkout.js';
import { wechatHttp, type WechatApi } from './client.js';
import { CHANNELS } from '../../spi/types.js';
import { jsapiBrowserCallback, jsapiBrowserCheckout, WECHAT_BROWSER } from './jsapi/browser.js';
import { resolveWechatpayConfig, type WechatpayConfig, type WechatpayOptions } from './config.js';
import { parseWechatNotify } from './notify.js';
import { closeTrade, queryRefund, queryTrade, refundTrade } from './operations.js';
import { parseWechatReturn } from './return.js';
import { wechatpayStatementKinds, wechatpayStatements } from './statement/download.js';
import { v2Api } from './v2/index.js';
import { v3Api } from './v3/index.js';

export type { WechatpayOptions, WechatpayV2Options, WechatpayV3Options } from './config.js';

function createProvider(config: WechatpayConfig, env: ProviderEnv): Provider {
  const v3 = config.v3 ? v3Api(config, config.v3, env) : undefined;
  // With both versions configured, v3 makes every call; the v2 key then only reads v2 notifications.
  const { v2 } = config;
  const api: WechatApi | undefined = v3 ?? (v2 ? v2Api(config, v2, env) : undefined);
  // resolveWechatpayConfig refuses a configuration with neither v3 nor v2.
  if (!api) throw new Error('WeChat Pay configuration has neither v3 nor v2');
  const { jsapi } = config;
  return {
    id: 'wechatpay',
    channels: CHANNELS.filter((channel) => config.appIds[channel] !== undefined),
    // Inside WeChat only JSAPI pays (H5 is refused there): with it, links sign the buyer in;
    // without it, they ask the buyer to open them in the phone's browser.
    ...(jsapi
      ? {
          browserCheckout: jsapiBrowserCheckout(jsapi, env),
          browserCallback: jsapiBrowserCallback(jsapi, env, wechatHttp(config)),
        }
      : { unsupportedBrowsers: [WECHAT_BROWSER] }),
    checkTradeNo,
    reusesTradeNumber,
    checkout: (input) => wechatCheckout(config, api, input, env.clock()),
    tradeNumberTaken,
    parseNotify: (req) => parseWechatNotify(config, req, v3?.keys.lookup, env.clock),
    ack: (outcome, req) => notifyAck(config, outcome, req),
    parseReturn: async (req) => parseWechatReturn(req),
    query: (tradeNo, record) => queryTrade(config, api, tradeNo, record),
    close: (tradeNo, record) => closeTrade(config, api, tradeNo, record),
    refund: (input) => refundTrade(config, api, input),
    queryRefund: (input) => queryRefund(config, api, input),
    statementKinds: wechatpayStatementKinds(config),
    statement: wechatpayStatements(config, env, v3?.keys.lookup),
  };
}

/**
 * WeChat Pay: H5 (`/v3/pay/transactions/h5`, v2 `MWEB`), APP, JSAPI inside WeChat (with web
 * OAuth for checkout links) and mini-program payments, notifications, query, close and refunds,
 * over API v3 or API v2. The options are checked now, keys parsed once.
 *
 * @example
 * wechatpay({
 *   mchId,
 *   appId: { wap, app, jsapi },
 *   appSecret, // the official account's: checkout links opened in WeChat pay by JSAPI
 *   v3: { apiV3Key, privateKey, certificateSerial, platformPublicKey, platformPublicKeyId },
 * })
 */
export function wechatpay(options: WechatpayOptions): ProviderDefinition {
  const config = resolveProviderOptions('wechatpay', () => resolveWechatpayConfig(options));
  return {
    id: 'wechatpay',
    live: config.live,
    setup: (env) => createProvider(config, env),
  };
}
