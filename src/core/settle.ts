import { readEntry, recordOf, tradeNumbersOf } from './attempts.js';
import { keys, providerOf, type Engine } from './engine.js';
import { fulfil, settleEvent } from './fulfil.js';
import type { Provider, QueryResult } from '../spi/provider.js';
import type { HookContext, PaymentOutcome } from './hooks.js';

/** One attempt's answer, with the host's order id in place of the trade number. */
export interface OrderQuery {
  tradeNo: string;
  result: QueryResult;
  current: boolean;
}

/**
 * Asks the provider about an order: every trade number it was checked out under, latest first,
 * stopping at a paid one (a buyer may have paid an earlier attempt). Otherwise the latest speaks.
 */
export async function queryOrder(engine: Engine, provider: Provider, orderId: string): Promise<OrderQuery> {
  const entry = await readEntry(engine, provider.id, orderId);
  let latest: OrderQuery | undefined;
  for (const tradeNo of tradeNumbersOf(entry, orderId)) {
    const raw = await provider.query(tradeNo, recordOf(entry, tradeNo));
    const answer = { tradeNo, result: { ...raw, orderId }, current: latest === undefined };
    if (raw.status === 'paid' || raw.status === 'refunded') return answer;
    latest ??= answer;
  }
  return latest!;
}

/**
 * Finds out whether an order is paid and fulfils it if so: the store first (a notify may have
 * settled it), then the provider. Used by `/return` and `payments.settle`.
 */
export async function settleOrder(
  engine: Engine,
  providerId: string,
  orderId: string,
  ctx: HookContext,
): Promise<PaymentOutcome> {
  const provider = providerOf(engine, providerId);
  if (await engine.store.get(keys.settled(provider.id, orderId))) return 'paid';
  const { tradeNo, result, current } = await queryOrder(engine, provider, orderId);
  switch (result.status) {
    case 'paid':
    case 'refunded': {
      if (!result.transactionId || result.amount === undefined) return 'pending';
      const settlement = await fulfil(
        engine,
        provider.id,
        {
          type: 'paid',
          orderId,
          transactionId: result.transactionId,
          amount: result.amount,
          paidAt: result.paidAt ?? engine.clock(),
          channel: result.channel,
          payer: result.payer,
          raw: result.raw,
          mismatch: result.mismatch,
        },
        ctx,
        tradeNo,
      );
      return settlement.kind === 'fulfilled' || settlement.kind === 'duplicate'
        ? 'paid'
        : settlement.kind === 'mismatch'
          ? 'failed'
          : 'pending';
    }
    case 'closed':
      if (current) {
        await settleEvent(
          engine,
          provider.id,
          {
            type: 'closed',
            orderId,
            transactionId: result.transactionId,
            reason: 'closed',
            raw: result.raw,
            mismatch: result.mismatch,
          },
          ctx,
        );
      }
      return 'closed';
    default:
      return 'pending';
  }
}
