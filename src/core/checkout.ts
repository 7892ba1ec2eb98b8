import { chooseTradeNumber, releaseAttempt, saveAttempt } from './attempts.js';
import { PaymountError, ProviderError, RequestError } from '../errors/index.js';
import type { Channel, CheckoutResult } from '../spi/types.js';
import { providerOf, type CoreContext } from './context.js';
import type { HookContext } from './hooks.js';
import { keys } from './keys.js';
import { withLock } from './lock.js';
import { loadOrder } from './orders.js';

/** Input of `payments.checkout`. The amount is never here: it always comes from `getOrder`. */
export interface CheckoutRequest<Req = unknown> {
  provider: string;
  orderId: string;
  /** Default `wap`. */
  channel?: Channel;
  /** The payer's IP (WeChat H5 requires it). */
  clientIp?: string;
  /** The framework's request object, handed to hooks. */
  request?: Req;
}

const ORDER_ID = /^[\x21-\x7e]{1,128}$/;

/** Loads the order, checks that it can be paid, and creates the payment at the provider. */
export async function checkout(core: CoreContext, input: CheckoutRequest): Promise<CheckoutResult> {
  const provider = providerOf(core, String(input.provider));
  const channel = input.channel ?? 'wap';
  if (channel !== 'wap' && channel !== 'app')
    throw new RequestError(`channel must be "wap" or "app", got ${JSON.stringify(channel)}`);
  const orderId = input.orderId;
  if (typeof orderId !== 'string' || !ORDER_ID.test(orderId))
    throw new RequestError('orderId is missing or not a printable ASCII string of at most 128 characters');
  const rule = provider.checkTradeNo(orderId);
  if (rule)
    throw new RequestError(`orderId "${orderId}" cannot be a ${provider.id} trade number: ${rule}`, 'ORDER_ID_INVALID');

  const ctx: HookContext = { provider: provider.id, route: 'checkout', request: input.request };
  const order = await loadOrder(core, orderId, ctx);
  if (!order) throw new RequestError(`order ${orderId} not found`, 'ORDER_NOT_FOUND');
  if (order.status === 'paid' || (await core.store.get(keys.orderPaid(orderId)))) {
    throw new RequestError(`order ${orderId} is already paid`, 'ORDER_PAID');
  }
  if (order.status === 'closed') throw new RequestError(`order ${orderId} is closed`, 'ORDER_CLOSED');
  if (order.expiresAt && order.expiresAt.getTime() <= core.clock().getTime()) {
    throw new RequestError(`order ${orderId} expired at ${order.expiresAt.toISOString()}`, 'ORDER_EXPIRED');
  }
  if (core.hooks.authorizeCheckout && !(await core.hooks.authorizeCheckout(order, ctx))) {
    throw new PaymountError('CHECKOUT_FORBIDDEN', `checkout of order ${orderId} was refused by authorizeCheckout`);
  }

  // One checkout of an order at a time: two at once could both pick, or both record, an attempt.
  const locked = await withLock(core, `checkout:${provider.id}:${orderId}`, async () => {
    const chosen = await chooseTradeNumber(core, provider, order, channel, ctx);
    // Recorded before the provider is called: a call that times out may still have placed the
    // trade number, which must never be reused blindly nor forgotten by queries.
    if (!chosen.record) await saveAttempt(core, provider.id, orderId, chosen, {});
    const base = core.config.publicUrl;
    let output;
    try {
      output = await provider.checkout({
        order,
        tradeNo: chosen.tradeNo,
        channel,
        notifyUrl: `${base}/notify/${provider.id}`,
        refundNotifyUrl: `${base}/notify/${provider.id}/refund`,
        returnUrl: `${base}/return/${provider.id}`,
        resultUrl: `${base}/result?orderId=${encodeURIComponent(orderId)}&provider=${encodeURIComponent(provider.id)}`,
        clientIp: input.clientIp,
        record: chosen.record,
      });
    } catch (error) {
      // A new number that never reached the provider was never used: the next checkout may take it.
      if (!chosen.record && error instanceof ProviderError && !error.reached) {
        await releaseAttempt(core, provider.id, orderId, chosen.tradeNo);
      }
      throw error;
    }
    await saveAttempt(core, provider.id, orderId, chosen, output.record);
    return output.result;
  });
  if (!locked)
    throw new RequestError(`another checkout of order ${orderId} is in progress; try again`, 'CHECKOUT_BUSY');
  return locked.value;
}
