import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ProviderError } from '../src/errors/index.js';
import { parseWechatpayStatement, wechatpayStatementUnavailable } from '../src/providers/wechatpay/statement/index.js';
import type { StatementRecord } from '../src/sandbox/statement-records.js';
import {
  wechatpayBillDownload,
  wechatpayFundFlowBill,
  wechatpayTradeBill,
  wechatpayV2BillError,
} from '../src/sandbox/wechatpay/statement.js';
import { bj, chunked, failureOf, fixtureBytes, fixtureStream, rowsOf } from './helpers/statements.js';

const sha1 = fixtureBytes('wechatpay-all.sha1').toString('utf8').trim();

describe('WeChat Pay bill: fixture files', () => {
  it('reads the ALL bill: payments, a refund row, five-decimal fees, a comma inside a product name', async () => {
    const rows = await rowsOf(parseWechatpayStatement(fixtureStream('wechatpay-all.csv', 5), { hashValue: sha1 }));
    expect(rows.map((r) => [r.kind, r.tradeNo, r.amount, r.feeMilliFen, r.fee, r.status])).toEqual([
      ['payment', 'ORD-1001', 3580, 21480, 21, 'SUCCESS'],
      ['payment', 'ORD-1002', 1230, 7380, 7, 'SUCCESS'],
      ['refund', 'ORD-1001', 1000, -6000, -6, 'SUCCESS'],
    ]);
    expect(rows[0]).toMatchObject({ provider: 'wechatpay', transactionId: '4200000000202401010000000001' });
    expect(rows[0]!.time).toEqual(bj('2024-01-01 10:00:08'));
    expect(rows[0]!.raw['商品名称']).toBe('豪华洗车');
    expect(rows[1]!.raw['商品名称']).toBe('Wash, basic');
    expect(rows[1]!.raw['商户数据包']).toBe('a=1');
    expect(rows[2]).toMatchObject({
      refundId: 'RF-1001-1',
      providerRefundId: '50300000002024010100000000001',
      transactionId: '4200000000202401010000000001',
    });
    expect(rows[0]).not.toHaveProperty('refundId');
  });

  it('reads the gzip download and checks the SHA-1 of the uncompressed bill', async () => {
    const plain = await rowsOf(parseWechatpayStatement(fixtureStream('wechatpay-all.csv')));
    const gz = await rowsOf(
      parseWechatpayStatement(fixtureStream('wechatpay-all.csv.gz', 50), { hashValue: sha1.toUpperCase() }),
    );
    expect(gz).toEqual(plain);
  });

  it('refuses a bill whose SHA-1 differs from hash_value, naming both', async () => {
    const wrong = sha1.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    const error = await failureOf(parseWechatpayStatement(fixtureStream('wechatpay-all.csv.gz'), { hashValue: wrong }));
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ code: 'STATEMENT_INVALID', retryable: true });
    expect(error.message).toContain(sha1);
    expect(error.message).toContain(wrong);
  });

  it('refuses a hash type other than SHA1', async () => {
    const error = await failureOf(
      parseWechatpayStatement(fixtureStream('wechatpay-all.csv'), { hashType: 'SM3', hashValue: sha1 }),
    );
    expect(error.message).toMatch(/hash_type "SM3"/);
  });

  it('refuses a truncated gzip download as retryable', async () => {
    const bytes = fixtureBytes('wechatpay-all.csv.gz');
    const error = await failureOf(parseWechatpayStatement(chunked(bytes.subarray(0, bytes.length - 30), 64)));
    expect(error).toMatchObject({ code: 'STATEMENT_INVALID', retryable: true });
  });

  it('refuses a plain bill cut before its totals', async () => {
    const text = fixtureBytes('wechatpay-all.csv').toString('utf8');
    const cut = Buffer.from(text.slice(0, text.indexOf('总交易单数')));
    const error = await failureOf(parseWechatpayStatement(chunked(cut)));
    expect(error).toMatchObject({ code: 'STATEMENT_INVALID', retryable: true });
    expect(error.message).toMatch(/without its totals/);
  });

  it('names both figures when the totals row disagrees with the rows', async () => {
    const error = await failureOf(parseWechatpayStatement(fixtureStream('wechatpay-bad-totals.csv')));
    expect(error).toMatchObject({ code: 'STATEMENT_INVALID', retryable: false });
    expect(error.message).toMatch(/手续费总金额 is 0\.22861 in the totals row but 0\.22860 in the rows/);
  });

  it('reads the REFUND bill: refund times, a refund still processing', async () => {
    const rows = await rowsOf(parseWechatpayStatement(fixtureStream('wechatpay-refund.csv')));
    expect(rows.map((r) => [r.kind, r.tradeNo, r.refundId, r.amount, r.status, r.time.toISOString()])).toEqual([
      ['refund', 'ORD-0999', 'RF-0999-1', 2000, 'SUCCESS', bj('2024-01-01 09:00:05').toISOString()],
      ['refund', 'ORD-1000', 'RF-1000-1', 550, 'PROCESSING', bj('2024-01-01 20:10:00').toISOString()],
    ]);
  });

  it('reads a bill in the older 24-column format, with a byte-order mark and CRLF', async () => {
    const rows = await rowsOf(parseWechatpayStatement(fixtureStream('wechatpay-legacy.csv')));
    expect(rows.map((r) => [r.kind, r.tradeNo, r.amount, r.refundId])).toEqual([
      ['payment', 'OLD-1', 1, undefined],
      ['refund', 'OLD-1', 1, 'OLD-1-R'],
    ]);
    expect(rows[0]!.raw['子商户号']).toBe('0');
  });

  it('reads a day with no business answered as a file: no rows', async () => {
    expect(await rowsOf(parseWechatpayStatement(fixtureStream('wechatpay-empty.csv')))).toEqual([]);
  });

  it('reads the fund-flow bill', async () => {
    const rows = await rowsOf(parseWechatpayStatement(fixtureStream('wechatpay-fundflow.csv')));
    expect(rows.map((r) => [r.kind, r.transactionId, r.refundId, r.amount])).toEqual([
      ['payment', '4200000000202401010000000001', undefined, 3580],
      ['other', '4200000000202401010000000001', undefined, 21],
      ['refund', '50300000002024010100000000001', 'RF-1001-1', 1000],
    ]);
  });

  it('turns the v2 error answers into statement errors', async () => {
    const no = await failureOf(parseWechatpayStatement(fixtureStream('wechatpay-v2-no-bill.xml')));
    expect(no).toMatchObject({ code: 'STATEMENT_EMPTY', provider: 'wechatpay', retryable: false });
    expect(no.raw).toMatchObject({ return_msg: 'No Bill Exist', error_code: '20002' });
    const creating = await failureOf(parseWechatpayStatement(fixtureStream('wechatpay-v2-creating.xml')));
    expect(creating).toMatchObject({ code: 'STATEMENT_NOT_READY', retryable: true });
    const invalid = await failureOf(parseWechatpayStatement(fixtureStream('wechatpay-v2-invalid-date.xml')));
    expect(invalid).toBeInstanceOf(ProviderError);
    expect(invalid.message).toContain('invalid bill_date');
  });

  it('refuses an empty body, malformed UTF-8, and rows whose field count differs from the header', async () => {
    expect(await failureOf(parseWechatpayStatement(chunked(Buffer.alloc(0))))).toMatchObject({
      code: 'STATEMENT_EMPTY',
    });
    const bytes = Buffer.from(fixtureBytes('wechatpay-all.csv'));
    bytes[bytes.indexOf(Buffer.from('Wash'))] = 0xff;
    const bad = await failureOf(parseWechatpayStatement(chunked(bytes, 3)));
    expect(bad).toMatchObject({ code: 'STATEMENT_INVALID' });
    expect(bad.message).toMatch(/not valid UTF-8/);
    const text = fixtureBytes('wechatpay-all.csv').toString('utf8').replace('`a=1,', '`a=1,`extra,');
    const extra = await failureOf(parseWechatpayStatement(chunked(Buffer.from(text))));
    expect(extra.message).toMatch(/line 3 has 28 fields where the header has 27/);
  });

  it('maps the v3 bill request errors', () => {
    expect(wechatpayStatementUnavailable('NO_STATEMENT_EXIST')).toMatchObject({ code: 'STATEMENT_EMPTY' });
    expect(wechatpayStatementUnavailable('STATEMENT_CREATING')).toMatchObject({
      code: 'STATEMENT_NOT_READY',
      retryable: true,
    });
    expect(wechatpayStatementUnavailable('INVALID_REQUEST')).toBeUndefined();
  });
});

