import type { Closure } from './events.js';
import { forgetOpenAttempt } from './attempts.js';
import type { CoreContext } from './context.js';
import type { HookContext } from './hooks.js';
import { keys, RECORD_TTL_MS } from './keys.js';
import { withLock } from './lock.js';
import { configMismatch, reportMismatch } from './mismatch.js';
import { loadOrder } from './orders.js';
import type { Verdict } from './verdict.js';

/**
 * Reports a closed payment to `onClosed` once per provider transaction (or trade number), and
 * never for an order that is paid: one order, one outcome. A verified close of an abandoned
 * attempt after the buyer paid another (or paid with another provider) changes nothing.
 */
export async function reportClosed(
  core: CoreContext,
  provider: string,
  event: Closure,
  ctx: HookContext,
): Promise<Verdict> {
  const { orderId, transactionId, tradeNo, raw } = event;
  if (event.mismatch)
    return reportMismatch(core, configMismatch(provider, orderId, event.mismatch, raw, transactionId), ctx);
  await forgetOpenAttempt(core, provider, orderId, tradeNo);
  if ((await core.store.get(keys.orderPaid(orderId))) !== undefined) return { kind: 'ignored' };
  const order = await loadOrder(core, orderId, ctx);
  if (order?.status === 'paid') return { kind: 'ignored' };
  const key = keys.closed(provider, transactionId ?? tradeNo);
  const locked = await withLock(core, `closed:${provider}:${transactionId ?? tradeNo}`, async (): Promise<Verdict> => {
    if ((await core.store.get(key)) !== undefined) return { kind: 'duplicate' };
    // Checked again under the lock: a payment of the order may have been fulfilled meanwhile.
    if ((await core.store.get(keys.orderPaid(orderId))) !== undefined) return { kind: 'ignored' };
    if (core.hooks.onClosed) {
      try {
        await core.hooks.onClosed({ provider, orderId, transactionId, reason: event.reason, raw }, ctx);
      } catch (error) {
        core.logger.error('onClosed threw; the provider will be asked to retry', { error: String(error) });
        return { kind: 'hook_failed', message: 'the shop could not record the closed payment; retry later' };
      }
    }
    await core.store.set(key, event.reason, RECORD_TTL_MS, 'record');
    core.logger.info('payment closed', { orderId, provider, tradeNo, transactionId, reason: event.reason });
    return { kind: 'closed' };
  });
  return (
    locked?.value ?? { kind: 'busy', message: 'another copy of this notice is still being processed; retry later' }
  );
}
