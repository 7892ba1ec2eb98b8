import { RequestError } from '../../errors/index.js';
import { rawBodyOf } from '../../wire/body.js';
import type { Provider, ProviderDefinition, ProviderEnv } from '../../spi/provider.js';
import type { CoreRequest } from '../../spi/types.js';
import { isXmlNotify, wechatAck } from './ack.js';
import type { WechatBackend } from './backend.js';
import { wechatCheckout } from './checkout.js';
import { resolveWechatpayConfig, type WechatpayConfig } from './config.js';
import { checkOrderId } from './ids.js';
import type { WechatpayOptions } from './options.js';
import { parseWechatReturn } from './return.js';
import { v2Backend } from './v2/api.js';
import { parseV2Notify } from './v2/notify.js';
import { v3Backend } from './v3/api.js';
import { parseV3Notify } from './v3/notify.js';

export type { WechatpayOptions, WechatpayV2Options, WechatpayV3Options } from './options.js';

/** The app id an order was paid with (kept in its checkout record), else the H5 one. */
const appIdOf = (config: WechatpayConfig, record?: Record<string, string>) => record?.appId ?? config.appIds.wap;

function createProvider(config: WechatpayConfig, env: ProviderEnv): Provider {
  const v3 = config.v3 ? v3Backend(config, config.v3, env) : undefined;
  // With both versions configured, v3 makes every call; the v2 key then only reads v2 notifications.
  const api: WechatBackend = v3 ?? v2Backend(config, config.v2!, env);

  return {
    id: 'wechatpay',
    checkOrderId,
    // WeChat refuses an out_trade_no placed again with other parameters (H5 then APP: "201 商户订单号重复").
    reusesTradeNumber: (previous, channel) => previous.channel === channel,
    checkout: (input) => wechatCheckout(config, api, input, env.clock()),

    async parseNotify(req: CoreRequest) {
      const body = rawBodyOf(req);
      if (isXmlNotify(req)) {
        if (!config.v2) {
          throw new RequestError('a v2 XML notification arrived but no v2.apiKey is configured: refunds started in the merchant platform notify in v2 XML even for v3 merchants; add v2: { apiKey }', 'NOTIFY_VERSION');
        }
        return parseV2Notify(config, config.v2, body, env.clock);
      }
      if (!config.v3 || !v3)
        throw new RequestError('this merchant uses API v2, whose notifications are XML; the body is not XML', 'NOTIFY_VERSION');
      return parseV3Notify(config, config.v3, { headers: req.headers, body }, v3.keys.lookup, env.clock);
    },

    ack: (outcome, req) => wechatAck(outcome, !config.v3 || isXmlNotify(req)),

    async parseReturn(req) {
      return parseWechatReturn(req);
    },

    query: (orderId, record) => api.query(orderId, appIdOf(config, record)),
    close: (orderId, record) => api.close(orderId, appIdOf(config, record)),
    refund: (input) =>
      api.refund({
        order: input.order,
        refundId: input.refundId,
        amount: input.amount,
        reason: input.reason,
        transactionId: input.transactionId,
        notifyUrl: input.notifyUrl,
        appId: appIdOf(config, input.record),
      }),
    queryRefund: (input) =>
      api.queryRefund({ orderId: input.order.id, refundId: input.refundId, appId: appIdOf(config, input.record) }),
  };
}

/**
 * WeChat Pay: H5 (`/v3/pay/transactions/h5`, v2 `MWEB`) and APP payments, notifications,
 * query, close and refunds, over API v3 or API v2. The options are checked now, keys parsed once.
 *
 * @example
 * wechatpay({ mchId, appId: { wap, app }, v3: { apiV3Key, privateKey, certificateSerial, platformPublicKey, platformPublicKeyId } })
 */
export function wechatpay(options: WechatpayOptions): ProviderDefinition {
  const config = resolveWechatpayConfig(options);
  return {
    id: 'wechatpay',
    setup: (env) => createProvider(config, env),
  };
}
