import { DAY_MS, keys, loadOrder, withLock, type Engine, type SettledRecord } from './engine.js';
import type { NotifyEvent, ProviderMismatch } from '../spi/provider.js';
import type { HookContext, MismatchEvent, PaidEvent } from './hooks.js';

/** How one verified provider message ended; the routes turn it into an ack or a redirect. */
export type Settlement =
  | { kind: 'fulfilled' | 'duplicate' | 'closed' | 'refunded' | 'ignored' }
  | { kind: 'mismatch'; status: number; message: string }
  | { kind: 'busy'; message: string }
  | { kind: 'hook_failed'; message: string };

const RECORD_TTL = 400 * DAY_MS;

export async function reportMismatch(engine: Engine, event: MismatchEvent, ctx: HookContext): Promise<Settlement> {
  engine.logger.warn(`verified ${event.provider} message not fulfilled: ${event.message}`, {
    orderId: event.orderId,
    reason: event.reason,
  });
  if (engine.hooks.onMismatch) {
    try {
      await engine.hooks.onMismatch(event, ctx);
    } catch (error) {
      engine.logger.error('onMismatch threw', { error: String(error) });
    }
  }
  return { kind: 'mismatch', status: event.reason === 'unknown_order' ? 404 : 409, message: event.message };
}

function configMismatch(
  provider: string,
  orderId: string,
  m: ProviderMismatch,
  raw: Record<string, unknown>,
  transactionId?: string,
): MismatchEvent {
  const what = m.reason === 'merchant' ? 'merchant id' : m.reason === 'app' ? 'app id' : 'currency';
  return {
    provider,
    orderId,
    transactionId,
    reason: m.reason,
    message: `${what} ${m.actual} is not this shop's (${m.expected}): a message for another merchant or app`,
    expected: m.expected,
    actual: m.actual,
    raw,
  };
}

type Paid = Extract<NotifyEvent, { type: 'paid' }>;

/**
 * Fulfils a verified payment at most once per provider transaction: checks the order and amount,
 * then calls `onPaid` under a lock and records it. Shared by notify, return and settle.
 */
