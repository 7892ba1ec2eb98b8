import type { Payment } from './events.js';
import type { Order } from '../spi/types.js';
import { forgetOpenAttempts } from './attempts.js';
import type { CoreContext } from './context.js';
import { refundDuplicate } from './duplicates.js';
import { indexFulfilment } from './fulfilled.js';
import type { HookContext, PaidEvent } from './hooks.js';
import { keys, RECORD_TTL_MS } from './keys.js';
import { withLock } from './lock.js';
import { configMismatch, reportMismatch } from './mismatch.js';
import { loadOrder } from './orders.js';
import type { SettledRecord } from './records.js';
import type { Verdict } from './verdict.js';

/** Which transaction paid an order first, across providers. */
interface FirstPayment {
  provider: string;
  transactionId: string;
}

/**
 * Fulfils a verified payment at most once per provider transaction: checks the order and amount,
 * then calls `onPaid` under a lock and records it. The one path for notify, return, settle and
 * the sweep. A second payment of an order already paid is still reported (with `duplicateOf`),
 * and refunded when `duplicatePayments` is `'refund'`. `recorded` is the payment's dedupe record when
 * the caller already asked the store for it, together with a call of its own (one round trip).
 */
export async function fulfil(
  core: CoreContext,
  provider: string,
  paid: Payment,
  ctx: HookContext,
  recorded?: Promise<string | undefined>,
): Promise<Verdict> {
  const { orderId, transactionId, raw } = paid;
  const paidKey = keys.paid(provider, transactionId);
  if (await (recorded ?? core.store.get(paidKey))) return afterDuplicate(core, provider, paid, ctx);
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

  const busy: Verdict = { kind: 'busy', message: 'another copy of this payment is still being processed; retry later' };
  const locked = await withLock(core, `paid:${provider}:${transactionId}`, async (held): Promise<Verdict> => {
    // The order's claim carries the same value whichever copy of this transaction sends it, so it
    // goes out with the check that no copy finished while this one waited (one round trip, not two).
    const [done, first] = await Promise.all([
      core.store.get(paidKey),
      claimOrder(core, orderId, { provider, transactionId }),
    ]);
    if (done) return { kind: 'duplicate' };
    const duplicateOf = first.provider === provider && first.transactionId === transactionId ? undefined : first;
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
      ...(duplicateOf ? { duplicateOf } : {}),
    };
    if (duplicateOf) {
      core.logger.warn(
        `order ${orderId} was paid twice: ${provider} ${transactionId} after ${duplicateOf.provider} ` +
          duplicateOf.transactionId +
          (core.config.duplicatePayments === 'refund' ? '; refunding the second payment' : '; refund one of them'),
        { orderId, transactionId, duplicateOf },
      );
    }
    // Stalled past lockTtlMs since the lock was taken, this copy may no longer hold it: another
    // instance may be running onPaid now. Never onPaid without the lock (docs/state.md).
    if (!(await held())) return busy;
    try {
      await core.hooks.onPaid(event, ctx);
    } catch (error) {
      core.logger.error(`onPaid threw for ${event.idempotencyKey}; the provider will be asked to retry`, {
        error: String(error),
      });
      return { kind: 'hook_failed', message: 'the shop could not record the payment (onPaid failed); retry later' };
    }
    await record(core, provider, paid);
    core.logger.info('payment fulfilled', {
      orderId,
      provider,
      tradeNo: paid.tradeNo,
      transactionId,
      amount: paid.amount,
      ...(duplicateOf ? { duplicateOf } : {}),
    });
    if (duplicateOf && core.config.duplicatePayments === 'refund') {
      await core.store.set(keys.duplicateRefund(provider, transactionId), 'pending', RECORD_TTL_MS, 'record');
      return refundOrRetry(core, provider, paid, order, ctx);
    }
    return { kind: 'fulfilled' };
  });
  return locked?.value ?? busy;
}

/** Claims the order for this payment unless another transaction paid it first; returns the first. */
async function claimOrder(core: CoreContext, orderId: string, mine: FirstPayment): Promise<FirstPayment> {
  const key = keys.orderPaid(orderId);
  if (await core.store.setIfAbsent(key, JSON.stringify(mine), RECORD_TTL_MS)) return mine;
  const text = await core.store.get(key);
  return text === undefined ? mine : (JSON.parse(text) as FirstPayment);
}

/** Records a fulfilled payment: the dedupe record, the order's first payment at the provider, no longer open. */
async function record(core: CoreContext, provider: string, paid: Payment): Promise<void> {
  const settled: SettledRecord = {
    orderId: paid.orderId,
    tradeNo: paid.tradeNo,
    transactionId: paid.transactionId,
    amount: paid.amount,
    paidAt: paid.paidAt.toISOString(),
  };
  const text = JSON.stringify(settled);
  // Independent of one another, so sent together (one round trip). The first payment of the order
  // at this provider stays its record: refunds aim at it.
  await Promise.all([
    core.store.setIfAbsent(keys.settled(provider, paid.orderId), text, RECORD_TTL_MS),
    indexFulfilment(core, provider, paid),
    forgetOpenAttempts(core, provider, paid.orderId),
  ]);
  // The dedupe record last, once the others are stored: a process killed before it leaves the payment
  // to the provider's retry (onPaid again, docs/state.md#locks), never recorded as fulfilled without
  // its order record.
  await core.store.set(keys.paid(provider, paid.transactionId), text, RECORD_TTL_MS, 'record');
}

/**
 * A payment already recorded: nothing to do, unless it is a double payment whose refund has not
 * been accepted yet (the provider was down when it was first tried) — then try it again now.
 */
async function afterDuplicate(core: CoreContext, provider: string, paid: Payment, ctx: HookContext): Promise<Verdict> {
  if (core.config.duplicatePayments !== 'refund') return { kind: 'duplicate' };
  if ((await core.store.get(keys.duplicateRefund(provider, paid.transactionId))) !== 'pending') {
    return { kind: 'duplicate' };
  }
  const order = await loadOrder(core, paid.orderId, ctx);
  if (!order) return { kind: 'duplicate' };
  const locked = await withLock(core, `paid:${provider}:${paid.transactionId}`, () =>
    refundOrRetry(core, provider, paid, order, ctx),
  );
  return locked?.value ?? { kind: 'busy', message: 'the refund of this double payment is in progress; retry later' };
}

async function refundOrRetry(
  core: CoreContext,
  provider: string,
  paid: Payment,
  order: Order,
  ctx: HookContext,
): Promise<Verdict> {
  try {
    await refundDuplicate(core, provider, paid, order, ctx);
    return { kind: 'fulfilled' };
  } catch (error) {
    core.logger.error(`could not refund the double payment ${provider} ${paid.transactionId}; will retry`, {
      orderId: paid.orderId,
      error: String(error),
    });
    return { kind: 'busy', message: 'the refund of a double payment failed; retry later' };
  }
}
