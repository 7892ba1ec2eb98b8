import { ProviderError, RequestError } from '../../errors/index.js';
import { parseFen } from '../../wire/money.js';
import type { ProviderRefundInput, ProviderRefundQuery, ProviderRefundResult, TradeState } from '../../spi/provider.js';
import type { PaymentStore } from '../../spi/store.js';
import { refusal, type AcpCall } from './client.js';
import type { UnionpayConfig } from './config.js';
import { acpTime, clearingDate, envelope, IN_PROGRESS, NOT_FOUND, paidAtOf, SUCCESS, TXN } from './fields.js';
import { acpRefundOrderId, loadRefund, saveRefund, type RefundRecord } from './refunds.js';
import { reqReservedOf } from './reserved.js';
import type { AcpFields } from './sign.js';

/** What the provider's server-to-server operations need. */
export interface AcpApi {
  config: UnionpayConfig;
  call: AcpCall;
  store: PaymentStore;
  clock: () => Date;
}

/** How `queryTrans.do` finds a transaction: its orderId + txnTime (txnSubType 00), or its queryId (02). */
type QueryKey = { orderId: string; txnTime: string } | { queryId: string };

/**
 * `queryTrans.do` for one transaction (a payment, or a refund or cancel); `undefined` when
 * UnionPay answers 34, "no such transaction".
 */
async function queryTrans(api: AcpApi, key: QueryKey): Promise<AcpFields | undefined> {
  const fields: AcpFields = {
    ...envelope(api.config),
    txnType: TXN.query,
    txnSubType: 'queryId' in key ? '02' : '00',
    bizType: '000000',
    ...key,
  };
  let answer: AcpFields;
  try {
    answer = await api.call({ endpoint: 'query', fields, what: 'queryTrans', accept: NOT_FOUND });
  } catch (error) {
    // "No such transaction" answered without a signature is still only a "not found": never proof of anything.
    if (error instanceof ProviderError && NOT_FOUND.has(error.providerCode ?? '')) return undefined;
    throw error;
  }
  return NOT_FOUND.has(answer.respCode ?? '') ? undefined : answer;
}

/**
 * The state of a payment (docs/providers/unionpay.md#query). A query's `respCode=00` only means the query worked:
 * `origRespCode` 00/A6 is paid, 03/04/05 still processing, anything else failed; respCode 34 is
 * "no such transaction" (the buyer may not have paid yet).
 */
export async function queryPayment(
  api: AcpApi,
  tradeNo: string,
  record: Record<string, string> | undefined,
): Promise<TradeState> {
  const txnTime = record?.txnTime;
  if (!txnTime) {
    // UnionPay finds a transaction by orderId + txnTime or by its queryId, nothing else: without
    // the checkout record (docs/state.md) only the queryId the payment was reported with can help.
    throw new RequestError(
      `no UnionPay checkout record for trade number ${tradeNo}: UnionPay finds a payment by its orderId together ` +
        'with the txnTime sent at checkout, or by its queryId, and the store has neither (a memory store forgets ' +
        'them on restart; redisStore keeps them). Pass the queryId onPaid reported as transactionId to ' +
        'settle, query or refund',
      'RECORD_MISSING',
    );
  }
  const answer = await queryTrans(api, { orderId: tradeNo, txnTime });
  if (!answer) return { status: 'not_found', tradeNo, raw: {} };
  return paymentState(api, answer, tradeNo, record);
}

/**
 * The state of a payment by its queryId (`txnSubType=02` of UnionPay's transaction query,
 * open.unionpay.com): what still finds it when the
 * checkout record is gone. The answer names the payment's own orderId, reported as `tradeNo`.
 */
export async function queryPaymentById(api: AcpApi, queryId: string): Promise<TradeState> {
  const answer = await queryTrans(api, { queryId });
  if (!answer) return { status: 'not_found', tradeNo: '', raw: {} };
  if (answer.txnType !== TXN.consume || !answer.orderId) {
    throw new RequestError(
      `UnionPay queryId ${queryId} is not a payment (txnType ${answer.txnType ?? 'missing'}): pass the queryId of ` +
        'the consumption onPaid reported',
    );
  }
  return paymentState(api, answer, answer.orderId, undefined);
}

function paymentState(
  api: AcpApi,
  answer: AcpFields,
  tradeNo: string,
  record: Record<string, string> | undefined,
): TradeState {
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
      tradeNo,
      transactionId: answer.queryId,
      amount,
      paidAt: paidAtOf(answer, api.clock()),
      channel: record?.channel === 'app' ? 'app' : record ? 'wap' : undefined,
      raw,
    };
  }
  if (IN_PROGRESS.has(orig)) return { status: 'pending', tradeNo, raw };
  // eslint-disable-next-line @typescript-eslint/prefer-nullish-coalescing -- an empty queryId counts as none
  return { status: 'closed', tradeNo, transactionId: answer.queryId || undefined, raw };
}

