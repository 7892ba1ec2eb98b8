import { PaymountError } from '../errors/index.js';
import type { Order } from '../spi/types.js';
import { isFen } from '../wire/money.js';
import type { CoreContext } from './context.js';
import type { HookContext } from './hooks.js';

/** Calls `getOrder` and checks what the host returned, so a host bug is named, not propagated. */
export async function loadOrder(core: CoreContext, orderId: string, ctx: HookContext): Promise<Order | null> {
  const order = await core.hooks.getOrder(orderId, ctx);
  if (order === null || order === undefined) return null;
  if (typeof order !== 'object' || typeof order.id !== 'string') {
    throw new PaymountError('HOOK_INVALID', `getOrder("${orderId}") must return { id, amount, subject } or null`);
  }
  if (!isFen(order.amount)) {
    throw new PaymountError(
      'HOOK_INVALID',
      `getOrder("${orderId}") returned amount ${JSON.stringify(order.amount)}: ` +
        'amounts are positive integers of fen (12.34 yuan = 1234)',
    );
  }
  // Unknown: the host's hook may be JavaScript and return any currency.
  const currency: unknown = order.currency;
  if (currency !== undefined && currency !== 'CNY') {
    throw new PaymountError(
      'HOOK_INVALID',
      `getOrder("${orderId}") returned currency ${String(order.currency)}: only CNY is supported`,
    );
  }
  return order;
}
