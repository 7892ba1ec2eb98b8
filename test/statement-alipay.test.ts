import yauzl from 'yauzl';
import { describe, expect, it } from 'vitest';
import { ProviderError } from '../src/errors/index.js';
import { alipayStatementUnavailable, parseAlipayStatement } from '../src/providers/alipay/statement/index.js';
import { alipayStatement } from '../src/sandbox/alipay/statement.js';
import type { StatementRecord } from '../src/sandbox/statement-records.js';
import { bj, chunked, failureOf, fixtureBytes, fixtureStream, rowsOf, tally } from './helpers/statements.js';

describe('Alipay statement: fixture files made with iconv and zip', () => {
  it('reads the trade bill: payments, a refund, fees, Chinese text, Beijing times', async () => {
    const rows = await rowsOf(parseAlipayStatement(fixtureStream('alipay-trade.csv.zip')));
    expect(rows.map((r) => [r.kind, r.tradeNo, r.amount, r.fee])).toEqual([
      ['payment', 'ORD-1001', 3580, 21],
      ['payment', 'ORD-1002', 1230, 7],
      ['refund', 'ORD-1001', 1000, -6],
      ['payment', 'ORD-1003', 1, 0],
    ]);
    const [first, , refund, late] = rows;
    expect(first).toMatchObject({
      provider: 'alipay',
      transactionId: '2024010122001400000000000001',
      feeMilliFen: 21000,
      time: bj('2024-01-01 10:00:08'),
      status: 'SUCCESS',
    });
    expect(first!.raw['商品名称']).toBe('豪华洗车');
    expect(first!.raw['对方账户']).toBe('*张(138****0000)');
    expect(first!.raw['备注']).toBe('门店A');
    expect(refund).toMatchObject({ refundId: 'RF-1001-1', transactionId: '2024010122001400000000000001' });
    expect(refund!.time).toEqual(bj('2024-01-01 15:30:02'));
    expect(late!.time).toEqual(bj('2024-01-01 23:59:59'));
    expect(first).not.toHaveProperty('refundId');
  });

  it('reads an archive written with data descriptors (sizes after the data, as streaming zip writers do)', async () => {
    const plain = await rowsOf(parseAlipayStatement(fixtureStream('alipay-trade.csv.zip')));
    const streamed = await rowsOf(parseAlipayStatement(fixtureStream('alipay-trade-streamed.csv.zip')));
    expect(streamed).toEqual(plain);
  });

  it('reads an empty day: markers and header, no rows, no refund totals line', async () => {
    expect(await rowsOf(parseAlipayStatement(fixtureStream('alipay-empty.csv.zip')))).toEqual([]);
  });

  it('reads the account ledger (signcustomer): income, fee and refund rows', async () => {
    const rows = await rowsOf(parseAlipayStatement(fixtureStream('alipay-signcustomer.csv.zip')));
    expect(rows.map((r) => [r.kind, r.tradeNo, r.amount, r.raw['业务类型']])).toEqual([
      ['payment', 'ORD-1001', 3580, '在线支付'],
      ['other', 'ORD-1001', 21, '收费'],
      ['refund', 'ORD-1001', 1000, '交易退款'],
    ]);
  });

  it('refuses a bill type the archive does not hold', async () => {
    const error = await failureOf(
      parseAlipayStatement(fixtureStream('alipay-trade.csv.zip'), { billType: 'signcustomer' }),
    );
    expect(error).toMatchObject({ code: 'STATEMENT_INVALID' });
    expect(error.message).toContain('业务明细.csv');
    expect(error.message).toContain('账务明细.csv');
  });

  it('names both figures when the totals line disagrees with the rows', async () => {
    const error = await failureOf(parseAlipayStatement(fixtureStream('alipay-bad-totals.csv.zip')));
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ code: 'STATEMENT_INVALID', provider: 'alipay', retryable: false });
    expect(error.message).toMatch(/48\.12.*48\.11/);
  });

  it('checks the summary file counts against the detail file', async () => {
    const error = await failureOf(parseAlipayStatement(fixtureStream('alipay-bad-summary.csv.zip')));
    expect(error).toMatchObject({ code: 'STATEMENT_INVALID' });
    expect(error.message).toMatch(/summary file counts 2 payments.*detail file 3/);
  });

  it('refuses bytes that are not GBK, naming the line', async () => {
    const error = await failureOf(parseAlipayStatement(fixtureStream('alipay-bad-gbk.csv.zip')));
    expect(error).toMatchObject({ code: 'STATEMENT_INVALID' });
    expect(error.message).toMatch(/not valid GBK text .*line 7/);
  });

  it('refuses a truncated download as retryable', async () => {
    const bytes = fixtureBytes('alipay-trade.csv.zip');
    for (const cut of [bytes.length - 10, Math.floor(bytes.length / 2), 30]) {
      const error = await failureOf(parseAlipayStatement(chunked(bytes.subarray(0, cut))));
      expect(error).toMatchObject({ code: 'STATEMENT_INVALID', retryable: true });
    }
  });

  it('refuses an archive whose compressed data was altered', async () => {
    const bytes = Buffer.from(fixtureBytes('alipay-trade.csv.zip'));
    bytes[bytes.indexOf(Buffer.from('.csv')) + 40]! ^= 0xff; // inside the first entry's deflate data
    const error = await failureOf(parseAlipayStatement(chunked(bytes)));
    expect(error).toMatchObject({ code: 'STATEMENT_INVALID', retryable: true });
  });

  it('refuses an archive that is not an Alipay bill', async () => {
    const error = await failureOf(parseAlipayStatement(fixtureStream('unionpay-20240101.zip')));
    expect(error.message).toMatch(/holds "INN24010100ZM_.*none of them/);
  });

  it('tells "not generated yet" from "no business" by the time of asking', () => {
    const asked = (now: string) =>
      alipayStatementUnavailable('isp.bill_not_exist', {}, { billDate: '2024-01-01', now: bj(now) });
    expect(asked('2024-01-02 08:30:00')).toMatchObject({ code: 'STATEMENT_NOT_READY', retryable: true });
    expect(asked('2024-01-02 12:00:00')).toMatchObject({ code: 'STATEMENT_EMPTY', retryable: false });
    expect(alipayStatementUnavailable('bill_not_exist')).toMatchObject({ code: 'STATEMENT_NOT_READY' });
    expect(alipayStatementUnavailable('isv.invalid_arguments')).toBeUndefined();
  });
});

