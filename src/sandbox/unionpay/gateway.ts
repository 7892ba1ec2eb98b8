import { compact, type Fields } from '../wire/fields.js';
import type { SandboxRequest, SandboxResponse, SimulatorContext } from '../types.js';
import { errorPage, cashierPage } from './cashier.js';
import { fail, GatewayError, respMsg, SUCCESS_MSG } from './codes.js';
import { PROCESSING_CODES, type Faults } from './faults.js';
import { deliverBackNotify, resultFields, type Signer } from './notify.js';
import { encodeRaw, signAsUnionpay } from './sign.js';
import type { Ledger } from './transactions.js';
import * as check from './validate.js';

/** What the gateway endpoints share. */
export interface GatewayState {
  ctx: SimulatorContext;
  ledger: Ledger;
  certs: ReadonlyMap<string, check.MerchantCert>;
  signer: Signer;
  faults: Faults;
  /** How far `txnTime` may be from the gateway's Beijing time. */
  txnTimeSkewMs: number;
  /** Real-provider time between accepting a refund/cancel and its result (scaled by `timeScale`). */
  backResultDelayMs: number;
  /** Pending refund/cancel completions, cleared on close. */
  timers: Set<NodeJS.Timeout>;
}

const html = (status: number, body: string): SandboxResponse => ({
  status,
  headers: { 'content-type': 'text/html; charset=utf-8' },
  body,
});

/** Signs and encodes a synchronous answer (raw `k=v&…`). Refusals are HTTP 200 too, as at UnionPay. */
async function rawAnswer(state: GatewayState, fields: Record<string, string | undefined>): Promise<SandboxResponse> {
  const signed = await signAsUnionpay(compact(fields), state.signer.key, state.signer.certPem);
  return { status: 200, headers: { 'content-type': 'text/plain; charset=UTF-8' }, body: encodeRaw(signed) };
}

/** The request fields UnionPay echoes in its synchronous answers. */
function echo(fields: Fields, keys: readonly string[]): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = { version: '5.1.0', encoding: fields.encoding ?? 'UTF-8' };
  for (const key of keys) out[key] = fields[key];
  return out;
}

const CONSUME_ECHO = [
  'txnType',
  'txnSubType',
  'bizType',
  'accessType',
  'merId',
  'orderId',
  'txnTime',
  'reqReserved',
  'reserved',
] as const;
const BACK_ECHO = [
  'txnType',
  'txnSubType',
  'bizType',
  'accessType',
  'merId',
  'orderId',
  'txnTime',
  'txnAmt',
  'origQryId',
  'reqReserved',
] as const;

/** Validates a consumption (front or app) and records it. */
function acceptConsumption(state: GatewayState, fields: Fields, front: boolean) {
  const now = state.ctx.clock();
  check.consumption(fields, front);
  check.orderId(fields);
  check.amount(fields);
  const txnTime = check.freshTxnTime(fields, now, state.txnTimeSkewMs);
  let payTimeout: Date | undefined;
  if (fields.payTimeout !== undefined) {
    payTimeout = check.beijingTime(fields, 'payTimeout');
    if (payTimeout.getTime() <= txnTime.getTime())
      throw fail.format(`payTimeout=${fields.payTimeout} must be after txnTime=${fields.txnTime}`);
  }
  state.ledger.checkNew(fields.merId!, fields.orderId!, fields.txnTime!);
  return state.ledger.createConsumption(fields, front ? 'front' : 'app', payTimeout);
}

/** `POST /gateway/api/frontTransReq.do`: the browser's form. Answer: the cashier page, or an error page. */
export async function frontTransReq(state: GatewayState, req: SandboxRequest): Promise<SandboxResponse> {
  try {
    const fields = check.readForm(req);
    check.verifyEnvelope(fields, state.certs);
    const fault = state.faults.take(fields.txnType);
    if (fault) throw fault;
    const txn = acceptConsumption(state, fields, true);
    return html(200, cashierPage(state.ctx.baseUrl, txn));
  } catch (error) {
    if (error instanceof GatewayError) return html(400, errorPage(error));
    throw error;
  }
}

