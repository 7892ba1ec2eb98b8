import { keys, providerOf, readRecord, type Engine } from './engine.js';
import { fulfil, settleEvent } from './fulfil.js';
import type { QueryResult } from './provider.js';
import type { HookContext, PaymentOutcome } from './types.js';

/**
 * Finds out whether an order is paid and fulfils it if so: the store first (a notify may have
 * settled it), then a query to the provider. Used by `/return` and `payments.settle`.
 */
export async function settleOrder(engine: Engine, providerId: string, orderId: string, ctx: HookContext): Promise<PaymentOutcome> {
  const provider = providerOf(engine, providerId);
  if (await engine.store.get(keys.settled(provider.id, orderId))) return 'paid';
  const result = await provider.query(orderId, await readRecord(engine, keys.checkout(provider.id, orderId)));
  return applyQuery(engine, provider.id, result, ctx);
}

async function applyQuery(engine: Engine, provider: string, result: QueryResult, ctx: HookContext): Promise<PaymentOutcome> {
  switch (result.status) {
    case 'paid':
    case 'refunded': {
      if (!result.transactionId || result.amount === undefined) return 'pending';
      const settlement = await fulfil(
        engine,
        provider,
        {
          type: 'paid',
          orderId: result.orderId,
          transactionId: result.transactionId,
          amount: result.amount,
          paidAt: result.paidAt ?? engine.clock(),
          channel: result.channel,
          payer: result.payer,
          raw: result.raw,
          mismatch: result.mismatch,
        },
        ctx,
      );
      return settlement.kind === 'fulfilled' || settlement.kind === 'duplicate' ? 'paid' : settlement.kind === 'mismatch' ? 'failed' : 'pending';
    }
    case 'closed':
      await settleEvent(engine, provider, { type: 'closed', orderId: result.orderId, transactionId: result.transactionId, reason: 'closed', raw: result.raw, mismatch: result.mismatch }, ctx);
      return 'closed';
    default:
      return 'pending';
  }
}
