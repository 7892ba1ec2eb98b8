import { randomBytes } from 'node:crypto';
import type { SandboxRequest, SandboxResponse } from '../types.js';
import type { StatementRecord } from '../statement-records.js';
import { beijingInstant, nextDay } from '../statement-records.js';
import { isDay, statementTiming } from '../statement-days.js';
import { alipayStatement } from './statement.js';
import { text, type Biz } from './biz.js';
import { business } from './errors.js';
import type { SimApp } from './gateway.js';
import { apiSuccess } from './response.js';
import type { TradeBook } from './trades.js';

/**
 * `alipay.data.dataservice.bill.downloadurl.query` and the file behind the URL it answers (Alipay
 * open platform: the bill query and its 30-second `bill_download_url`). The bill is made from the
 * simulator's own trades: payments on the day they were paid, refunds on the day they were made.
 * A day's bill exists from 09:00 the next morning; a day without business has none
 * (`isp.bill_not_exist`, also the answer before 09:00).
 */

export const BILL_METHOD = 'alipay.data.dataservice.bill.downloadurl.query';

/** Bills are made by 09:00 Beijing time the next day. */
const READY_HOUR = 9;
/** `bill_download_url` is valid for 30 seconds after it is issued. */
const URL_LIFETIME_MS = 30_000;

interface IssuedFile {
  fileName: string;
  bytes: Buffer;
  expiresAt: number;
}

/** The trades of one seller account as statement records. */
export function alipayRecords(book: TradeBook, sellerId: string): StatementRecord[] {
  const records: StatementRecord[] = [];
  for (const trade of book.all()) {
    if (trade.sellerId !== sellerId || !trade.paidAt) continue;
    const common = { tradeNo: trade.outTradeNo, transactionId: trade.tradeNo, subject: trade.subject };
    records.push({ kind: 'payment', ...common, amount: trade.totalFen, time: trade.paidAt, channel: trade.channel });
    for (const refund of trade.refunds.values()) {
      records.push({
        kind: 'refund',
        ...common,
        refundId: refund.outRequestNo,
        amount: refund.fen,
        time: refund.at,
        paidAt: trade.paidAt,
      });
    }
  }
  return records;
}

/** The bill endpoints of one simulator: the gateway method and the file download. */
export function createBills(book: TradeBook, clock: () => Date, baseUrl: string) {
  const issued = new Map<string, IssuedFile>();
  const fail = (why: string) => business('isv.invalid_arguments', `入参不合法 (${why})`);

  return {
    /** The gateway method, for an authenticated app. */
    async query(app: SimApp, biz: Biz): Promise<SandboxResponse> {
      const billType = text(biz, 'bill_type', fail, { required: true, max: 32 });
      const billDate = text(biz, 'bill_date', fail, { required: true, max: 10 });
      if (billType !== 'trade' && billType !== 'signcustomer')
        throw fail(`bill_type "${billType}": the sandbox makes trade and signcustomer bills`);
      // isDay's false branch narrows the string to never; it is still the text the merchant sent.
      // eslint-disable-next-line @typescript-eslint/restrict-template-expressions
      if (!isDay(billDate)) throw fail(`bill_date "${billDate}" is not a day yyyy-MM-dd (month bills: not simulated)`);
      const now = clock();
      const timing = statementTiming(billDate, now, READY_HOUR);
      if (timing === 'future') throw fail(`bill_date ${billDate} is not over yet: bills are made the next day`);
      const records = alipayRecords(book, app.sellerId).filter(
        (r) => r.time >= beijingInstant(billDate) && r.time < beijingInstant(nextDay(billDate)),
      );
      if (timing === 'not-ready' || records.length === 0) {
        const why = records.length === 0 ? 'no business that day' : 'made at 09:00 the next day';
        throw business('isp.bill_not_exist', `账单不存在 (${why})`);
      }
      const file = alipayStatement(records, {
        day: billDate,
        pid: app.sellerId,
        billType,
        exportedAt: beijingInstant(nextDay(billDate), READY_HOUR),
      });
      for (const [token, entry] of issued) if (entry.expiresAt <= now.getTime()) issued.delete(token);
      const token = randomBytes(16).toString('hex');
      issued.set(token, { ...file, expiresAt: now.getTime() + URL_LIFETIME_MS });
      const query = new URLSearchParams({
        bizType: billType,
        userId: app.sellerId,
        fileType: 'csv.zip',
        bizDates: billDate.replace(/-/g, ''),
        downloadFileName: file.fileName,
        token,
      });
      return apiSuccess(BILL_METHOD, { bill_download_url: `${baseUrl}/bill/download?${query}` }, app.signer);
    },

    /** `GET /bill/download?…&token=`: the zip, once, within 30 seconds of the query. */
    download(req: SandboxRequest): SandboxResponse {
      if (req.method !== 'GET') return { status: 405, headers: { allow: 'GET' } };
      const token = req.query.get('token') ?? '';
      const file = issued.get(token);
      issued.delete(token);
      if (!file || file.expiresAt <= clock().getTime()) {
        return {
          status: 404,
          headers: { 'content-type': 'text/plain; charset=utf-8' },
          body: 'file not found or link expired: bill_download_url is valid for 30 seconds, for one download',
        };
      }
      return {
        status: 200,
        headers: {
          'content-type': 'application/octet-stream',
          'content-disposition': `attachment; filename="${encodeURIComponent(file.fileName)}"`,
        },
        body: file.bytes,
      };
    },
  };
}

/** Test control: a refund made in the merchant's Alipay account instead of through the API. */
export interface AlipayPlatformRefund {
  outTradeNo: string;
  outRequestNo: string;
  /** Fen. */
  amount: number;
  /** Where its notify goes. Default: the trade's `notify_url`, as for every refund of the trade. */
  notifyUrl?: string;
}

/** Records a platform refund against the trade book; throws when the trade cannot be refunded. */
export function platformRefund(book: TradeBook, input: AlipayPlatformRefund): void {
  const trade = book.all().find((t) => t.outTradeNo === input.outTradeNo);
  if (!trade) throw new Error(`no Alipay trade ${input.outTradeNo}`);
  book.refund(trade, input.outRequestNo, input.amount, 'refund made in the merchant platform', input.notifyUrl);
}