const PID = '2088123456789012';

/** The central directory's entries, read with yauzl's low-level fields (the writer is adm-zip). */
async function entriesOf(bytes: Buffer): Promise<yauzl.Entry[]> {
  const zip = await yauzl.fromBufferPromise(bytes, { decodeStrings: false, lazyEntries: true });
  return new Promise((resolve, reject) => {
    const entries: yauzl.Entry[] = [];
    zip.on('entry', (entry: yauzl.Entry) => {
      entries.push(entry);
      zip.readEntry();
    });
    zip.on('end', () => resolve(entries));
    zip.on('error', reject);
    zip.readEntry();
  });
}

function day(): StatementRecord[] {
  return [
    {
      kind: 'payment',
      tradeNo: 'A-1',
      transactionId: '2024030122001400000000000001',
      amount: 3580,
      time: bj('2024-03-01 09:00:00'),
      subject: '会员卡',
      fee: 21,
    },
    {
      kind: 'payment',
      tradeNo: 'A-2',
      transactionId: '2024030122001400000000000002',
      amount: 99,
      time: bj('2024-03-01 12:00:00'),
      subject: 'Tea, green',
    },
    {
      kind: 'refund',
      tradeNo: 'A-1',
      transactionId: '2024030122001400000000000001',
      refundId: 'R-1',
      amount: 500,
      time: bj('2024-03-01 18:00:00'),
      paidAt: bj('2024-03-01 09:00:00'),
      fee: 3,
    },
    {
      kind: 'payment',
      tradeNo: 'A-3',
      transactionId: '2024030222001400000000000003',
      amount: 100,
      time: bj('2024-03-02 00:00:01'),
    },
    {
      kind: 'payment',
      tradeNo: 'A-0',
      transactionId: '2024022922001400000000000000',
      amount: 100,
      time: bj('2024-02-29 23:59:59'),
    },
  ];
}

