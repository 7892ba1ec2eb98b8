import { alipay, type Payments, type ProviderDefinition } from '../../src/index.js';
import type { ProviderRefundInput } from '../../src/spi/provider.js';
import type { CoreRequest } from '../../src/spi/types.js';
import { alipayOptions, alipayPaid, formBody, signAlipay } from './provider-messages.js';

/**
 * Sends `payments` one copy of Alipay's signed paid notify (88.88 yuan) of `orderId` under Alipay
 * trade `tradeId`, in process, and returns the answer as Alipay reads it.
 */
export function alipayNotifier(payments: Payments) {
  return async (orderId: string, tradeId: string): Promise<{ status: number | undefined; body: string }> => {
    const req: CoreRequest = {
      method: 'POST',
      path: '/notify/alipay',
      query: new URLSearchParams(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      rawBody: Buffer.from(formBody(signAlipay(alipayPaid(orderId, tradeId, '88.88')))),
    };
    const res = await payments.handle(req);
    return { status: res?.status, body: String(res?.body) };
  };
}

/**
 * Alipay's own provider, except that its refund call is recorded in `calls` and, after throwing the
 * first `failures` times (the gateway unreachable), accepted: no gateway is reachable in process.
 */
export function alipayWithRefunds(failures = 0): { provider: ProviderDefinition; calls: ProviderRefundInput[] } {
  const definition = alipay(alipayOptions());
  const calls: ProviderRefundInput[] = [];
  let left = failures;
  const provider: ProviderDefinition = {
    id: definition.id,
    live: definition.live,
    setup: (env) => ({
      ...definition.setup(env),
      async refund(input) {
        calls.push(input);
        if (left-- > 0) throw new Error('connect ECONNREFUSED 127.0.0.1:9');
        return { refundId: input.refundId, amount: input.amount, status: 'success', raw: { fund_change: 'Y' } };
      },
    }),
  };
  return { provider, calls };
}
