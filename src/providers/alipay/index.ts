import { ProviderError } from '../../errors/index.js';
import type { Provider, ProviderDefinition } from '../../spi/provider.js';
import { alipayClient } from './api.js';
import { resolveAlipayConfig, type AlipayOptions } from './config.js';
import { appCheckout, wapCheckout } from './checkout.js';
import { parseNotify } from './notify.js';
import { closeTrade, queryRefund, queryTrade, refundTrade } from './operations.js';
import { parseReturn } from './return.js';

export type { AlipayOptions } from './config.js';

const OUT_TRADE_NO = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Alipay (OpenAPI v2, RSA2): WAP (`alipay.trade.wap.pay`) and APP (`alipay.trade.app.pay`)
 * payments, notify and return, query, close and refunds. Keys are parsed and checked here, once.
 *
 * @example alipay({ appId: '2021000122671080', privateKey, alipayPublicKey })
 */
export function alipay(options: AlipayOptions): ProviderDefinition {
  const config = resolveAlipayConfig(options);
  return {
    id: 'alipay',
    setup(env): Provider {
      const call = alipayClient(config, env.clock);
      return {
        id: 'alipay',
        checkOrderId: (orderId) =>
          OUT_TRADE_NO.test(orderId) ? undefined : 'Alipay out_trade_no is 1–64 of letters, digits, "_" and "-"',
        checkout: (input) =>
          input.channel === 'app'
            ? appCheckout(config, input, env.clock())
            : wapCheckout(
                config,
                input,
                env.clock(),
                `${env.publicUrl}/result?orderId=${encodeURIComponent(input.order.id)}&provider=alipay`,
              ),
        async parseNotify(req) {
          const event = parseNotify(config, req, env.clock);
          if (event.type !== 'refunded' || event.mismatch) return event;
          // A refund notify carries refund_fee, the running total of the trade's refunds; this
          // refund's own amount comes from the refund query.
          const refund = await queryRefund(call, event.orderId, event.refundId);
          if (refund.status === 'success') return { ...event, amount: refund.amount };
          // Not visible to the query yet (Alipay suggests querying 10 s after a refund): answer
          // with a retry rather than report the running total as this refund's amount.
          throw new ProviderError({
            provider: 'alipay',
            code: 'REFUND_NOT_VISIBLE',
            message: `refund ${event.refundId} is not visible to the refund query yet`,
            retryable: true,
          });
        },
        ack: (outcome) =>
          outcome.ok
            ? { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'success' }
            : { status: outcome.status, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'fail' },
        parseReturn: async (req) => parseReturn(config, req),
        query: (orderId) => queryTrade(call, orderId),
        refund: (input) => refundTrade(call, input),
        queryRefund: (input) => queryRefund(call, input.order.id, input.refundId),
        close: (orderId) => closeTrade(call, orderId),
      };
    },
  };
}
