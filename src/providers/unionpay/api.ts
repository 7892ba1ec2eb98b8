import { ProviderError, RequestError } from '../../errors/index.js';
import { parseFen } from '../../wire/money.js';
import type { ProviderRefundInput, ProviderRefundResult, QueryResult } from '../../spi/provider.js';
import type { Order } from '../../spi/types.js';
import type { PaymentStore } from '../../spi/store.js';
import type { UnionpayConfig } from './config.js';
import { acpTime, clearingDate, envelope, IN_PROGRESS, paidAtOf, SUCCESS, TXN } from './fields.js';
import { acpRefundOrderId, loadRefund, reqReservedOf, saveRefund, type RefundRecord } from './refunds.js';
import type { AcpFields } from './sign.js';
import { acpError, type AcpCall } from './wire.js';

/** What the provider's server-to-server operations need. */
export interface AcpApi {
  config: UnionpayConfig;
  call: AcpCall;
  store: PaymentStore;
  clock: () => Date;
}

/** `queryTrans.do` for one transaction (ours or a refund) by orderId + txnTime. `undefined` = respCode 34. */
async function queryTrans(api: AcpApi, orderId: string, txnTime: string): Promise<AcpFields | undefined> {
  const fields: AcpFields = {
    ...envelope(api.config),
    txnType: TXN.query,
    txnSubType: '00',
    bizType: '000000',
    orderId,
    txnTime,
  };
  let answer: AcpFields;
  try {
    answer = await api.call(api.config.endpoints.query, fields, 'queryTrans');
  } catch (error) {
    // "No such transaction" answered without a signature is still only a "not found": never proof of anything.
    if (error instanceof ProviderError && error.code === '34') return undefined;
    throw error;
  }
  if (answer.respCode === '34') return undefined;
  if (answer.respCode !== '00') throw acpError(answer, 'queryTrans', IN_PROGRESS);
  if (answer.orderId !== orderId) {
    throw new ProviderError({
      provider: 'unionpay',
      code: 'ORDER_MISMATCH',
      message: `queryTrans answered for order ${answer.orderId ?? '(none)'}, not ${orderId}`,
      raw: { ...answer },
    });
  }
  return answer;
}

/**
 * The state of a payment (spec §11). A query's `respCode=00` only means the query worked:
 * `origRespCode` 00/A6 is paid, 03/04/05 still processing, anything else failed; respCode 34 is
 * "no such transaction" (the buyer may not have paid yet).
 */
export async function queryPayment(
  api: AcpApi,
  orderId: string,
  record: Record<string, string> | undefined,
): Promise<QueryResult> {
  const txnTime = record?.txnTime;
  if (!txnTime) {
    throw new RequestError(
      `no UnionPay checkout record for order ${orderId}: a UnionPay query needs the orderId and the txnTime sent at checkout, which paymount keeps in its store`,
      'RECORD_MISSING',
    );
  }
  const answer = await queryTrans(api, orderId, txnTime);
  if (!answer) return { status: 'not_found', orderId, raw: {} };
  const raw: Record<string, unknown> = { ...answer };
  const orig = answer.origRespCode ?? '';
  if (SUCCESS.has(orig)) {
    const amount = parseFen(answer.txnAmt ?? '');
    if (!answer.queryId || amount === undefined) {
      throw new ProviderError({
        provider: 'unionpay',
        code: 'RESPONSE_MALFORMED',
        message: 'queryTrans reports success without queryId or txnAmt',
        raw,
      });
    }
    return {
      status: 'paid',
      orderId,
      transactionId: answer.queryId,
      amount,
      paidAt: paidAtOf(answer, api.clock()),
      channel: record?.channel === 'app' ? 'app' : 'wap',
      raw,
    };
  }
  if (IN_PROGRESS.has(orig)) return { status: 'pending', orderId, raw };
  return { status: 'closed', orderId, transactionId: answer.queryId || undefined, raw };
}

/**
 * Refund (04) or cancel (31) on `backTransReq.do` (spec §12). A full refund on the payment's own
 * clearing day is sent as a cancel, which UnionPay reverses at once; anything else is a refund.
 * Sync `respCode=00` only means *accepted*: the result comes by notify (or {@link queryRefund}).
 */
