import type { Provider, ProviderDefinition } from '../../spi/provider.js';
import { resolveProviderOptions } from '../../spi/provider.js';
import { ack } from './ack.js';
import { checkout, checkTradeNo, reusesTradeNumber, tradeNumberTaken } from './checkout.js';
import { unionpayClient } from './client.js';
import { resolveUnionpayConfig, type UnionpayOptions } from './config.js';
import { parseNotify } from './notify.js';
import { close, queryPayment, queryPaymentById, queryRefund, refund, type AcpApi } from './operations.js';
import { parseReturn } from './return.js';
import { UNIONPAY_STATEMENT_KINDS, unionpayStatementDay, unionpayStatements } from './statement/download.js';
import { createVerifier } from './verify.js';

export type { UnionpayOptions } from './config.js';

/**
 * UnionPay online payments (ACP 5.1.0, certificate signing): WAP through the browser form to
 * `frontTransReq.do`, APP through a `tn` from `appTransReq.do`, back notifications and front
 * returns verified against UnionPay's middle and root CAs, query, refund (04) and cancel (31).
 * The .pfx and the CA certificates are opened and checked here, once.
 *
 * @example
 * ```ts
 * unionpay({
 *   merId: '777290058110048',
 *   signCert: { pfx: readFileSync('acp_test_sign.pfx'), passphrase: '000000' },
 *   middleCert: readFileSync('acp_test_middle.cer', 'utf8'),
 *   rootCert: readFileSync('acp_test_root.cer', 'utf8'),
 *   gateway: 'test',
 * })
 * ```
 */
export function unionpay(options: UnionpayOptions): ProviderDefinition {
  const config = resolveProviderOptions('unionpay', () => resolveUnionpayConfig(options));
  return {
    id: 'unionpay',
    live: config.production,
    setup(env): Provider {
      const verify = createVerifier(config, env.clock);
      const call = unionpayClient(config, verify);
      const api: AcpApi = { config, call, store: env.store, clock: env.clock };
      return {
        id: 'unionpay',
        channels: ['wap', 'app'],
        checkTradeNo,
        reusesTradeNumber: (previous, channel) => reusesTradeNumber(previous, channel, env.clock()),
        checkout: (input) => checkout(config, call, input, env.clock()),
        tradeNumberTaken,
        parseNotify: (req) => parseNotify(config, verify, env.store, req, env.clock()),
        ack,
        parseReturn: async (req) => parseReturn(config, verify, req),
        query: (tradeNo, record) => queryPayment(api, tradeNo, record),
        queryTransaction: (queryId) => queryPaymentById(api, queryId),
        refund: (input) => refund(api, input),
        queryRefund: (input) => queryRefund(api, input),
        close: (tradeNo, record) => close(api, tradeNo, record),
        statementKinds: UNIONPAY_STATEMENT_KINDS,
        statement: unionpayStatements(config, verify, env),
        statementDay: unionpayStatementDay,
      };
    },
  };
}
