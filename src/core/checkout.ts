import { chooseTradeNumber, saveAttempt } from './attempts.js';
import { keys, loadOrder, providerOf, withLock, type Engine } from './engine.js';
import { PaymountError, RequestError } from '../errors/index.js';
import type { Channel, CheckoutResult } from '../spi/types.js';
import type { HookContext } from './hooks.js';

/** Input of `payments.checkout`. The amount is never here: it always comes from `getOrder`. */
export interface CheckoutRequest {
  provider: string;
  orderId: string;
  /** Default `wap`. */
  channel?: Channel;
  /** The payer's IP (WeChat H5 requires it). */
  clientIp?: string;
  /** The framework's request object, handed to hooks. */
  request?: unknown;
}

const ORDER_ID = /^[\x21-\x7e]{1,128}$/;

/** Loads the order, checks that it can be paid, and creates the payment at the provider. */
export async function checkout(engine: Engine, input: CheckoutRequest): Promise<CheckoutResult> {
  const provider = providerOf(engine, String(input.provider));
  const channel = input.channel ?? 'wap';
  if (channel !== 'wap' && channel !== 'app')
    throw new RequestError(`channel must be "wap" or "app", got ${JSON.stringify(channel)}`);
  const orderId = input.orderId;
  if (typeof orderId !== 'string' || !ORDER_ID.test(orderId))
    throw new RequestError('orderId is missing or not a printable ASCII string of at most 128 characters');
  const rule = provider.checkOrderId(orderId);
  if (rule) throw new RequestError(`orderId "${orderId}" cannot be a ${provider.id} trade number: ${rule}`);

  const ctx: HookContext = { provider: provider.id, route: 'checkout', request: input.request };
  const order = await loadOrder(engine, orderId, ctx);
  if (!order) throw new RequestError(`order ${orderId} not found`, 404, 'ORDER_NOT_FOUND');
  if (order.status === 'paid' || (await engine.store.get(keys.settled(provider.id, orderId)))) {
    throw new RequestError(`order ${orderId} is already paid`, 409, 'ORDER_PAID');
  }
  if (order.status === 'closed') throw new RequestError(`order ${orderId} is closed`, 409, 'ORDER_CLOSED');
  if (order.expiresAt && order.expiresAt.getTime() <= engine.clock().getTime()) {
    throw new RequestError(`order ${orderId} expired at ${order.expiresAt.toISOString()}`, 409, 'ORDER_EXPIRED');
  }
  if (engine.hooks.authorizeCheckout && !(await engine.hooks.authorizeCheckout(order, ctx))) {
    throw new PaymountError('CHECKOUT_FORBIDDEN', `checkout of order ${orderId} was refused by authorizeCheckout`, 403);
  }

  // One checkout of an order at a time: two at once could both pick, or both record, an attempt.
  const locked = await withLock(engine, `checkout:${provider.id}:${orderId}`, async () => {
    const chosen = await chooseTradeNumber(engine, provider, order, channel, ctx);
    // Recorded before the provider is called: a call that times out may still have placed the
    // trade number, which must never be reused blindly nor forgotten by queries.
    if (!chosen.record) await saveAttempt(engine, provider.id, orderId, chosen, {});
    const base = engine.config.publicUrl;
    const output = await provider.checkout({
      order: { ...order, id: chosen.tradeNo },
      channel,
      notifyUrl: `${base}/notify/${provider.id}`,
      refundNotifyUrl: `${base}/notify/${provider.id}/refund`,
      returnUrl: `${base}/return/${provider.id}`,
      clientIp: input.clientIp,
      record: chosen.record,
    });
    await saveAttempt(engine, provider.id, orderId, chosen, output.record);
    return output.result;
  });
  if (!locked)
    throw new RequestError(`another checkout of order ${orderId} is in progress; try again`, 409, 'CHECKOUT_BUSY');
  return locked.value;
}