describe('Alipay statement: the sandbox archive', () => {
  it('is a zip of GBK-named entries without the UTF-8 flag, named after the account and day', async () => {
    const file = alipayStatement(day(), { day: '2024-03-01', pid: PID });
    expect(file.fileName).toBe(`${PID}0156_20240301.csv.zip`);
    const entries = await entriesOf(file.bytes);
    expect(entries.map((e) => e.generalPurposeBitFlag & 0x800)).toEqual([0, 0]);
    // 业务明细 in GBK is d2b5 cef1 c3f7 cfb8, 汇总 is bbe3 d7dc; the summary comes first on odd days.
    const names = entries.map((e) => e.fileNameRaw.toString('hex'));
    expect(names[0]).toBe(
      Buffer.from(`${PID}0156_20240301_`).toString('hex') +
        'd2b5cef1c3f7cfb8' +
        '28bbe3d7dc29' +
        Buffer.from('.csv').toString('hex'),
    );
    expect(names[1]).toBe(
      Buffer.from(`${PID}0156_20240301_`).toString('hex') + 'd2b5cef1c3f7cfb8' + Buffer.from('.csv').toString('hex'),
    );
  });

  it("parses back to the day's records, and only that day's", async () => {
    const file = alipayStatement(day(), { day: '2024-03-01', pid: PID });
    const rows = await rowsOf(parseAlipayStatement(chunked(file.bytes, 100)));
    expect(
      rows.map((r) => [r.kind, r.tradeNo, r.transactionId, r.refundId, r.amount, r.fee, r.time.toISOString()]),
    ).toEqual([
      ['payment', 'A-1', '2024030122001400000000000001', undefined, 3580, 21, bj('2024-03-01 09:00:00').toISOString()],
      ['payment', 'A-2', '2024030122001400000000000002', undefined, 99, 0, bj('2024-03-01 12:00:00').toISOString()],
      ['refund', 'A-1', '2024030122001400000000000001', 'R-1', 500, -3, bj('2024-03-01 18:00:00').toISOString()],
    ]);
    expect(rows[0]!.raw['商品名称']).toBe('会员卡');
  });

  it('puts either entry first and the parser finds them by name', async () => {
    for (const summaryFirst of [true, false]) {
      const file = alipayStatement(day(), { day: '2024-03-01', pid: PID, summaryFirst });
      const first = (await entriesOf(file.bytes))[0]!.fileNameRaw.toString('hex');
      expect(first.includes('28bbe3d7dc29')).toBe(summaryFirst);
      expect(await rowsOf(parseAlipayStatement(chunked(file.bytes)))).toHaveLength(3);
    }
  });

  it('writes an empty day that parses to no rows', async () => {
    const file = alipayStatement(day(), { day: '2024-03-05', pid: PID });
    expect(await rowsOf(parseAlipayStatement(chunked(file.bytes)))).toEqual([]);
  });

  it('writes the account ledger', async () => {
    const file = alipayStatement(day(), {
      day: '2024-03-01',
      pid: PID,
      billType: 'signcustomer',
      openingBalance: 10_000,
    });
    const rows = await rowsOf(parseAlipayStatement(chunked(file.bytes)));
    expect(rows.map((r) => [r.kind, r.tradeNo, r.amount])).toEqual([
      ['payment', 'A-1', 3580],
      ['other', 'A-1', 21],
      ['payment', 'A-2', 99],
      ['refund', 'A-1', 500],
      ['other', 'A-1', 3],
    ]);
    expect(rows.at(-1)!.raw['账户余额（元）']).toBe('131.61');
  });

  it('streams a day of 100,000 rows with its totals checked', { timeout: 180_000 }, async () => {
    const records: StatementRecord[] = [];
    const start = bj('2024-03-01 00:00:00').getTime();
    for (let i = 0; i < 100_000; i++) {
      const refund = i % 10 === 9;
      records.push({
        kind: refund ? 'refund' : 'payment',
        tradeNo: `ORDER-${i - (refund ? 1 : 0)}`,
        transactionId: `20240301220014${String(i).padStart(14, '0')}`,
        ...(refund ? { refundId: `REFUND-${i}` } : {}),
        amount: 100 + (i % 5000),
        time: new Date(start + i * 800),
        subject: i % 3 ? '洗车服务' : 'Car wash',
      });
    }
    const file = alipayStatement(records, { day: '2024-03-01', pid: PID, feeRate: 60 });
    let count = 0;
    const sums = { payment: 0, refund: 0, other: 0 };
    for await (const row of parseAlipayStatement(chunked(file.bytes, 64 * 1024))) {
      count += 1;
      sums[row.kind] += row.amount;
    }
    expect(count).toBe(100_000);
    const expected = tally(
      records.map((r) => ({ ...r, provider: 'alipay', fee: 0, feeMilliFen: 0, status: '', raw: {} })),
    );
    expect(sums.payment).toBe(expected.paymentAmount);
    expect(sums.refund).toBe(expected.refundAmount);
  });
});
