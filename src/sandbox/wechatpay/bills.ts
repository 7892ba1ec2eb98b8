import { randomBytes } from 'node:crypto';
import type { SandboxResponse } from '../types.js';
import { beijingInstant, nextDay, type StatementRecord } from '../statement-records.js';
import { isDay, olderThanMonths, statementTiming } from '../statement-days.js';
import {
  wechatpayBillDownload,
  wechatpayFundFlowBill,
  wechatpayTradeBill,
  wechatpayV2BillError,
  type WechatpayV2BillFailure,
} from './statement.js';
import { takeFault, type SimState, type WxRequest } from './state.js';
import type { Merchant } from './trades.js';
import { v3Error, v3Signed } from './v3.js';

/**
 * Daily bills from the simulator's own orders (WeChat Pay merchant documentation, "下载账单"):
 * v3 `GET /v3/bill/tradebill` and `/v3/bill/fundflowbill` answer a signed `download_url` with the
 * SHA-1 of the bill, and `GET /v3/billdownload/file` serves it, unsigned, to the merchant that
 * asked, within 30 seconds; v2 `POST /pay/downloadbill` answers the bill itself. Payments are in
 * the bill of the day they succeeded, refunds in the bill of the day they were accepted. Trade
 * bills exist from 08:00 the next day at v3 (10:00 at v2), fund-flow bills from 10:00; only the
 * last three months can be asked for.
 */

const TRADE_READY_HOUR = 8;
const FUND_READY_HOUR = 10;
const V2_READY_HOUR = 10;
const URL_LIFETIME_MS = 30_000;
const HISTORY_MONTHS = 3;

interface IssuedBill {
  mchId: string;
  body: Buffer;
  expiresAt: number;
}

/** Download links by token, per simulator. */
const issued = new WeakMap<SimState, Map<string, IssuedBill>>();
/** Bills still to be offered with a digest that does not match them (test control), per simulator. */
const damaged = new WeakMap<SimState, { remaining: number }>();

/**
 * Test control: the next `times` bills offered announce a `hash_value` that is not the SHA-1 of the
 * file served, as when the file was damaged on its way.
 */
export function damageBills(state: SimState, times: number): void {
  damaged.set(state, { remaining: (damaged.get(state)?.remaining ?? 0) + times });
}

/** The digest to announce: the true one, or one with its last hex digit changed when a damaged bill is due. */
function announcedDigest(state: SimState, hashValue: string): string {
  const due = damaged.get(state);
  if (!due || due.remaining <= 0) return hashValue;
  due.remaining--;
  return hashValue.slice(0, -1) + (hashValue.endsWith('0') ? '1' : '0');
}

/** One merchant's orders as statement records. */
export function wechatpayRecords(state: SimState, merchant: Merchant): StatementRecord[] {
  const records: StatementRecord[] = [];
  for (const trade of state.trades.all()) {
    if (trade.merchant !== merchant || !trade.transactionId || !trade.successTime) continue;
    const common = {
      tradeNo: trade.outTradeNo,
      transactionId: trade.transactionId,
      subject: trade.description,
      channel: trade.tradeType === 'APP' ? ('app' as const) : ('wap' as const),
      ...(trade.openid ? { payer: trade.openid } : {}),
    };
    records.push({ kind: 'payment', ...common, amount: trade.total, time: trade.successTime });
    for (const refund of trade.refunds) {
      records.push({
        kind: 'refund',
        ...common,
        refundId: refund.outRefundNo,
        providerRefundId: refund.refundId,
        amount: refund.amount,
        time: refund.createdAt,
        paidAt: trade.successTime,
        refundStatus: refund.status,
      });
    }
  }
  return records;
}

const onDay = (records: StatementRecord[], day: string) =>
  records.filter((r) => r.time >= beijingInstant(day) && r.time < beijingInstant(nextDay(day)));

const paramError = (field: string, issue: string) =>
  v3Error(400, 'PARAM_ERROR', '参数错误', { field, location: 'query', issue });