export async function fulfil(
  engine: Engine,
  provider: string,
  paid: Paid,
  ctx: HookContext,
  tradeNo = paid.orderId,
): Promise<Settlement> {
  const { orderId, transactionId, raw } = paid;
  const paidKey = keys.paid(provider, transactionId);
  if (await engine.store.get(paidKey)) return { kind: 'duplicate' };
  if (paid.mismatch)
    return reportMismatch(engine, configMismatch(provider, orderId, paid.mismatch, raw, transactionId), ctx);

  const order = await loadOrder(engine, orderId, ctx);
  if (!order) {
    return reportMismatch(
      engine,
      {
        provider,
        orderId,
        transactionId,
        reason: 'unknown_order',
        message: `order ${orderId} is unknown to getOrder`,
        raw,
      },
      ctx,
    );
  }
  if (order.amount !== paid.amount) {
    return reportMismatch(
      engine,
      {
        provider,
        orderId,
        transactionId,
        reason: 'amount',
        message: `order ${orderId}: the provider reports ${paid.amount} fen paid, the order is ${order.amount} fen`,
        expected: order.amount,
        actual: paid.amount,
        raw,
      },
      ctx,
    );
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
  const locked = await withLock(engine, `paid:${provider}:${transactionId}`, async (): Promise<Settlement> => {
    if (await engine.store.get(paidKey)) return { kind: 'duplicate' };
    try {
      await engine.hooks.onPaid(event, ctx);
    } catch (error) {
      engine.logger.error(`onPaid threw for ${event.idempotencyKey}; the provider will be asked to retry`, {
        error: String(error),
      });
      return { kind: 'hook_failed', message: 'the shop could not record the payment (onPaid failed); retry later' };
    }
    const record = JSON.stringify({
      orderId,
      tradeNo,
      transactionId,
      amount: paid.amount,
      paidAt: paid.paidAt.toISOString(),
    } satisfies SettledRecord);
    await engine.store.set(paidKey, record, RECORD_TTL, 'record');
    // The first payment of the order stays its record (refunds aim at it); a second one is the
    // buyer paying twice, e.g. two attempts of one order: onPaid heard of it, the log says so.
    if (!(await engine.store.setIfAbsent(keys.settled(provider, orderId), record, RECORD_TTL))) {
      engine.logger.warn(
        `order ${orderId} was paid twice at ${provider} (${transactionId} is the second payment): refund one`,
        { orderId, transactionId },
      );
    }
    return { kind: 'fulfilled' };
  });
  return (
    locked?.value ?? {
      kind: 'busy',
      message: 'another copy of this notification is still being processed; retry later',
    }
  );
}

/** Applies any verified notify event: paid → fulfil; closed/refunded → their hooks; checks first. */
export async function settleEvent(
  engine: Engine,
  provider: string,
  event: NotifyEvent,
  ctx: HookContext,
  tradeNo?: string,
): Promise<Settlement> {
  switch (event.type) {
    case 'paid':
      return fulfil(engine, provider, event, ctx, tradeNo);
    case 'ignored':
      return { kind: 'ignored' };
    case 'closed': {
      if (event.mismatch)
        return reportMismatch(
          engine,
          configMismatch(provider, event.orderId, event.mismatch, event.raw, event.transactionId),
          ctx,
        );
      if (engine.hooks.onClosed) {
        try {
          await engine.hooks.onClosed(
            {
              provider,
              orderId: event.orderId,
              transactionId: event.transactionId,
              reason: event.reason,
              raw: event.raw,
            },
            ctx,
          );
        } catch (error) {
          engine.logger.error('onClosed threw; the provider will be asked to retry', { error: String(error) });
          return { kind: 'hook_failed', message: 'the shop could not record the closed payment; retry later' };
        }
      }
      return { kind: 'closed' };
    }
    case 'refunded':
      return refunded(engine, provider, event, ctx);
  }
}

type Refunded = Extract<NotifyEvent, { type: 'refunded' }>;

/** Reports a refund result to `onRefunded` once per refund and final status. */
export async function refunded(
  engine: Engine,
  provider: string,
  event: Refunded,
  ctx: HookContext,
): Promise<Settlement> {
  const { orderId, refundId, raw } = event;
  if (event.mismatch) return reportMismatch(engine, configMismatch(provider, orderId, event.mismatch, raw), ctx);
  const order = await loadOrder(engine, orderId, ctx);
  if (!order) {
    return reportMismatch(
      engine,
      {
        provider,
        orderId,
        reason: 'unknown_order',
        message: `refund ${refundId} names order ${orderId}, unknown to getOrder`,
        raw,
      },
      ctx,
    );
  }
  if (event.amount > order.amount) {
    return reportMismatch(
      engine,
      {
        provider,
        orderId,
        reason: 'amount',
        message: `refund ${refundId} of ${event.amount} fen exceeds order ${orderId} (${order.amount} fen)`,
        expected: order.amount,
        actual: event.amount,
        raw,
      },
      ctx,
    );
  }
  if (event.status === 'processing') return { kind: 'refunded' };
  const key = keys.refund(provider, orderId, refundId);
  const locked = await withLock(engine, `refund:${provider}:${orderId}:${refundId}`, async (): Promise<Settlement> => {
    // Once per refund and final status: a refund reported failed may still succeed later (a
    // retry with the same id, WeChat's ABNORMAL resolved by hand), and that must reach the host.
    const known = await engine.store.get(key);
    if (known === 'success' || known === event.status) return { kind: 'duplicate' };
    if (engine.hooks.onRefunded) {
      try {
        await engine.hooks.onRefunded(
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
        engine.logger.error('onRefunded threw; the provider will be asked to retry', { error: String(error) });
        return {
          kind: 'hook_failed',
          message: 'the shop could not record the refund (onRefunded failed); retry later',
        };
      }
    }
    await engine.store.set(key, event.status, RECORD_TTL, 'record');
    return { kind: 'refunded' };
  });
  return (
    locked?.value ?? {
      kind: 'busy',
      message: 'another copy of this refund notification is still being processed; retry later',
    }
  );
}
