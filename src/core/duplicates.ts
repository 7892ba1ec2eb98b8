import { createHash } from 'node:crypto';
import type { Order } from '../spi/types.js';
import { readEntry, recordOf } from './attempts.js';
import { providerOf, type CoreContext } from './context.js';
import type { Payment } from './events.js';
import type { HookContext } from './hooks.js';
import { keys, RECORD_TTL_MS } from './keys.js';
import { recordRefund } from './refunded.js';

/**
 * The refund id of a double payment: derived from the transaction, so a retry after a timeout or a
 * restart asks the provider for the same refund, which every provider refunds once per id.
 */
export function duplicateRefundId(provider: string, transactionId: string): string {
  return `D${createHash('sha256').update(`${provider}:${transactionId}`).digest('hex').slice(0, 31)}`;
}

/** Refunds a double payment in full and reports it to `onRefunded`; marks it done once accepted. */
export async function refundDuplicate(
  core: CoreContext,
  providerId: string,
  paid: Payment,
  order: Order,
  ctx: HookContext,
): Promise<void> {
  const provider = providerOf(core, providerId);
  const refundId = duplicateRefundId(providerId, paid.transactionId);
  const entry = await readEntry(core, providerId, paid.orderId);
  const result = await provider.refund({
    order,
    tradeNo: paid.tradeNo,
    refundId,
    amount: paid.amount,
    reason: 'double payment',
    transactionId: paid.transactionId,
    record: recordOf(entry, paid.tradeNo),
    notifyUrl: `${core.config.publicUrl}/notify/${providerId}/refund`,
  });
  await core.store.set(keys.duplicateRefund(providerId, paid.transactionId), 'accepted', RECORD_TTL_MS, 'record');
  await recordRefund(
    core,
    providerId,
    { type: 'refunded', orderId: paid.orderId, tradeNo: paid.tradeNo, ...result },
    ctx,
  );
}