const APP = { appId: 'wx0000000000000001', mchId: '1900000001' };

function day(): StatementRecord[] {
  return [
    {
      kind: 'payment',
      tradeNo: 'W-1',
      transactionId: '4200000000202403010000000001',
      amount: 3580,
      time: bj('2024-03-01 09:00:00'),
      subject: '会员卡',
    },
    {
      kind: 'payment',
      tradeNo: 'W-2',
      transactionId: '4200000000202403010000000002',
      amount: 1,
      time: bj('2024-03-01 12:00:00'),
      channel: 'app',
    },
    {
      kind: 'refund',
      tradeNo: 'W-1',
      transactionId: '4200000000202403010000000001',
      refundId: 'WR-1',
      providerRefundId: '50300000002024030100000000001',
      amount: 500,
      time: bj('2024-03-01 18:00:00'),
      paidAt: bj('2024-03-01 09:00:00'),
    },
    {
      kind: 'refund',
      tradeNo: 'W-0',
      transactionId: '4200000000202402290000000000',
      refundId: 'WR-0',
      providerRefundId: '50300000002024030100000000002',
      amount: 250,
      time: bj('2024-03-01 20:00:00'),
      paidAt: bj('2024-02-29 10:00:00'),
      refundStatus: 'PROCESSING',
    },
    {
      kind: 'payment',
      tradeNo: 'W-3',
      transactionId: '4200000000202403020000000003',
      amount: 100,
      time: bj('2024-03-02 00:00:00'),
    },
  ];
}

