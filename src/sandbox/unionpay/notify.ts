import type { KeyObject } from 'node:crypto';
import { compact } from '../wire/fields.js';
import { encodeForm } from '../wire/form.js';
import type { Delivery, SimulatorContext } from '../types.js';
import { signAsUnionpay } from './sign.js';
import type { Txn } from './transactions.js';

/**
 * Result messages (back notify, front return, query answer) and back-notify delivery: a form POST
 * to `backUrl`, acknowledged by HTTP 200 (or 302) whatever the body, else retried — five deliveries
 * in all, 0, 1, 2 and 4 minutes apart (UnionPay's official demo), compressed by `timeScale`.
 */
export const BACK_NOTIFY_SCHEDULE: readonly number[] = [0, 60_000, 120_000, 240_000];

/** UnionPay's signing identity: the leaf key and its PEM with CRLF line breaks. */
export interface Signer {
  key: KeyObject;
  certPem: string;
}

/** The masked card the simulated buyer pays with (the debit test card of UnionPay's demos). */
export const MASKED_CARD = '6216***********0018';

/** The fields UnionPay reports about a transaction's result (back notification, query answer). */
export function resultFields(txn: Txn): Record<string, string> {
  const succeeded = txn.status === 'success';
  const settled = txn.status === 'success' || txn.status === 'processing';
  return compact({
    version: '5.1.0',
    encoding: 'UTF-8',
    accessType: txn.accessType,
    bizType: txn.bizType,
    merId: txn.merId,
    orderId: txn.orderId,
    txnTime: txn.txnTime,
    txnType: txn.txnType,
    txnSubType: txn.txnSubType,
    txnAmt: String(txn.txnAmt),
    currencyCode: '156',
    respCode: txn.respCode,
    respMsg: txn.respMsg,
    reqReserved: txn.reqReserved,
    queryId: settled ? txn.queryId : undefined,
    traceNo: settled ? txn.traceNo : undefined,
    traceTime: settled ? txn.traceTime : undefined,
    settleDate: succeeded ? txn.settleDate : undefined,
    settleAmt: succeeded ? String(txn.txnAmt) : undefined,
    settleCurrencyCode: succeeded ? '156' : undefined,
    origQryId: txn.origQryId,
    accNo: succeeded && txn.txnType === '01' ? MASKED_CARD : undefined,
  });
}

/** Signs the result and sends it to the transaction's `backUrl`; the notifier keeps the record. */
export async function deliverBackNotify(ctx: SimulatorContext, signer: Signer, txn: Txn): Promise<Delivery> {
  const fields = await signAsUnionpay(resultFields(txn), signer.key, signer.certPem);
  return ctx.notifier.deliver({
    provider: 'unionpay',
    kind: txn.txnType === '01' ? 'payment' : txn.txnType === '04' ? 'refund' : 'cancel',
    orderId: txn.orderId,
    url: txn.backUrl,
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' },
    body: encodeForm(fields),
    schedule: BACK_NOTIFY_SCHEDULE,
    isAck: (status) => status === 200 || status === 302,
  });
}