/** Checks `bill_date` the way both v3 bill requests do: the day, or the error answer. */
function checkDate(
  state: SimState,
  day: string | null,
  readyHour: number,
): { day: string } | { error: SandboxResponse } {
  if (!isDay(day)) return { error: paramError('bill_date', 'bill_date must be YYYY-MM-DD') };
  const now = state.ctx.clock();
  const timing = statementTiming(day, now, readyHour);
  if (timing === 'future' || olderThanMonths(day, now, HISTORY_MONTHS))
    return {
      error: v3Error(400, 'INVALID_REQUEST', '账单日期仅支持三个月内，且不能是当天或之后的日期', {
        field: 'bill_date',
        value: day,
        location: 'query',
      }),
    };
  if (timing === 'not-ready')
    return {
      error: v3Error(400, 'STATEMENT_CREATING', `账单生成中，请在次日${String(readyHour).padStart(2, '0')}:00后再下载`),
    };
  return { day };
}

/** A fault queued with `inject(path, …)`, answered as WeChat answers errors. */
function injected(req: WxRequest, state: SimState): SandboxResponse | undefined {
  const fault = takeFault(state, req.path);
  return fault && v3Error(fault.status, fault.code, fault.message);
}

const noBill = () => v3Error(400, 'NO_STATEMENT_EXIST', '请求的账单文件不存在');

async function offer(state: SimState, merchant: Merchant, bill: Buffer, gzip: boolean): Promise<SandboxResponse> {
  const { body, hashType, hashValue } = wechatpayBillDownload(bill, { gzip });
  const now = state.ctx.clock().getTime();
  let links = issued.get(state);
  if (!links) {
    links = new Map<string, IssuedBill>();
    issued.set(state, links);
  }
  for (const [token, entry] of links) if (entry.expiresAt <= now) links.delete(token);
  const token = randomBytes(16).toString('hex');
  links.set(token, { mchId: merchant.mchId, body, expiresAt: now + URL_LIFETIME_MS });
  return v3Signed(state, merchant, 200, {
    hash_type: hashType,
    hash_value: announcedDigest(state, hashValue),
    download_url: `${state.ctx.baseUrl}/v3/billdownload/file?token=${token}`,
  });
}

function tarType(req: WxRequest): { gzip: boolean } | { error: SandboxResponse } {
  const tar = req.query.get('tar_type');
  if (tar !== null && tar !== 'GZIP') return { error: paramError('tar_type', 'tar_type must be GZIP when given') };
  return { gzip: tar === 'GZIP' };
}

/** `GET /v3/bill/tradebill?bill_date=&bill_type=&tar_type=` */
export async function tradeBill(req: WxRequest, state: SimState, merchant: Merchant): Promise<SandboxResponse> {
  const billType = req.query.get('bill_type') ?? 'ALL';
  if (billType !== 'ALL' && billType !== 'SUCCESS' && billType !== 'REFUND')
    return paramError('bill_type', 'bill_type must be ALL, SUCCESS or REFUND');
  const tar = tarType(req);
  if ('error' in tar) return tar.error;
  const date = checkDate(state, req.query.get('bill_date'), TRADE_READY_HOUR);
  if ('error' in date) return date.error;
  const refused = injected(req, state);
  if (refused) return refused;
  const { day } = date;
  const records = onDay(wechatpayRecords(state, merchant), day).filter(
    (r) => billType === 'ALL' || (billType === 'SUCCESS') === (r.kind === 'payment'),
  );
  if (records.length === 0) return noBill();
  const bill = wechatpayTradeBill(records, { day: day, appId: merchant.appIds.wap, mchId: merchant.mchId, billType });
  return offer(state, merchant, bill, tar.gzip);
}

