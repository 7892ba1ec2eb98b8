import { ProviderError, RequestError } from '../errors/index.js';
import type { Provider, ProviderMismatch } from '../spi/provider.js';
import type { Channel } from '../spi/types.js';
import { isFen } from '../wire/money.js';
import { forgetOpenAttempts, readEntry, recordOf, tradeNumbersOf } from './attempts.js';
import { providerOf, type CoreContext } from './context.js';
import type { HookContext, RefundEvent } from './hooks.js';
import { keys, RECORD_TTL_MS } from './keys.js';
import { loadOrder } from './orders.js';
import { readSettled } from './records.js';
import { recordRefund } from './refunded.js';
import { queryOrder } from './settle.js';

/** Input of `payments.refund`. */
export interface RefundRequest {
  provider: string;
  orderId: string;
  /** The host's id for this refund: retrying with the same id never refunds twice. */
  refundId: string;
  /** Fen; at most the order's amount. */
  amount: number;
  reason?: string;
  /**
   * The payment's transaction id, as `onPaid` reported it. Needed only when the store has no record
   * of the payment and the provider cannot find it by trade number alone: UnionPay after a memory
   * store restart (docs/state.md#restarts).
   */
  transactionId?: string;
}

/** Options of `payments.query` and `payments.settle`. */
export interface QueryOptions {
  /**
   * The payment's transaction id, as `onPaid` reported it: finds a payment the store has no record
   * of where the provider cannot query the order's trade numbers without one (UnionPay after a
   * memory store restart; docs/state.md#restarts).
   */
  transactionId?: string;
}

/** What `payments.query` answers: the provider's view of an order (amounts in fen). */
export interface QueryResult {
  status: 'paid' | 'pending' | 'closed' | 'not_found' | 'refunded';
  orderId: string;
  /** The trade number the answer is about (the order id, or a retry's number). */
  tradeNo: string;
  transactionId?: string;
  amount?: number;
  paidAt?: Date;
  payer?: string;
  channel?: Channel;
  /** The provider's answer as received. */
  raw: Record<string, unknown>;
  /** Set when the answer names another merchant or app, or another currency. */
  mismatch?: ProviderMismatch;
}

const REFUND_ID = /^[A-Za-z0-9_\-|*@]{1,64}$/;

export async function query(
  core: CoreContext,
  providerId: string,
  orderId: string,
  options: QueryOptions = {},
): Promise<QueryResult> {
  const provider = providerOf(core, providerId);
  const known = options.transactionId ?? (await readSettled(core, provider.id, orderId))?.transactionId;
  const { tradeNo, state } = await queryOrder(core, provider, orderId, known);
  return { ...state, orderId, tradeNo };
}

/** The trade number and transaction id of a paid order, with that attempt's record: from the store, else by query. */
async function paymentOf(
  core: CoreContext,
  provider: Provider,
  orderId: string,
  transactionId: string | undefined,
): Promise<{ tradeNo: string; transactionId: string; record?: Record<string, string> }> {
  const settled = await readSettled(core, provider.id, orderId);
  const entry = await readEntry(core, provider.id, orderId);
  if (settled?.transactionId) {
    const tradeNo = settled.tradeNo;
    return { tradeNo, transactionId: settled.transactionId, record: recordOf(entry, tradeNo) };
  }
  const { tradeNo, state } = await queryOrder(core, provider, orderId, transactionId);
  if ((state.status === 'paid' || state.status === 'refunded') && state.transactionId) {
    return { tradeNo, transactionId: state.transactionId, record: recordOf(entry, tradeNo) };
  }
  throw new RequestError(
    `order ${orderId} is not paid at ${provider.id} (status: ${state.status}), so it cannot be refunded`,
    'ORDER_NOT_PAID',
  );
}

