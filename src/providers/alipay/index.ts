import type { Provider, ProviderDefinition } from '../../spi/provider.js';
import { resolveProviderOptions } from '../../spi/provider.js';
import { ack } from './ack.js';
import { checkout, checkTradeNo } from './checkout.js';
import { alipayClient } from './client.js';
import { resolveAlipayConfig, type AlipayOptions } from './config.js';
import { parseNotify } from './notify.js';
import { closeTrade, queryRefund, queryTrade, refundTrade } from './operations.js';
import { parseReturn } from './return.js';
import { ALIPAY_STATEMENT_KINDS, alipayStatements } from './statement/download.js';

export type { AlipayOptions } from './config.js';

/**
 * Alipay (OpenAPI v2, RSA2): WAP (`alipay.trade.wap.pay`) and APP (`alipay.trade.app.pay`)
 * payments, notify and return, query, close and refunds. Keys are parsed and checked here, once.
 *
 * @example alipay({ appId: '2021000122671080', privateKey, alipayPublicKey })
 */
export function alipay(options: AlipayOptions): ProviderDefinition {
  const config = resolveProviderOptions('alipay', () => resolveAlipayConfig(options));
  return {
    id: 'alipay',
    live: config.live,
    setup(env): Provider {
      const call = alipayClient(config, env.clock);
      return {
        id: 'alipay',
        checkTradeNo,
        checkout: (input) => checkout(config, input, env.clock()),
        parseNotify: (req) => parseNotify(config, call, req, env.clock),
        ack,
        parseReturn: async (req) => parseReturn(config, req),
        query: (tradeNo) => queryTrade(call, tradeNo),
        refund: (input) => refundTrade(call, input),
        queryRefund: (input) => queryRefund(call, input.tradeNo, input.refundId),
        close: (tradeNo) => closeTrade(call, tradeNo),
        statementKinds: ALIPAY_STATEMENT_KINDS,
        statement: alipayStatements(config, call, env.clock),
      };
    },
  };
}