/** `GET /v3/bill/fundflowbill?bill_date=&account_type=&tar_type=` (the BASIC account moves; the others are empty). */
export async function fundFlowBill(req: WxRequest, state: SimState, merchant: Merchant): Promise<SandboxResponse> {
  const account = req.query.get('account_type') ?? 'BASIC';
  if (account !== 'BASIC' && account !== 'OPERATION' && account !== 'FEES')
    return paramError('account_type', 'account_type must be BASIC, OPERATION or FEES');
  const tar = tarType(req);
  if ('error' in tar) return tar.error;
  const date = checkDate(state, req.query.get('bill_date'), FUND_READY_HOUR);
  if ('error' in date) return date.error;
  const refused = injected(req, state);
  if (refused) return refused;
  const { day } = date;
  const records = onDay(wechatpayRecords(state, merchant), day);
  if (account !== 'BASIC' || records.length === 0) return noBill();
  return offer(state, merchant, wechatpayFundFlowBill(records, { day: day, mchId: merchant.mchId }), tar.gzip);
}

/**
 * `GET /v3/billdownload/file?token=`: the bill, to the merchant whose signed request it answers,
 * without `Wechatpay-*` headers (the digest in the bill request's answer vouches for it).
 */
export async function billDownload(req: WxRequest, state: SimState, merchant: Merchant): Promise<SandboxResponse> {
  const fault = injected(req, state);
  if (fault) return fault;
  const links = issued.get(state) ?? new Map<string, IssuedBill>();
  const token = req.query.get('token') ?? '';
  const bill = links.get(token);
  if (!bill || bill.expiresAt <= state.ctx.clock().getTime())
    return v3Error(400, 'INVALID_REQUEST', '下载链接已过期，请重新申请账单', { field: 'token', location: 'query' });
  if (bill.mchId !== merchant.mchId) return v3Error(403, 'NO_AUTH', '无权下载该账单：不是申请账单的商户');
  links.delete(token);
  return { status: 200, headers: { 'content-type': 'application/octet-stream' }, body: bill.body };
}

const v2Fail = (failure: WechatpayV2BillFailure): SandboxResponse => ({
  status: 200,
  headers: { 'content-type': 'text/xml; charset=utf-8' },
  body: wechatpayV2BillError(failure),
});

/**
 * v2 `POST /pay/downloadbill` (signature already checked): the bill as CSV, gzip with
 * `tar_type=GZIP`, or an XML failure.
 */
export function v2DownloadBill(state: SimState, merchant: Merchant, fields: Record<string, string>): SandboxResponse {
  const compact = fields.bill_date ?? '';
  const day = /^\d{8}$/.test(compact) ? `${compact.slice(0, 4)}-${compact.slice(4, 6)}-${compact.slice(6)}` : '';
  const billType = fields.bill_type ?? 'ALL';
  if (!['ALL', 'SUCCESS', 'REFUND', 'RECHARGE_REFUND'].includes(billType)) return v2Fail('invalid bill_type');
  if (fields.tar_type !== undefined && fields.tar_type !== 'GZIP')
    return v2Fail('invalid tar_type, Only GZIP supported');
  const now = state.ctx.clock();
  if (!isDay(day) || olderThanMonths(day, now, HISTORY_MONTHS)) return v2Fail('invalid bill_date');
  const timing = statementTiming(day, now, V2_READY_HOUR);
  if (timing === 'future') return v2Fail('invalid bill_date');
  if (timing === 'not-ready') return v2Fail('Bill Creating');
  const records = onDay(wechatpayRecords(state, merchant), day).filter(
    (r) => billType === 'ALL' || (billType === 'SUCCESS') === (r.kind === 'payment'),
  );
  if (billType === 'RECHARGE_REFUND' || records.length === 0) return v2Fail('No Bill Exist');
  const bill = wechatpayTradeBill(records, {
    day,
    appId: fields.appid ?? merchant.appIds.wap,
    mchId: merchant.mchId,
    billType: billType as 'ALL' | 'SUCCESS' | 'REFUND',
  });
  const { body } = wechatpayBillDownload(bill, { gzip: fields.tar_type === 'GZIP' });
  return { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body };
}
