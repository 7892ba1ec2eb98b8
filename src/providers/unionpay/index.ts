import type { Provider, ProviderDefinition } from '../../spi/provider.js';
import { httpClient } from '../../wire/http.js';
import { ack } from './ack.js';
import { close, queryPayment, queryRefund, refund, type AcpApi } from './api.js';
import { appCheckout, wapCheckout } from './checkout.js';
import { resolveUnionpayConfig, type UnionpayOptions } from './config.js';
import { ACP_ORDER_ID, clearingDate } from './fields.js';
import { parseNotify } from './notify.js';
import { parseReturn } from './return.js';
import { createVerifier } from './verify.js';
import { acpCaller } from './wire.js';

export type { UnionpayOptions } from './config.js';

/**
 * UnionPay online payments (ACP 5.1.0, certificate signing): WAP through the browser form to
 * `frontTransReq.do`, APP through a `tn` from `appTransReq.do`, back notifications and front
 * returns verified against UnionPay's middle and root CAs, query, refund (04) and cancel (31).
 * The .pfx and the CA certificates are opened and checked here, once.
 *
 * @example unionpay({ merId: '777290058110048', signCert: { pfx: readFileSync('acp_test_sign.pfx'), passphrase: '000000' }, middleCert, rootCert, gateway: 'test' })
 */
export function unionpay(options: UnionpayOptions): ProviderDefinition {
  const config = resolveUnionpayConfig(options);
  return {
    id: 'unionpay',
    setup(env): Provider {
      const verify = createVerifier(
        { middle: config.middle, root: config.root, production: config.production },
        env.clock,
      );
      const call = acpCaller(config, httpClient({ provider: 'unionpay', timeoutMs: config.timeoutMs }), verify);
      const api: AcpApi = { config, call, store: env.store, clock: env.clock };
      return {
        id: 'unionpay',
        checkOrderId: (orderId) =>
          ACP_ORDER_ID.test(orderId) ? undefined : 'UnionPay orderId is 8–40 letters and digits (no "-" or "_")',
        // A front transaction may have been posted (orderId used today); only an app tn is reusable.
        // The same orderId may be sent again only as the same tn, which lives one clearing day.
        reusesTradeNumber: (previous, channel) =>
          channel === 'app' &&
          previous.channel === 'app' &&
          !!previous.tn &&
          previous.clearing === clearingDate(env.clock()),
        checkout: (input) =>
          input.channel === 'app'
            ? appCheckout(config, call, input, env.clock())
            : wapCheckout(config, input, env.clock()),
        parseNotify: (req) => parseNotify(config, verify, env.store, req, env.clock()),
        ack: (outcome) => ack(outcome),
        parseReturn: async (req) => parseReturn(config, verify, req),
        query: (orderId, record) => queryPayment(api, orderId, record),
        refund: (input) => refund(api, input),
        queryRefund: (input) => queryRefund(api, input),
        close: (orderId, record) => close(api, orderId, record),
      };
    },
  };
}
