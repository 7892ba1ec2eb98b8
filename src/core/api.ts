import { readEntry, recordOf, tradeNumbersOf } from './attempts.js';
import { keys, loadOrder, providerOf, readSettled, type Engine } from './engine.js';
import { RequestError } from '../errors/index.js';
import { refunded } from './fulfil.js';
import { isFen } from '../wire/money.js';
import type { Provider, QueryResult } from '../spi/provider.js';
import { queryOrder } from './settle.js';
import type { HookContext, RefundEvent } from './hooks.js';

/** Input of `payments.refund`. */
export interface RefundRequest {
  provider: string;
  orderId: string;
  /** The host's id for this refund: retrying with the same id never refunds twice. */
  refundId: string;
  /** Fen; at most the order's amount. */
  amount: number;
  reason?: string;
}

const REFUND_ID = /^[A-Za-z0-9_\-|*@]{1,64}$/;

export async function query(engine: Engine, providerId: string, orderId: string): Promise<QueryResult> {
  return (await queryOrder(engine, providerOf(engine, providerId), orderId)).result;
}

/** The trade number and transaction id of a paid order, with that attempt's record: from the store, else by query. */
async function paymentOf(
  engine: Engine,
  provider: Provider,
  orderId: string,
): Promise<{ tradeNo: string; transactionId: string; record?: Record<string, string> }> {
  const settled = await readSettled(engine, provider.id, orderId);
  const entry = await readEntry(engine, provider.id, orderId);
  if (settled?.transactionId) {
    const tradeNo = settled.tradeNo;
    return { tradeNo, transactionId: settled.transactionId, record: recordOf(entry, tradeNo) };
  }
  const { tradeNo, result } = await queryOrder(engine, provider, orderId);
  if ((result.status === 'paid' || result.status === 'refunded') && result.transactionId)
    return { tradeNo, transactionId: result.transactionId, record: recordOf(entry, tradeNo) };
  throw new RequestError(
    `order ${orderId} is not paid at ${provider.id} (status: ${result.status}), so it cannot be refunded`,
    409,
    'ORDER_NOT_PAID',
  );
}

/** Refunds part or all of a paid order, idempotent on `refundId`; a final result reaches `onRefunded` once. */
export async function refund(engine: Engine, input: RefundRequest): Promise<RefundEvent> {
  const provider = providerOf(engine, input.provider);
  if (!REFUND_ID.test(String(input.refundId)))
    throw new RequestError('refundId must be 1–64 of letters, digits and _-|*@');
  if (!isFen(input.amount))
    throw new RequestError(`refund amount must be a positive integer of fen, got ${JSON.stringify(input.amount)}`);
  const ctx: HookContext = { provider: provider.id, route: 'refund' };
  const order = await loadOrder(engine, input.orderId, ctx);
  if (!order) throw new RequestError(`order ${input.orderId} not found`, 404, 'ORDER_NOT_FOUND');
  if (input.amount > order.amount)
    throw new RequestError(`refund of ${input.amount} fen exceeds the order's ${order.amount} fen`);
  const { tradeNo, transactionId, record } = await paymentOf(engine, provider, order.id);
  const result = await provider.refund({
    order: { ...order, id: tradeNo },
    refundId: input.refundId,
    amount: input.amount,
    reason: input.reason,
    transactionId,
    record,
    notifyUrl: `${engine.config.publicUrl}/notify/${provider.id}/refund`,
  });
  await refunded(engine, provider.id, { type: 'refunded', orderId: order.id, ...result }, ctx);
  return {
    provider: provider.id,
    orderId: order.id,
    ...result,
    idempotencyKey: `${provider.id}:refund:${order.id}:${result.refundId}`,
  };
}

/** Asks the provider where a refund stands; a final result reaches `onRefunded` once. */
export async function queryRefund(
  engine: Engine,
  providerId: string,
  orderId: string,
  refundId: string,
): Promise<RefundEvent> {
  const provider = providerOf(engine, providerId);
  const ctx: HookContext = { provider: provider.id, route: 'refund' };
  const order = await loadOrder(engine, orderId, ctx);
  if (!order) throw new RequestError(`order ${orderId} not found`, 404, 'ORDER_NOT_FOUND');
  const settled = await readSettled(engine, provider.id, orderId);
  const entry = await readEntry(engine, provider.id, orderId);
  // The refund was made on the paid attempt: the settled record names it, else a query finds it.
  const tradeNo = settled?.tradeNo ?? (await queryOrder(engine, provider, orderId)).tradeNo;
  const result = await provider.queryRefund({
    order: { ...order, id: tradeNo },
    refundId,
    transactionId: settled?.transactionId,
    record: recordOf(entry, tradeNo),
  });
  await refunded(engine, provider.id, { type: 'refunded', orderId, ...result }, ctx);
  return {
    provider: provider.id,
    orderId,
    ...result,
    idempotencyKey: `${provider.id}:refund:${orderId}:${result.refundId}`,
  };
}

/** Closes an unpaid order at the provider, every trade number it was checked out under, so that it can no longer be paid. */
export async function close(engine: Engine, providerId: string, orderId: string): Promise<void> {
  const provider = providerOf(engine, providerId);
  if (await engine.store.get(keys.settled(provider.id, orderId)))
    throw new RequestError(`order ${orderId} is paid; refund it instead of closing`, 409, 'ORDER_PAID');
  const entry = await readEntry(engine, provider.id, orderId);
  for (const tradeNo of tradeNumbersOf(entry, orderId)) await provider.close(tradeNo, recordOf(entry, tradeNo));
}
