import { RequestError } from '../errors/index.js';
import type { Provider, TradeState } from '../spi/provider.js';
import { apply } from './apply.js';
import { couldUse, readEntry, recordOf, tradeNumbersOf } from './attempts.js';
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
 * `transactionId`, the payment's id at the provider when the host or the store knows it, finds
 * the payment where the trade numbers alone cannot be queried without their checkout records.
 */
export async function queryOrder(
  core: CoreContext,
  provider: Provider,
  orderId: string,
  transactionId?: string,
): Promise<OrderState> {
  const entry = await readEntry(core, provider.id, orderId);
  if (!entry && transactionId && provider.queryTransaction) {
    return queryTransaction(provider, orderId, transactionId);
  }
  let latest: OrderState | undefined;
  for (const tradeNo of tradeNumbersOf(provider, entry, orderId)) {
    const state = await core.queries.query(provider, tradeNo, recordOf(entry, tradeNo));
    const answer = { tradeNo, state, current: latest === undefined };
    if (state.status === 'paid' || state.status === 'refunded') return answer;
    // Without a record, every number the order could have used is asked: a provider may never
    // have seen a number that was checked out (an Alipay order string the buyer never opened)
    // while the next one was paid.
    latest ??= answer;
  }
  if (!latest) {
    throw new RequestError(
      `order ${orderId} has no ${provider.id} trade number: ${provider.checkTradeNo(orderId) ?? ''}`,
    );
  }
  return latest;
}

/** The payment `transactionId`, which must be one of the order's trade numbers (docs/state.md#restarts). */
async function queryTransaction(provider: Provider, orderId: string, transactionId: string): Promise<OrderState> {
  const state = await provider.queryTransaction?.(transactionId);
  if (!state || state.status === 'not_found') {
    throw new RequestError(`${provider.id} knows no transaction ${transactionId} (order ${orderId})`);
  }
  if (!couldUse(provider, orderId, state.tradeNo)) {
    throw new RequestError(
      `${provider.id} transaction ${transactionId} paid trade number ${state.tradeNo}, which is not one of order ` +
        `${orderId}'s: pass the transactionId onPaid reported for this order`,
    );
  }
  return { tradeNo: state.tradeNo, state, current: true };
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
  knownTransaction?: string,
): Promise<PaymentOutcome> {
  const provider = providerOf(core, providerId);
  if (await core.store.get(keys.settled(provider.id, orderId))) return 'paid';
  const { tradeNo, state, current } = await queryOrder(core, provider, orderId, knownTransaction);
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
