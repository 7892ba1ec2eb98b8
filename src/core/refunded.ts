import type { Refund } from './events.js';
import type { CoreContext } from './context.js';
import type { HookContext } from './hooks.js';
import { keys, RECORD_TTL_MS } from './keys.js';
import { withLock } from './lock.js';
import { configMismatch, reportMismatch } from './mismatch.js';
import { loadOrder } from './orders.js';
import { readSettled } from './records.js';
import type { Verdict } from './verdict.js';
import type { Order } from '../spi/types.js';

/** Reports a refund result to `onRefunded` once per refund and final status. */
export async function recordRefund(
  core: CoreContext,
  provider: string,
  event: Refund,
  ctx: HookContext,
): Promise<Verdict> {
  const { orderId, refundId, raw } = event;
  if (event.mismatch) return reportMismatch(core, configMismatch(provider, orderId, event.mismatch, raw), ctx);
  const order = await loadOrder(core, orderId, ctx);
  if (!order) {
    const message = `refund ${refundId} names order ${orderId}, unknown to getOrder`;
    return reportMismatch(core, { provider, orderId, reason: 'unknown_order', message, raw }, ctx);
  }
  if (event.amount > order.amount) {
    const message = `refund ${refundId} of ${event.amount} fen exceeds order ${orderId} (${order.amount} fen)`;
    const mismatch = { provider, orderId, reason: 'amount' as const, message, raw };
    return reportMismatch(core, { ...mismatch, expected: order.amount, actual: event.amount }, ctx);
  }
  if (event.status === 'processing') return { kind: 'refunded' };
  const key = keys.refund(provider, orderId, refundId);
  const locked = await withLock(core, `refund:${provider}:${orderId}:${refundId}`, async (): Promise<Verdict> => {
    // Once per refund and final status: a refund reported failed may still succeed later (a
    // retry with the same id, WeChat's ABNORMAL resolved by hand), and that must reach the host.
    const known = await core.store.get(key);
    if (known === 'success' || known === event.status) return { kind: 'duplicate' };
    if (core.hooks.onRefunded) {
      try {
        await core.hooks.onRefunded(
          {
            provider,
            orderId,
            refundId,
            providerRefundId: event.providerRefundId,
            amount: event.amount,
            status: event.status,
            raw,
            idempotencyKey: `${provider}:refund:${orderId}:${refundId}`,
          },
          ctx,
        );
      } catch (error) {
        core.logger.error('onRefunded threw; the provider will be asked to retry', { error: String(error) });
        return {
          kind: 'hook_failed',
          message: 'the shop could not record the refund (onRefunded failed); retry later',
        };
      }
    }
    // Before the record: a failure here is retried with the rest of this refund.
    if (event.status === 'success') await markOrderRefunded(core, provider, event, order);
    await core.store.set(key, event.status, RECORD_TTL_MS, 'record');
    core.logger.info('refund recorded', {
      orderId,
      provider,
      tradeNo: event.tradeNo,
      refundId,
      amount: event.amount,
      status: event.status,
    });
    return { kind: 'refunded' };
  });
  return (
    locked?.value ?? { kind: 'busy', message: 'another copy of this refund is still being processed; retry later' }
  );
}

/**
 * Marks the order refunded (what the result page shows) when this refund returns all of the
 * payment that stands for it: the first one (`orderPaid`), at this provider and under the trade
 * number it was paid with. The refund of a double payment, or a partial refund, leaves it paid.
 */
async function markOrderRefunded(core: CoreContext, provider: string, event: Refund, order: Order): Promise<void> {
  if (event.amount < order.amount) return;
  const first = await core.store.get(keys.orderPaid(event.orderId));
  if (first === undefined || (JSON.parse(first) as { provider: string }).provider !== provider) return;
  const settled = await readSettled(core, provider, event.orderId);
  if (settled?.tradeNo !== event.tradeNo) return;
  await core.store.set(keys.orderRefunded(event.orderId), event.refundId, RECORD_TTL_MS, 'record');
}