export async function refund(api: AcpApi, input: ProviderRefundInput): Promise<ProviderRefundResult> {
  const { order, refundId, amount } = input;
  const acpOrderId = acpRefundOrderId(order.id, refundId);
  const existing = await loadRefund(api.store, acpOrderId);
  if (existing && !existing.rejected) {
    // The same refundId again: report the first request's fate instead of sending a second one.
    // Only when UnionPay has no trace of it (the first call never arrived) is it sent again.
    const known = await refundState(api, refundId, existing, acpOrderId);
    if (known) return known;
  }

  const now = api.clock();
  const txnType = (await cancellable(api, order, amount, input.record)) ? TXN.cancel : TXN.refund;
  const record: RefundRecord = { orderId: order.id, refundId, txnType, txnTime: acpTime(now), amount };
  const fields: AcpFields = {
    ...envelope(api.config),
    txnType,
    txnSubType: '00',
    bizType: '000201',
    channelType: '07',
    orderId: acpOrderId,
    txnTime: record.txnTime,
    txnAmt: String(amount),
    currencyCode: '156',
    origQryId: input.transactionId,
    backUrl: input.notifyUrl,
    reqReserved: reqReservedOf(order.id, refundId),
  };
  // Saved before sending: the result notify can arrive before the synchronous answer.
  await saveRefund(api.store, acpOrderId, record);
  const what = txnType === TXN.cancel ? 'cancel (31)' : 'refund (04)';
  const answer = await api.call(api.config.endpoints.back, fields, what);
  const code = answer.respCode ?? '';
  if (code !== '00' && !IN_PROGRESS.has(code)) {
    await saveRefund(api.store, acpOrderId, { ...record, rejected: true });
    throw acpError(answer, what);
  }
  return { refundId, providerRefundId: answer.queryId || undefined, amount, status: 'processing', raw: { ...answer } };
}

/** Cancel only for the full amount and on the clearing day the payment settles on (asked by query). */
async function cancellable(
  api: AcpApi,
  order: Order,
  amount: number,
  record: Record<string, string> | undefined,
): Promise<boolean> {
  if (amount !== order.amount || !record?.txnTime) return false;
  try {
    const payment = await queryTrans(api, order.id, record.txnTime);
    return (
      SUCCESS.has(payment?.origRespCode ?? '') &&
      payment?.txnAmt === String(amount) &&
      payment.settleDate === clearingDate(api.clock())
    );
  } catch {
    return false;
  }
}

/** Where a refund or cancel stands, by its own orderId + txnTime. */
export async function queryRefund(
  api: AcpApi,
  input: { order: Order; refundId: string },
): Promise<ProviderRefundResult> {
  const acpOrderId = acpRefundOrderId(input.order.id, input.refundId);
  const record = await loadRefund(api.store, acpOrderId);
  if (!record)
    throw new RequestError(
      `refund ${input.refundId} of order ${input.order.id} was not sent by paymount (no record in the store)`,
      'REFUND_UNKNOWN',
    );
  if (record.rejected) return { refundId: input.refundId, amount: record.amount, status: 'failed', raw: {} };
  // Accepted but not yet visible to the query (respCode 34): still in progress.
  return (
    (await refundState(api, input.refundId, record, acpOrderId)) ?? {
      refundId: input.refundId,
      amount: record.amount,
      status: 'processing',
      raw: {},
    }
  );
}

/** The refund as UnionPay's query reports it; `undefined` when UnionPay has no such transaction. */
async function refundState(
  api: AcpApi,
  refundId: string,
  record: RefundRecord,
  acpOrderId: string,
): Promise<ProviderRefundResult | undefined> {
  const answer = await queryTrans(api, acpOrderId, record.txnTime);
  if (!answer) return undefined;
  const orig = answer.origRespCode ?? '';
  const status = SUCCESS.has(orig) ? 'success' : IN_PROGRESS.has(orig) ? 'processing' : 'failed';
  return {
    refundId,
    providerRefundId: answer.queryId || undefined,
    amount: parseFen(answer.txnAmt ?? '') ?? record.amount,
    status,
    raw: { ...answer },
  };
}

/**
 * UnionPay has no "close" for an unpaid consumption: it lapses at `payTimeout` (set it with
 * `order.expiresAt`). This checks that the order is indeed unpaid and refuses otherwise.
 */
export async function close(api: AcpApi, orderId: string, record: Record<string, string> | undefined): Promise<void> {
  if (!record?.txnTime) return;
  const result = await queryPayment(api, orderId, record);
  if (result.status === 'paid')
    throw new RequestError(
      `order ${orderId} is paid at UnionPay (queryId ${result.transactionId}); refund it instead of closing`,
      'ORDER_PAID',
    );
}
