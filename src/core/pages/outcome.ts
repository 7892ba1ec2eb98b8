import type { Order } from '../../spi/types.js';
import type { CoreContext } from '../context.js';
import type { HookContext, PaymentOutcome } from '../hooks.js';
import { keys } from '../keys.js';
import { loadOrder } from '../orders.js';

/** What the cashier reported when the buyer left it; believed only when nothing better is known. */
export type OutcomeHint = 'failed' | 'cancelled';

/** Reads `outcome=` of a result URL: only the two a cashier may report count, never `paid`. */
export function hintOf(value: string | null): OutcomeHint | undefined {
  return value === 'failed' || value === 'cancelled' ? value : undefined;
}

/**
 * An order's outcome for the result page. Paid and refunded come from the store (written when a
 * payment was fulfilled or a refund of it succeeded) and `getOrder`; closed from `getOrder` (closed,
 * or past `expiresAt`); then the cashier's hint; else pending. The URL can never make it paid.
 * A failing `getOrder` leaves the store's word (logged): the page stays useful while the host's
 * database hiccups.
 */
export async function orderOutcome(
  core: CoreContext,
  orderId: string,
  provider: string | undefined,
  hint: OutcomeHint | undefined,
  ctx: HookContext,
): Promise<{ outcome: PaymentOutcome; order: Order | null }> {
  let order: Order | null = null;
  try {
    order = await loadOrder(core, orderId, ctx);
  } catch (error) {
    core.logger.warn(`getOrder failed for the result page of order ${orderId}`, {
      orderId,
      error: error instanceof Error ? error.message : String(error),
    });
  }
  if ((await core.store.get(keys.orderRefunded(orderId))) !== undefined) return { outcome: 'refunded', order };
  const paid =
    order?.status === 'paid' ||
    (await core.store.get(keys.orderPaid(orderId))) !== undefined ||
    (provider !== undefined && (await core.store.get(keys.settled(provider, orderId))) !== undefined);
  if (paid) return { outcome: 'paid', order };
  const expired = order?.expiresAt !== undefined && order.expiresAt.getTime() <= core.clock().getTime();
  if (order?.status === 'closed' || expired) return { outcome: 'closed', order };
  return { outcome: hint ?? 'pending', order };
}
