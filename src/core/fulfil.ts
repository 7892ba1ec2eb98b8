import type { ProviderEvent } from '../spi/provider.js';
import type { CoreContext } from './context.js';
import type { HookContext, PaidEvent } from './hooks.js';
import { keys, RECORD_TTL_MS } from './keys.js';
import { withLock } from './lock.js';
import { configMismatch, reportMismatch } from './mismatch.js';
import { loadOrder } from './orders.js';
import type { SettledRecord } from './records.js';
import type { Verdict } from './verdict.js';

/** A verified payment, with the host's order id the core resolved from its trade number. */
export type Payment = Extract<ProviderEvent, { type: 'paid' }> & { orderId: string };

/**
 * Fulfils a verified payment at most once per provider transaction: checks the order and amount,
 * then calls `onPaid` under a lock and records it. The one path for notify, return and settle.
 */
export async function fulfil(core: CoreContext, provider: string, paid: Payment, ctx: HookContext): Promise<Verdict> {
  const { orderId, transactionId, raw } = paid;
  const paidKey = keys.paid(provider, transactionId);
  if (await core.store.get(paidKey)) return { kind: 'duplicate' };
  if (paid.mismatch) {
    return reportMismatch(core, configMismatch(provider, orderId, paid.mismatch, raw, transactionId), ctx);
  }

  const order = await loadOrder(core, orderId, ctx);
  if (!order) {
    const message = `order ${orderId} is unknown to getOrder`;
    return reportMismatch(core, { provider, orderId, transactionId, reason: 'unknown_order', message, raw }, ctx);
  }
  if (order.amount !== paid.amount) {
    const message = `order ${orderId}: the provider reports ${paid.amount} fen paid, the order is ${order.amount} fen`;
    const event = { provider, orderId, transactionId, reason: 'amount' as const, message, raw };
    return reportMismatch(core, { ...event, expected: order.amount, actual: paid.amount }, ctx);
  }

  const event: PaidEvent = {
    provider,
    channel: paid.channel,
    orderId,
    transactionId,
    amount: paid.amount,
    currency: 'CNY',
    paidAt: paid.paidAt,
    payer: paid.payer,
    raw,
    idempotencyKey: `${provider}:${transactionId}`,
  };
  const locked = await withLock(core, `paid:${provider}:${transactionId}`, async (): Promise<Verdict> => {
    if (await core.store.get(paidKey)) return { kind: 'duplicate' };
    try {
      await core.hooks.onPaid(event, ctx);
    } catch (error) {
      core.logger.error(`onPaid threw for ${event.idempotencyKey}; the provider will be asked to retry`, {
        error: String(error),
      });
      return { kind: 'hook_failed', message: 'the shop could not record the payment (onPaid failed); retry later' };
    }
    const settled: SettledRecord = {
      orderId,
      tradeNo: paid.tradeNo,
      transactionId,
      amount: paid.amount,
      paidAt: paid.paidAt.toISOString(),
    };
    const record = JSON.stringify(settled);
    await core.store.set(paidKey, record, RECORD_TTL_MS, 'record');
    // The first payment of the order stays its record (refunds aim at it); a second one is the
    // buyer paying twice, e.g. two attempts of one order: onPaid heard of it, the log says so.
    if (!(await core.store.setIfAbsent(keys.settled(provider, orderId), record, RECORD_TTL_MS))) {
      core.logger.warn(
        `order ${orderId} was paid twice at ${provider} (${transactionId} is the second payment): refund one`,
        { orderId, transactionId },
      );
    }
    return { kind: 'fulfilled' };
  });
  return (
    locked?.value ?? { kind: 'busy', message: 'another copy of this payment is still being processed; retry later' }
  );
}
