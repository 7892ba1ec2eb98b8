import { randomInt } from 'node:crypto';
import type { Fields } from '../wire/fields.js';
import { beijingCompact } from '../wire/time.js';
import { fail, respMsg, SUCCESS_MSG } from './codes.js';
import { required } from './validate.js';

/**
 * The simulated gateway's ledger: consumptions (01), refunds (04) and cancels (31), with the
 * rules of the ACP specification (cancel only on the payment's clearing day and in full; refunds cumulative up
 * to the payment) and the identifiers UnionPay assigns (`queryId`, `traceNo`, `settleDate`).
 */

export type TxnType = '01' | '04' | '31';
/** pending: created, not paid yet; processing: a refund/cancel accepted, result not sent yet. */
export type TxnStatus = 'pending' | 'processing' | 'success' | 'failed';

export interface Txn {
  txnType: TxnType;
  txnSubType: string;
  /** Where the consumption came from; refunds and cancels are `back`. */
  channel: 'front' | 'app' | 'back';
  merId: string;
  orderId: string;
  txnTime: string;
  txnAmt: number;
  bizType: string;
  channelType: string;
  accessType: string;
  backUrl: string;
  frontUrl?: string;
  reqReserved?: string;
  orderDesc?: string;
  commodityName?: string;
  payTimeout?: Date;
  status: TxnStatus;
  /** Final result code and message (for queries and notifies). */
  respCode?: string;
  respMsg?: string;
  queryId?: string;
  traceNo?: string;
  traceTime?: string;
  settleDate?: string;
  /** When UnionPay stamped it (`traceTime`, `settleDate`): the time its reconciliation record carries. */
  stampedAt?: Date;
  completedAt?: Date;
  /** App payments: the transaction number handed to the UnionPay control. */
  tn?: string;
  /** Front payments: the cashier session that the cashier form posts back. */
  session?: string;
  /** Refunds/cancels: the payment's queryId. */
  origQryId?: string;
  /** Payments: fen refunded or being refunded. */
  refunded: number;
  cancelled: boolean;
}

const HOUR = 3_600_000;
/** Refunds are accepted for about 11 months (sources say 90 days guaranteed, ≈330 days in practice). */
const REFUND_WINDOW_MS = 330 * 24 * HOUR;

/** `MMDD` of the clearing day, which turns over at 23:00 Beijing time. */
export function settleDateOf(now: Date): string {
  return beijingCompact(new Date(now.getTime() + HOUR)).slice(4, 8);
}

const digits = (n: number) => Array.from({ length: n }, () => randomInt(10)).join('');

/**
 * When an orderId counts as reused: `same-day` (default) refuses it for the rest of the day of its
 * txnTime, as UnionPay documents ("同一交易日期内不可重复"); `same-txnTime` only refuses an exact
 * repeat of merId + orderId + txnTime.
 */
export type DuplicateRule = 'same-day' | 'same-txnTime';

export class Ledger {
  constructor(private readonly duplicateRule: DuplicateRule = 'same-day') {}

  private readonly byKey = new Map<string, Txn>();
  private readonly orderDays = new Map<string, Set<string>>();
  private readonly byQueryId = new Map<string, Txn>();
  private readonly byTn = new Map<string, Txn>();
  private readonly bySession = new Map<string, Txn>();
  private trace = randomInt(100_000, 900_000);

  /** Refuses an orderId this merchant already used on the same day (ACP: "同一交易日期内不可重复"). */
  checkNew(merId: string, orderId: string, txnTime: string): void {
    const reused =
      this.duplicateRule === 'same-day'
        ? this.orderDays.get(`${merId}|${orderId}`)?.has(txnTime.slice(0, 8))
        : this.byKey.has(`${merId}|${orderId}|${txnTime}`);
    if (reused) throw fail.duplicate(orderId);
  }

  private record(txn: Txn): Txn {
    this.checkNew(txn.merId, txn.orderId, txn.txnTime);
    const dayKey = `${txn.merId}|${txn.orderId}`;
    const days = this.orderDays.get(dayKey) ?? new Set<string>();
    days.add(txn.txnTime.slice(0, 8));
    this.orderDays.set(dayKey, days);
    this.byKey.set(`${txn.merId}|${txn.orderId}|${txn.txnTime}`, txn);
    return txn;
  }