/** Refunds part or all of a paid order, idempotent on `refundId`; a final result reaches `onRefunded` once. */
export async function refund(core: CoreContext, input: RefundRequest): Promise<RefundEvent> {
  const provider = providerOf(core, input.provider);
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-conversion -- hosts in JavaScript may pass anything
  if (!REFUND_ID.test(String(input.refundId)))
    throw new RequestError('refundId must be 1–64 of letters, digits and _-|*@');
  if (!isFen(input.amount)) {
    throw new RequestError(`refund amount must be a positive integer of fen, got ${JSON.stringify(input.amount)}`);
  }
  const ctx: HookContext = { provider: provider.id, route: 'refund' };
  const order = await loadOrder(core, input.orderId, ctx);
  if (!order) throw new RequestError(`order ${input.orderId} not found`, 'ORDER_NOT_FOUND');
  if (input.amount > order.amount) {
    throw new RequestError(`refund of ${input.amount} fen exceeds the order's ${order.amount} fen`);
  }
  const { tradeNo, transactionId, record } = await paymentOf(core, provider, order.id, input.transactionId);
  await claimRefundId(core, provider.id, input.refundId, { orderId: order.id, amount: input.amount });
  core.queries.forget(provider.id, tradeNo);
  const result = await provider.refund({
    order,
    tradeNo,
    refundId: input.refundId,
    amount: input.amount,
    reason: input.reason,
    transactionId,
    record,
    notifyUrl: `${core.config.publicUrl}/notify/${provider.id}/refund`,
  });
  await recordRefund(core, provider.id, { type: 'refunded', orderId: order.id, tradeNo, ...result }, ctx);
  return {
    provider: provider.id,
    orderId: order.id,
    ...result,
    idempotencyKey: refundKey(provider.id, order.id, result.refundId),
  };
}

/**
 * A refund id names one refund: the first use binds it to an order and an amount, and a reuse for
 * anything else is refused before any provider call (providers disagree on what they do with it:
 * some refuse, some answer the first refund's result as if it were the new one).
 */
async function claimRefundId(
  core: CoreContext,
  provider: string,
  refundId: string,
  use: { orderId: string; amount: number },
): Promise<void> {
  const key = keys.refundId(provider, refundId);
  if (await core.store.setIfAbsent(key, JSON.stringify(use), RECORD_TTL_MS)) return;
  const text = await core.store.get(key);
  const first = text === undefined ? use : (JSON.parse(text) as typeof use);
  if (first.orderId !== use.orderId || first.amount !== use.amount) {
    throw new RequestError(
      `refund id ${refundId} was used for ${first.amount} fen of order ${first.orderId}; ` +
        `use a new refund id for ${use.amount} fen of order ${use.orderId}`,
      'REFUND_ID_CONFLICT',
    );
  }
}

const refundKey = (provider: string, orderId: string, refundId: string) => `${provider}:refund:${orderId}:${refundId}`;

/** Asks the provider where a refund stands; a final result reaches `onRefunded` once. */
export async function queryRefund(
  core: CoreContext,
  providerId: string,
  orderId: string,
  refundId: string,
): Promise<RefundEvent> {
  const provider = providerOf(core, providerId);
  const ctx: HookContext = { provider: provider.id, route: 'refund' };
  const order = await loadOrder(core, orderId, ctx);
  if (!order) throw new RequestError(`order ${orderId} not found`, 'ORDER_NOT_FOUND');
  const settled = await readSettled(core, provider.id, orderId);
  const entry = await readEntry(core, provider.id, orderId);
  // The refund was made on the paid attempt: the settled record names it, else a query finds it.
  const tradeNo = settled?.tradeNo ?? (await queryOrder(core, provider, orderId)).tradeNo;
  const result = await provider.queryRefund({
    order,
    tradeNo,
    refundId,
    transactionId: settled?.transactionId,
    record: recordOf(entry, tradeNo),
  });
  await recordRefund(core, provider.id, { type: 'refunded', orderId, tradeNo, ...result }, ctx);
  return {
    provider: provider.id,
    orderId,
    ...result,
    idempotencyKey: refundKey(provider.id, orderId, result.refundId),
  };
}

/**
 * Closes an unpaid order at the provider, every trade number it was checked out under, so that it
 * can no longer be paid.
 */
export async function close(core: CoreContext, providerId: string, orderId: string): Promise<void> {
  const provider = providerOf(core, providerId);
  if (await core.store.get(keys.settled(provider.id, orderId))) {
    throw new RequestError(`order ${orderId} is paid; refund it instead of closing`, 'ORDER_PAID');
  }
  const entry = await readEntry(core, provider.id, orderId);
  const tradeNumbers = tradeNumbersOf(provider, entry, orderId);
  for (const [i, tradeNo] of tradeNumbers.entries()) {
    try {
      await provider.close(tradeNo, recordOf(entry, tradeNo));
    } catch (error) {
      // With no record of the order (a restarted memory store), the later numbers are guesses:
      // a provider refusing to close one it never saw is expected.
      if (entry || i === 0 || !(error instanceof ProviderError) || error.code !== 'PROVIDER_REJECTED') throw error;
      continue;
    }
    core.queries.forget(provider.id, tradeNo);
    core.logger.info('trade closed', { orderId, provider: provider.id, tradeNo });
  }
  await forgetOpenAttempts(core, provider.id, orderId);
}