/** `POST /gateway/api/appTransReq.do`: a consumption for the UnionPay app control; answers `tn`. */
export async function appTransReq(state: GatewayState, req: SandboxRequest): Promise<SandboxResponse> {
  let fields: Fields = Object.create(null);
  try {
    fields = check.readForm(req);
    check.verifyEnvelope(fields, state.certs);
    const fault = state.faults.take(fields.txnType);
    if (fault && !PROCESSING_CODES.has(fault.respCode)) throw fault;
    const txn = acceptConsumption(state, fields, false);
    // "State unknown": the order exists at the gateway but the merchant got no tn (a retry is a duplicate).
    if (fault) throw fault;
    return rawAnswer(state, { ...echo(fields, CONSUME_ECHO), respCode: '00', respMsg: SUCCESS_MSG, tn: txn.tn });
  } catch (error) {
    if (error instanceof GatewayError)
      return rawAnswer(state, { ...echo(fields, CONSUME_ECHO), respCode: error.respCode, respMsg: error.respMsg });
    throw error;
  }
}

/** `POST /gateway/api/backTransReq.do`: refund (04) or cancel (31). `00` means accepted; the result is notified. */
export async function backTransReq(state: GatewayState, req: SandboxRequest): Promise<SandboxResponse> {
  let fields: Fields = Object.create(null);
  try {
    fields = check.readForm(req);
    check.verifyEnvelope(fields, state.certs);
    const txnType = check.backTransaction(fields);
    check.orderId(fields);
    check.amount(fields);
    check.freshTxnTime(fields, state.ctx.clock(), state.txnTimeSkewMs);
    const fault = state.faults.take(txnType);
    if (fault && !PROCESSING_CODES.has(fault.respCode)) throw fault;
    const txn = state.ledger.acceptBack(fields, txnType, state.ctx.clock());
    const timer = setTimeout(
      () => {
        state.timers.delete(timer);
        state.ledger.complete(txn, state.ctx.clock());
        void deliverBackNotify(state.ctx, state.signer, txn);
      },
      Math.max(0, Math.round(state.backResultDelayMs * state.ctx.timeScale)),
    );
    state.timers.add(timer);
    const answer = { ...echo(fields, BACK_ECHO), queryId: txn.queryId };
    if (fault) return rawAnswer(state, { ...answer, respCode: fault.respCode, respMsg: fault.respMsg });
    return rawAnswer(state, { ...answer, respCode: '00', respMsg: SUCCESS_MSG });
  } catch (error) {
    if (error instanceof GatewayError)
      return rawAnswer(state, { ...echo(fields, BACK_ECHO), respCode: error.respCode, respMsg: error.respMsg });
    throw error;
  }
}

/**
 * `POST /gateway/api/queryTrans.do`: `respCode` is about the query; the transaction's own result is
 * `origRespCode` (00 success, 05 still processing, else failed). An unpaid order is `34` — final
 * once its payTimeout has passed.
 */
export async function queryTrans(state: GatewayState, req: SandboxRequest): Promise<SandboxResponse> {
  let fields: Fields = Object.create(null);
  const queryEcho = [
    'txnType',
    'txnSubType',
    'bizType',
    'accessType',
    'merId',
    'orderId',
    'txnTime',
    'queryId',
  ] as const;
  try {
    fields = check.readForm(req);
    check.verifyEnvelope(fields, state.certs);
    const by = check.query(fields);
    const fault = state.faults.take('00');
    if (fault) throw fault;
    const txn =
      by.by === 'order'
        ? state.ledger.find(fields.merId!, by.orderId, by.txnTime)
        : state.ledger.findByQueryId(fields.merId!, by.queryId);
    if (!txn) throw fail.notFound();
    const expired = state.ledger.expired(txn, state.ctx.clock());
    // Unpaid is "no such transaction" too; the merchant reads it as final once payTimeout has passed.
    if (txn.txnType === '01' && (txn.status === 'pending' || expired)) throw fail.notFound();
    const result = resultFields(txn);
    const processing = txn.status === 'processing';
    return rawAnswer(state, {
      ...result,
      bizType: fields.bizType,
      respCode: '00',
      respMsg: SUCCESS_MSG,
      origRespCode: processing ? '05' : txn.respCode,
      origRespMsg: processing ? respMsg('交易已受理，请稍后查询交易结果', '0500000') : txn.respMsg,
    });
  } catch (error) {
    if (error instanceof GatewayError)
      return rawAnswer(state, { ...echo(fields, queryEcho), respCode: error.respCode, respMsg: error.respMsg });
    throw error;
  }
}