  /** Records a consumption accepted by the front or app gateway (already validated). */
  createConsumption(fields: Fields, channel: 'front' | 'app', payTimeout: Date | undefined): Txn {
    const txn = this.record({
      txnType: '01',
      txnSubType: required(fields, 'txnSubType'),
      channel,
      merId: required(fields, 'merId'),
      orderId: required(fields, 'orderId'),
      txnTime: required(fields, 'txnTime'),
      txnAmt: Number(fields.txnAmt),
      bizType: required(fields, 'bizType'),
      channelType: required(fields, 'channelType'),
      accessType: required(fields, 'accessType'),
      backUrl: required(fields, 'backUrl'),
      frontUrl: fields.frontUrl,
      reqReserved: fields.reqReserved,
      orderDesc: fields.orderDesc,
      commodityName: /commodityName=([^}&]*)/.exec(fields.riskRateInfo ?? '')?.[1],
      payTimeout,
      status: 'pending',
      refunded: 0,
      cancelled: false,
    });
    if (channel === 'app') {
      let tn: string;
      do tn = digits(21);
      while (this.byTn.has(tn));
      txn.tn = tn;
      this.byTn.set(tn, txn);
    } else {
      let session: string;
      do session = `C${digits(24)}`;
      while (this.bySession.has(session));
      txn.session = session;
      this.bySession.set(session, txn);
    }
    return txn;
  }

  /** Every transaction, in the order they were made. */
  all(): Txn[] {
    return [...this.byKey.values()];
  }

  byTransactionNumber(tn: string): Txn | undefined {
    return this.byTn.get(tn);
  }

  byCashierSession(session: string): Txn | undefined {
    return this.bySession.get(session);
  }

  find(merId: string, orderId: string, txnTime: string): Txn | undefined {
    return this.byKey.get(`${merId}|${orderId}|${txnTime}`);
  }

  findByQueryId(merId: string, queryId: string): Txn | undefined {
    const txn = this.byQueryId.get(queryId);
    return txn?.merId === merId ? txn : undefined;
  }

  /** True (and the payment failed) once `payTimeout` has passed without payment. */
  expired(txn: Txn, now: Date): boolean {
    if (txn.status === 'pending' && txn.payTimeout && now.getTime() > txn.payTimeout.getTime()) {
      txn.status = 'failed';
      txn.respCode = '69';
      txn.respMsg = respMsg('您的输入超时 payTimeout passed before the buyer paid', '6900001');
    }
    return txn.status === 'failed' && txn.respCode === '69';
  }

  /** Gives the transaction UnionPay's identifiers: traceNo, traceTime, settleDate and queryId. */
  private stamp(txn: Txn, now: Date): void {
    this.trace = this.trace >= 999_999 ? 100_000 : this.trace + 1;
    txn.traceNo = String(this.trace);
    txn.traceTime = beijingCompact(now).slice(4);
    txn.settleDate = settleDateOf(now);
    txn.stampedAt = now;
    let queryId: string;
    // 2 digits + yyMMddHHmmss of txnTime + traceNo + 1 digit, as in UnionPay's notifications
    do queryId = `${digits(2)}${txn.txnTime.slice(2)}${txn.traceNo}${digits(1)}`;
    while (this.byQueryId.has(queryId));
    txn.queryId = queryId;
    this.byQueryId.set(queryId, txn);
  }

  /** The buyer paid: the consumption succeeds. */
  pay(txn: Txn, now: Date): void {
    this.stamp(txn, now);
    txn.status = 'success';
    txn.respCode = '00';
    txn.respMsg = SUCCESS_MSG;
    txn.completedAt = now;
  }

  /** The buyer's payment failed at the cashier (card refused). Final: no notify, no second try. */
  decline(txn: Txn): void {
    txn.status = 'failed';
    txn.respCode = '66';
    txn.respMsg = respMsg('持卡人身份信息或手机号输入不正确，验证失败', '1000005');
  }

  /**
   * Accepts a refund (04) or cancel (31) of the payment `origQryId` after the ACP refund and cancel rules;
   * throws the gateway's refusal otherwise. The result is `processing` until {@link complete}.
   */
  acceptBack(fields: Fields, txnType: '04' | '31', now: Date): Txn {
    const amount = Number(fields.txnAmt);
    this.checkNew(required(fields, 'merId'), required(fields, 'orderId'), required(fields, 'txnTime'));
    const orig = this.findByQueryId(required(fields, 'merId'), required(fields, 'origQryId'));
    if (orig?.txnType !== '01')
      throw fail.original(
        `origQryId ${fields.origQryId} is not a payment of this merchant (use the queryId of the payment's notify or query)`,
      );
    if (orig.status !== 'success') throw fail.original(`payment ${orig.orderId} did not succeed`);
    if (orig.cancelled) throw fail.original(`payment ${orig.orderId} was cancelled`);
    if (txnType === '31') {
      if (orig.refunded > 0)
        throw fail.original(`payment ${orig.orderId} has refunds: refund the rest instead of cancelling`);
      if (amount !== orig.txnAmt)
        throw fail.mismatch(`a cancel must be for the full ${orig.txnAmt} fen of the payment, not ${amount}`);
      if (settleDateOf(now) !== orig.settleDate) {
        throw fail.notAllowed(
          `payment ${orig.orderId} was cleared on ${orig.settleDate}: a cancel is only possible on the payment's clearing day (until 23:00 Beijing time); refund it instead`,
        );
      }
    } else {
      if (orig.refunded + amount > orig.txnAmt) {
        throw fail.amount(
          `refunds would total ${orig.refunded + amount} fen, more than the payment's ${orig.txnAmt} fen (${orig.refunded} already refunded)`,
        );
      }
      // pay() sets completedAt with status success, which was checked above.
      if (!orig.completedAt) throw new Error(`payment ${orig.orderId} succeeded without a completion time`);
      if (now.getTime() - orig.completedAt.getTime() > REFUND_WINDOW_MS)
        throw fail.window(`payment ${orig.orderId} is too old to refund`);
    }
    const txn = this.record({
      txnType,
      txnSubType: required(fields, 'txnSubType'),
      channel: 'back',
      merId: required(fields, 'merId'),
      orderId: required(fields, 'orderId'),
      txnTime: required(fields, 'txnTime'),
      txnAmt: amount,
      bizType: required(fields, 'bizType'),
      channelType: required(fields, 'channelType'),
      accessType: required(fields, 'accessType'),
      backUrl: required(fields, 'backUrl'),
      reqReserved: fields.reqReserved,
      origQryId: orig.queryId,
      status: 'processing',
      refunded: 0,
      cancelled: false,
    });
    if (txnType === '31') orig.cancelled = true;
    else orig.refunded += amount;
    this.stamp(txn, now);
    return txn;
  }

  /** A refund or cancel reaches its final (successful) result. */
  complete(txn: Txn, now: Date): void {
    txn.status = 'success';
    txn.respCode = '00';
    txn.respMsg = SUCCESS_MSG;
    txn.completedAt = now;
  }
}
