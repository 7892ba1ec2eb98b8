import { RequestError } from '../errors/index.js';
import type { Provider, TradeState } from '../spi/provider.js';
import { apply } from './apply.js';
import { readEntry, recordOf, tradeNumbersOf } from './attempts.js';
import { providerOf, type CoreContext } from './context.js';
import type { HookContext, PaymentOutcome } from './hooks.js';
import { keys } from './keys.js';

/** One attempt's answer to a query about an order. */
export interface OrderState {
  tradeNo: string;
  state: TradeState;
  /** True when the answer is about the order's latest attempt. */
  current: boolean;
}

/**
 * Asks the provider about an order: every trade number it was checked out under, latest first,
 * stopping at a paid one (a buyer may have paid an earlier attempt). Otherwise the latest speaks.
 */
export async function queryOrder(core: CoreContext, provider: Provider, orderId: string): Promise<OrderState> {
  const entry = await readEntry(core, provider.id, orderId);
  let latest: OrderState | undefined;
  for (const tradeNo of tradeNumbersOf(provider, entry, orderId)) {
    const state = await core.queries.query(provider, tradeNo, recordOf(entry, tradeNo));
    const answer = { tradeNo, state, current: latest === undefined };
    if (state.status === 'paid' || state.status === 'refunded') return answer;
    latest ??= answer;
    // Without a record, the numbers are the ones the order would have used, in order: one the
    // provider never saw means the later ones were never used either.
    if (!entry && state.status === 'not_found') break;
  }
  if (!latest) {
    throw new RequestError(
      `order ${orderId} has no ${provider.id} trade number: ${provider.checkTradeNo(orderId) ?? ''}`,
    );
  }
  return latest;
}

/**
 * Finds out whether an order is paid and fulfils it if so: the store first (a notify may have
 * settled it), then the provider. Used by `/return` and `payments.settle`.
 */
export async function settle(
  core: CoreContext,
  providerId: string,
  orderId: string,
  ctx: HookContext,
): Promise<PaymentOutcome> {
  const provider = providerOf(core, providerId);
  if (await core.store.get(keys.settled(provider.id, orderId))) return 'paid';
  const { tradeNo, state, current } = await queryOrder(core, provider, orderId);
  const { transactionId, raw, mismatch } = state;
  switch (state.status) {
    case 'paid':
    case 'refunded': {
      if (!transactionId || state.amount === undefined) return 'pending';
      const verdict = await apply(
        core,
        provider.id,
        {
          type: 'paid',
          orderId,
          tradeNo,
          transactionId,
          amount: state.amount,
          paidAt: state.paidAt ?? core.clock(),
          channel: state.channel,
          payer: state.payer,
          raw,
          mismatch,
        },
        ctx,
      );
      if (verdict.kind === 'fulfilled' || verdict.kind === 'duplicate') return 'paid';
      return verdict.kind === 'mismatch' ? 'failed' : 'pending';
    }
    case 'closed':
      if (current) {
        await apply(
          core,
          provider.id,
          { type: 'closed', orderId, tradeNo, transactionId, reason: 'closed', raw, mismatch },
          ctx,
        );
      }
      return 'closed';
    default:
      return 'pending';
  }
}