/**
 * Refund (04) or cancel (31) on `backTransReq.do` (docs/providers/unionpay.md#refund-and-cancel). A
 * full refund on the payment's own clearing day is sent as a cancel, which UnionPay reverses at once;
 * anything else is a refund. Sync `respCode=00` only means *accepted*: the result comes by notify (or
 * {@link queryRefund}).
 */
export async function refund(api: AcpApi, input: ProviderRefundInput): Promise<ProviderRefundResult> {
  const { tradeNo, refundId, amount } = input;
  const acpOrderId = acpRefundOrderId(tradeNo, refundId);
  const existing = await loadRefund(api.store, acpOrderId);
  if (existing && !existing.rejected) {
    // The same refundId again: report the first request's fate instead of sending a second one.
    // Only when UnionPay has no trace of it (the first call never arrived) is it sent again.
    const known = await refundState(api, refundId, existing, acpOrderId);
    if (known) return known;
  }

  const now = api.clock();
  const txnType = (await cancellable(api, input)) ? TXN.cancel : TXN.refund;
  const record: RefundRecord = {
    orderId: tradeNo,
    refundId,
    txnType,
    txnTime: acpTime(now),
    amount,
    order: input.order.id,
  };
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
    reqReserved: reqReservedOf(tradeNo, refundId, input.order.id),
  };
  // Saved before sending: the result notify can arrive before the synchronous answer.
  await saveRefund(api.store, acpOrderId, record);
  const what = txnType === TXN.cancel ? 'cancel (31)' : 'refund (04)';
  let answer: AcpFields;
  try {
    answer = await api.call({ endpoint: 'back', fields, what, accept: IN_PROGRESS });
  } catch (error) {
    // Refused for certain: the same refundId may be sent again. Any other failure leaves the outcome unknown.
    if (refusal(error)) await saveRefund(api.store, acpOrderId, { ...record, rejected: true });
    throw error;
  }
  // eslint-disable-next-line @typescript-eslint/prefer-nullish-coalescing -- an empty queryId counts as none
  return { refundId, providerRefundId: answer.queryId || undefined, amount, status: 'processing', raw: { ...answer } };
}

/** Cancel only for the full amount and on the clearing day the payment settles on (asked by query). */
async function cancellable(api: AcpApi, input: ProviderRefundInput): Promise<boolean> {
  const { amount, order, record } = input;
  if (amount !== order.amount || !record?.txnTime) return false;
  try {
    const payment = await queryTrans(api, { orderId: input.tradeNo, txnTime: record.txnTime });
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
export async function queryRefund(api: AcpApi, input: ProviderRefundQuery): Promise<ProviderRefundResult> {
  const acpOrderId = acpRefundOrderId(input.tradeNo, input.refundId);
  const record = await loadRefund(api.store, acpOrderId);
  if (!record) {
    // A refund is queried by its own orderId + txnTime, and its txnTime lives only in the store.
    throw new RequestError(
      `no record of refund ${input.refundId} of order ${input.order.id} in the store: UnionPay finds a refund by ` +
        'the orderId and txnTime paymount sent it with, which the store keeps (a memory store forgets them on ' +
        'restart). Its result still comes by notify to onRefunded',
      'RECORD_MISSING',
    );
  }
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
  const answer = await queryTrans(api, { orderId: acpOrderId, txnTime: record.txnTime });
  if (!answer) return undefined;
  const orig = answer.origRespCode ?? '';
  const status = SUCCESS.has(orig) ? 'success' : IN_PROGRESS.has(orig) ? 'processing' : 'failed';
  return {
    refundId,
    // eslint-disable-next-line @typescript-eslint/prefer-nullish-coalescing -- an empty queryId counts as none
    providerRefundId: answer.queryId || undefined,
    amount: parseFen(answer.txnAmt ?? '') ?? record.amount,
    status,
    raw: { ...answer },
  };
}

/**
 * UnionPay has no "close" for an unpaid consumption: it lapses at `payTimeout` (set it with
 * `order.expiresAt`). This checks that the trade is indeed unpaid and refuses otherwise.
 */
export async function close(api: AcpApi, tradeNo: string, record: Record<string, string> | undefined): Promise<void> {
  if (!record?.txnTime) return;
  const result = await queryPayment(api, tradeNo, record);
  if (result.status === 'paid') {
    throw new RequestError(
      `trade number ${tradeNo} is paid at UnionPay (queryId ${result.transactionId}); refund it instead of closing`,
      'ORDER_PAID',
    );
  }
}
