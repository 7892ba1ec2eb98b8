import type { Payments } from '../../src/index.js';
import type { CoreRequest } from '../../src/spi/types.js';
import { alipayPaid, formBody, signAlipay } from './provider-messages.js';

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