describe('WeChat Pay bill: the sandbox files', () => {
  it("writes the ALL bill that parses back to the day's records, fees exact to 0.00001 yuan", async () => {
    const bill = wechatpayTradeBill(day(), { day: '2024-03-01', ...APP });
    expect(bill.toString('utf8').split('\r\n')[1]).toMatch(/^`2024-03-01 09:00:00,`wx0000000000000001,`1900000001,/);
    const rows = await rowsOf(parseWechatpayStatement(chunked(bill, 100)));
    expect(
      rows.map((r) => [r.kind, r.tradeNo, r.refundId, r.providerRefundId, r.amount, r.feeMilliFen, r.status]),
    ).toEqual([
      ['payment', 'W-1', undefined, undefined, 3580, 21480, 'SUCCESS'],
      ['payment', 'W-2', undefined, undefined, 1, 6, 'SUCCESS'],
      ['refund', 'W-1', 'WR-1', '50300000002024030100000000001', 500, -3000, 'SUCCESS'],
      ['refund', 'W-0', 'WR-0', '50300000002024030100000000002', 250, -1500, 'PROCESSING'],
    ]);
    expect(rows[1]!.fee).toBe(0);
    expect(rows[1]!.raw['交易类型']).toBe('APP');
  });

  it('writes SUCCESS, REFUND and legacy bills', async () => {
    const success = await rowsOf(
      parseWechatpayStatement(chunked(wechatpayTradeBill(day(), { day: '2024-03-01', ...APP, billType: 'SUCCESS' }))),
    );
    expect(success.map((r) => r.tradeNo)).toEqual(['W-1', 'W-2']);
    const refund = await rowsOf(
      parseWechatpayStatement(chunked(wechatpayTradeBill(day(), { day: '2024-03-01', ...APP, billType: 'REFUND' }))),
    );
    expect(refund.map((r) => [r.tradeNo, r.raw['交易时间'], r.raw['退款成功时间']])).toEqual([
      ['W-1', '2024-03-01 09:00:00', '2024-03-01 18:00:00'],
      ['W-0', '2024-02-29 10:00:00', ''],
    ]);
    const legacy = await rowsOf(
      parseWechatpayStatement(chunked(wechatpayTradeBill(day(), { day: '2024-03-01', ...APP, format: 'legacy' }))),
    );
    expect(legacy.map((r) => [r.kind, r.amount])).toEqual([
      ['payment', 3580],
      ['payment', 1],
      ['refund', 500],
      ['refund', 250],
    ]);
  });

  it('packs the download: gzip when asked, hash_value of the uncompressed bill', async () => {
    const bill = wechatpayTradeBill(day(), { day: '2024-03-01', ...APP });
    const download = wechatpayBillDownload(bill, { gzip: true });
    expect(download.hashValue).toBe(createHash('sha1').update(bill).digest('hex'));
    expect(download.body.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    const rows = await rowsOf(parseWechatpayStatement(chunked(download.body, 256), { hashValue: download.hashValue }));
    expect(rows).toHaveLength(4);
  });

  it('writes the fund-flow bill', async () => {
    const rows = await rowsOf(
      parseWechatpayStatement(
        chunked(wechatpayFundFlowBill(day(), { day: '2024-03-01', mchId: APP.mchId, openingBalance: 100_00 })),
      ),
    );
    expect(rows.map((r) => [r.kind, r.amount])).toEqual([
      ['payment', 3580],
      ['other', 21],
      ['payment', 1],
      ['refund', 500],
      ['other', 3],
      ['refund', 250],
      ['other', 2],
    ]);
  });

  it('writes an empty day that parses to no rows, and the v2 error answers', async () => {
    expect(
      await rowsOf(parseWechatpayStatement(chunked(wechatpayTradeBill(day(), { day: '2024-03-09', ...APP })))),
    ).toEqual([]);
    const error = await failureOf(parseWechatpayStatement(chunked(Buffer.from(wechatpayV2BillError('No Bill Exist')))));
    expect(error).toMatchObject({ code: 'STATEMENT_EMPTY' });
    const creating = await failureOf(parseWechatpayStatement(chunked(gzipSync(wechatpayV2BillError('Bill Creating')))));
    expect(creating).toMatchObject({ code: 'STATEMENT_NOT_READY' });
  });

  it('streams a day of 100,000 rows with its totals and digest checked', { timeout: 180_000 }, async () => {
    const records: StatementRecord[] = [];
    const start = bj('2024-03-01 00:00:00').getTime();
    for (let i = 0; i < 100_000; i++) {
      const refund = i % 10 === 9;
      records.push({
        kind: refund ? 'refund' : 'payment',
        tradeNo: `ORDER-${i - (refund ? 1 : 0)}`,
        transactionId: `42000000002024030100${String(i).padStart(8, '0')}`,
        ...(refund
          ? { refundId: `REFUND-${i}`, providerRefundId: `503000000020240301${String(i).padStart(11, '0')}` }
          : {}),
        amount: 100 + (i % 5000),
        time: new Date(start + i * 800),
        subject: i % 3 ? '洗车服务' : 'Car wash',
      });
    }
    const download = wechatpayBillDownload(wechatpayTradeBill(records, { day: '2024-03-01', ...APP }), { gzip: true });
    let count = 0;
    const sums = { payment: 0, refund: 0, other: 0, fee: 0 };
    for await (const row of parseWechatpayStatement(chunked(download.body, 64 * 1024), {
      hashValue: download.hashValue,
    })) {
      count += 1;
      sums[row.kind] += row.amount;
      sums.fee += row.feeMilliFen;
    }
    expect(count).toBe(100_000);
    const paid = records.filter((r) => r.kind === 'payment').reduce((s, r) => s + r.amount, 0);
    const refunded = records.filter((r) => r.kind === 'refund').reduce((s, r) => s + r.amount, 0);
    expect(sums).toEqual({ payment: paid, refund: refunded, other: 0, fee: (paid - refunded) * 6 });
  });
});
