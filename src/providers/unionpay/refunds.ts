import { createHash } from 'node:crypto';
import type { PaymentStore } from '../../spi/store.js';

/**
 * Refund bookkeeping. A UnionPay refund or cancel is a transaction of its own with a *new*
 * orderId (8–40 alphanumerics) and its own txnTime; its notify names only that orderId and the
 * payment's queryId. So each refund is remembered in the store under its UnionPay orderId (what
 * the notify and the refund query need), and the request also carries `reqReserved =
 * "<payment orderId>|<refundId>"` (`reserved.ts`), which UnionPay echoes signed, so a notify still
 * finds its payment when the store entry is gone (another instance's memory store, an expired entry).
 */
export interface RefundRecord {
  /** The ACP orderId of the payment refunded: its trade number, not the host's order id. */
  orderId: string;
  refundId: string;
  /** `04` refund or `31` cancel. */
  txnType: string;
  txnTime: string;
  amount: number;
  /** Set when UnionPay refused the request synchronously. */
  rejected?: boolean;
  /** The host's order id (records written before it was kept have none). */
  order?: string;
}

const TTL = 400 * 24 * 3600_000;
const key = (acpOrderId: string) => `paymount:unionpay:refund:${acpOrderId}`;

/**
 * The UnionPay orderId of a refund: a deterministic 32-character id derived from the payment's
 * orderId (its trade number) and the host's refundId, so a retry with the same refundId never
 * becomes a second refund, and the same refundId on two orders never names one refund (refund ids
 * are per order).
 */
export function acpRefundOrderId(orderId: string, refundId: string): string {
  return `R${createHash('sha256').update(`${orderId}|${refundId}`, 'utf8').digest('hex').slice(0, 31)}`;
}

/** Remembers a refund under its own UnionPay orderId. */
export async function saveRefund(store: PaymentStore, acpOrderId: string, record: RefundRecord): Promise<void> {
  await store.set(key(acpOrderId), JSON.stringify(record), TTL, 'record');
}

/** The refund sent under this UnionPay orderId, if paymount remembers it. */
export async function loadRefund(store: PaymentStore, acpOrderId: string): Promise<RefundRecord | undefined> {
  const text = await store.get(key(acpOrderId));
  return text === undefined ? undefined : (JSON.parse(text) as RefundRecord);
}
