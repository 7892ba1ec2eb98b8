import { compact, type Fields } from '../wire/fields.js';
import { beijingCompact } from '../wire/time.js';
import type { SandboxRequest, SandboxResponse } from '../types.js';
import { type StatementRecord } from '../statement-records.js';
import { isDay, statementTiming } from '../statement-days.js';
import { fail, GatewayError, SUCCESS_MSG } from './codes.js';
import type { GatewayState } from './gateway.js';
import { deliverBackNotify } from './notify.js';
import { encodeRaw, signAsUnionpay } from './sign.js';
import { unionpayClearingDay, unionpayStatementFile } from './statement.js';
import type { Ledger } from './transactions.js';
import * as check from './validate.js';

/**
 * The file host's one endpoint (ACP 5.1.0 file transfer, "全渠道平台接入接口规范 第5部分 文件接口"):
 * `POST /` with `txnType=76`, `txnSubType=01`, `bizType=000000`, `fileType=00` and the clearing
 * day `settleDate` (MMDD), signed like any ACP request; the signed answer carries the day's zip in
 * `fileContent`. The file of clearing day D (23:00 the day before to 23:00 on D) is made at 06:00 on
 * D+1 from the simulator's ledger; before that, and for a day without transactions, the answer is
 * `respCode=98` (no file), the code integrators treat as "no file yet".
 */

/** Files are made at 06:00 Beijing time the day after the clearing day. */
const READY_HOUR = 6;

const ECHO = ['txnType', 'txnSubType', 'bizType', 'accessType', 'merId', 'settleDate', 'txnTime', 'fileType'] as const;

/** The successful transactions of one merchant as statement records. */
export function unionpayRecords(ledger: Ledger, merId: string): StatementRecord[] {
  const records: StatementRecord[] = [];
  for (const txn of ledger.all()) {
    const { queryId, stampedAt } = txn;
    if (txn.merId !== merId || txn.status !== 'success' || !queryId || !stampedAt) continue;
    if (txn.txnType === '01') {
      const subject = txn.commodityName ?? txn.orderDesc;
      records.push({
        kind: 'payment',
        tradeNo: txn.orderId,
        transactionId: queryId,
        amount: txn.txnAmt,
        time: stampedAt,
        ...(subject ? { subject } : {}),
        channel: txn.channel === 'app' ? 'app' : 'wap',
      });
      continue;
    }
    const payment = ledger.findByQueryId(merId, txn.origQryId ?? '');
    records.push({
      kind: 'refund',
      tradeNo: payment?.orderId ?? '',
      transactionId: txn.origQryId ?? '',
      refundId: txn.orderId,
      providerRefundId: queryId,
      amount: txn.txnAmt,
      time: stampedAt,
      ...(payment?.stampedAt ? { paidAt: payment.stampedAt } : {}),
      cancel: txn.txnType === '31',
    });
  }
  return records;
}

async function answer(state: GatewayState, fields: Record<string, string | undefined>): Promise<SandboxResponse> {
  const signed = await signAsUnionpay(compact(fields), state.signer.key, state.signer.certPem);
  return { status: 200, headers: { 'content-type': 'text/plain; charset=UTF-8' }, body: encodeRaw(signed) };
}

/** The clearing day `MMDD` names: the latest such day that is not after today. */
function clearingDay(settleDate: string, now: Date): string | undefined {
  const today = unionpayClearingDay(now);
  const year = Number(today.slice(0, 4));
  for (const y of [year, year - 1]) {
    const day = `${y}-${settleDate.slice(0, 2)}-${settleDate.slice(2)}`;
    if (isDay(day) && day <= today) return day;
  }
  return undefined;
}

/** `POST /` of the file host. */
export async function fileTransfer(state: GatewayState, req: SandboxRequest): Promise<SandboxResponse> {
  let fields: Fields = Object.create(null) as Fields;
  const echo = () => Object.fromEntries(['version', 'encoding', ...ECHO].map((k) => [k, fields[k]]));
  try {
    fields = check.readForm(req);
    check.verifyEnvelope(fields, state.certs);
    for (const [key, value] of [
      ['txnType', '76'],
      ['txnSubType', '01'],
      ['bizType', '000000'],
      ['accessType', '0'],
      ['fileType', '00'],
    ] as const) {
      check.requireFields(fields, key);
      if (fields[key] !== value) throw fail.format(`${key}=${fields[key]}: a file transfer sends ${key}=${value}`);
    }
    check.requireFields(fields, 'settleDate');
    const now = state.ctx.clock();
    check.freshTxnTime(fields, now, state.txnTimeSkewMs);
    const fault = state.faults.take('76');
    if (fault) throw fault;
    const { settleDate = '', merId = '' } = fields;
    const day = /^\d{4}$/.test(settleDate) ? clearingDay(settleDate, now) : undefined;
    if (!day) throw fail.format(`settleDate=${fields.settleDate} is not a clearing day MMDD`);
    const records = unionpayRecords(state.ledger, merId).filter((r) => unionpayClearingDay(r.time) === day);
    if (statementTiming(day, now, READY_HOUR) !== 'ready' || records.length === 0) {
      const why = records.length
        ? `the file of ${day} is made at 06:00 the next day`
        : `no transaction cleared on ${day}`;
      throw new GatewayError('98', '9800001', `文件不存在 ${why}`);
    }
    const file = unionpayStatementFile(records, { settleDate: day, merId });
    return await answer(state, {
      ...echo(),
      respCode: '00',
      respMsg: SUCCESS_MSG,
      fileName: file.fileName,
      fileContent: file.fileContent,
    });
  } catch (error) {
    if (error instanceof GatewayError)
      return answer(state, { ...echo(), respCode: error.respCode, respMsg: error.respMsg });
    throw error;
  }
}

/** Test control: a refund (04) made in the merchant service platform, not through the gateway. */
export interface UnionpayPlatformRefund {
  /** The `orderId` of the payment refunded. */
  orderId: string;
  /** The refund's own `orderId` (8–40 letters and digits). */
  refundOrderId: string;
  /** Fen. */
  amount: number;
  /** Where its result is notified; default: nowhere (the merchant learns of it from the file). */
  backUrl?: string;
}

/** Records a platform refund, successful at once; throws UnionPay's refusal as a `GatewayError`. */
export function platformRefund(state: GatewayState, merId: string, input: UnionpayPlatformRefund): void {
  const payment = state.ledger
    .all()
    .filter((t) => t.merId === merId && t.txnType === '01' && t.orderId === input.orderId && t.status === 'success')
    .at(-1);
  if (!payment?.queryId) throw new Error(`no successful UnionPay payment with orderId ${input.orderId}`);
  const now = state.ctx.clock();
  const fields: Fields = {
    merId,
    orderId: input.refundOrderId,
    txnTime: beijingCompact(now),
    txnAmt: String(input.amount),
    txnSubType: '00',
    bizType: '000201',
    channelType: '07',
    accessType: '0',
    backUrl: input.backUrl ?? '',
    origQryId: payment.queryId,
  };
  const txn = state.ledger.acceptBack(fields, '04', now);
  state.ledger.complete(txn, now);
  if (input.backUrl) void deliverBackNotify(state.ctx, state.signer, txn);
}
