import { deflateSync } from 'node:zlib';
import AdmZip from 'adm-zip';
import { describe, expect, it } from 'vitest';
import { ProviderError } from '../src/errors/index.js';
import {
  parseUnionpayStatement,
  unionpayFileContent,
  unionpayStatement,
  unionpayStatementUnavailable,
} from '../src/providers/unionpay/statement/index.js';
import { ZM_FIELDS } from '../src/providers/unionpay/statement/layout.js';
import type { StatementRecord } from '../src/sandbox/statement-records.js';
import { unionpayClearingDay, unionpayStatementFile } from '../src/sandbox/unionpay/statement.js';
import { bj, chunked, failureOf, fixtureBytes, fixtureStream, rowsOf } from './helpers/statements.js';

const fileContent = (name: string) => fixtureBytes(name).toString('utf8');
const answer = (name: string) => ({ respCode: '00', respMsg: '成功[0000000]', fileContent: fileContent(name) });

describe('UnionPay reconciliation file: fixtures made with printf, iconv, zip, pigz and base64', () => {
  it('lays the ZM record out as the specification does: 42 fields, 607 bytes', () => {
    const last = ZM_FIELDS.at(-1)!;
    expect(ZM_FIELDS).toHaveLength(42);
    expect(last.offset + last.width).toBe(607);
    expect(ZM_FIELDS.find((f) => f.name === '查询流水号')).toMatchObject({ offset: 87, width: 21 });
    expect(ZM_FIELDS.find((f) => f.name === '原交易查询流水号')).toMatchObject({ offset: 271, width: 21 });
  });

  it('reads the file-transfer answer: a payment, its refund, fees with D/C flags, Chinese in GBK', async () => {
    const rows = await rowsOf(unionpayStatement(answer('unionpay-20240101.fileContent.txt')));
    expect(
      rows.map((r) => [r.kind, r.tradeNo, r.transactionId, r.refundId, r.providerRefundId, r.amount, r.fee]),
    ).toEqual([
      ['payment', 'ORD20240101001', '712401011000080000001', undefined, undefined, 3580, 21],
      ['refund', '', '712401011000080000001', 'R1001REFUND1', '712401011530020000002', 1000, -6],
      ['payment', 'ORD20231231009', '712312312330000000003', undefined, undefined, 1, 0],
    ]);
    expect(rows[0]!.time).toEqual(bj('2024-01-01 10:00:08'));
    expect(rows[0]!.raw['二级商户简称']).toBe('洗车旗舰店');
    expect(rows[0]!.raw['商户代码']).toBe('898111153990001');
    expect(rows[1]!.raw['交易类型']).toBe('04');
    // 23:30 on 31 December clears on 1 January: the record's MMDD is later than the clearing day's.
    expect(rows[2]!.time).toEqual(bj('2023-12-31 23:30:00'));
  });

  it('reads the zip itself, and an empty clearing day', async () => {
    const fromZip = await rowsOf(parseUnionpayStatement(fixtureStream('unionpay-20240101.zip', 33)));
    expect(fromZip.map((r) => r.amount)).toEqual([3580, 1000, 1]);
    expect(await rowsOf(unionpayStatement(answer('unionpay-20240102.fileContent.txt')))).toEqual([]);
  });

  it('maps respCode 98 to not ready, then empty after noon the next day; other codes to provider errors', () => {
    const no = { respCode: '98', respMsg: '文件不存在' };
    expect(unionpayStatementUnavailable(no)).toMatchObject({ code: 'STATEMENT_NOT_READY', retryable: true });
    const late = unionpayStatementUnavailable(no, { settleDate: '2024-01-01', now: bj('2024-01-02 13:00:00') });
    expect(late).toMatchObject({ code: 'STATEMENT_EMPTY' });
    const other = unionpayStatementUnavailable({ respCode: '12', respMsg: '重复交易' });
    expect(other).toBeInstanceOf(ProviderError);
    expect(other).toMatchObject({ code: 'PROVIDER_REJECTED', providerCode: '12' });
    expect(unionpayStatementUnavailable({ respCode: '00' })).toBeUndefined();
  });

  it('throws the unavailable error when reading an answer without a file', async () => {
    expect(await failureOf(unionpayStatement({ respCode: '98', respMsg: '文件不存在' }))).toMatchObject({
      code: 'STATEMENT_NOT_READY',
    });
  });

  it('refuses fileContent that is not base64, naming the likely double decoding', async () => {
    const spaced = fileContent('unionpay-20240101.fileContent.txt').replace(/\+/g, ' ');
    const error = await failureOf(unionpayStatement({ respCode: '00', fileContent: spaced }));
    expect(error).toMatchObject({ code: 'STATEMENT_INVALID' });
    expect(error.message).toMatch(/not base64 .*'\+' decoded as a space/);
  });

  it('refuses fileContent that is cut short, and a zip that is cut short', async () => {
    const text = fileContent('unionpay-20240101.fileContent.txt');
    const cut = await failureOf(unionpayStatement({ respCode: '00', fileContent: text.slice(0, 200) }));
    expect(cut).toMatchObject({ code: 'STATEMENT_INVALID', retryable: true });
    const zip = fixtureBytes('unionpay-20240101.zip');
    const short = await failureOf(parseUnionpayStatement(chunked(zip.subarray(0, zip.length - 40))));
    expect(short).toMatchObject({ code: 'STATEMENT_INVALID', retryable: true });
  });

  it('refuses a record of the wrong length and a field that is not GBK', async () => {
    const record = rebuild((lines) => [lines[0]!.subarray(0, 600)]);
    expect((await failureOf(parseUnionpayStatement(chunked(record)))).message).toMatch(
      /line 1 is 600 bytes, a record is 607/,
    );
    const gbk = rebuild((lines) => {
      const bad = Buffer.from(lines[0]!);
      bad[ZM_FIELDS[30]!.offset] = 0x81; // 二级商户简称: a lead byte followed by 0x7f
      bad[ZM_FIELDS[30]!.offset + 1] = 0x7f;
      return [bad];
    });
    expect((await failureOf(parseUnionpayStatement(chunked(gbk)))).message).toMatch(/二级商户简称 is not valid GBK/);
  });

  it('refuses an archive without a ZM file', async () => {
    const error = await failureOf(parseUnionpayStatement(fixtureStream('alipay-trade.csv.zip')));
    expect(error.message).toMatch(/no INN…ZM_… file/);
  });
});

/** The fixture zip with its ZM file's records changed (adm-zip writes it back; the records are the fixture's). */
function rebuild(change: (lines: Buffer[]) => Buffer[]): Buffer {
  const zip = new AdmZip(fixtureBytes('unionpay-20240101.zip'));
  const entry = zip.getEntries().find((e) => e.entryName.includes('ZM_'))!;
  const data = entry.getData();
  const lines: Buffer[] = [];
  for (let at = 0; at < data.length;) {
    const end = data.indexOf('\r\n', at);
    lines.push(data.subarray(at, end));
    at = end + 2;
  }
  const out = new AdmZip();
  out.addFile(entry.entryName, Buffer.concat(change(lines).flatMap((l) => [l, Buffer.from('\r\n')])));
  return out.toBuffer();
}

const MER = '898111153990001';

function day(): StatementRecord[] {
  return [
    {
      kind: 'payment',
      tradeNo: 'U20240301A1',
      transactionId: '712403010900000000001',
      amount: 3580,
      time: bj('2024-02-29 23:10:00'),
    },
    {
      kind: 'payment',
      tradeNo: 'U20240301A2',
      transactionId: '712403011200000000002',
      amount: 99,
      time: bj('2024-03-01 12:00:00'),
      payer: '6222***********1234',
    },
    {
      kind: 'refund',
      tradeNo: 'U20240301A1',
      transactionId: '712403010900000000001',
      refundId: 'R20240301A1',
      providerRefundId: '712403011800000000003',
      amount: 500,
      time: bj('2024-03-01 18:00:00'),
      paidAt: bj('2024-02-29 23:10:00'),
    },
    {
      kind: 'refund',
      tradeNo: 'U20240301A2',
      transactionId: '712403011200000000002',
      refundId: 'C20240301A2',
      providerRefundId: '712403011900000000004',
      amount: 99,
      time: bj('2024-03-01 19:00:00'),
      cancel: true,
      fee: 1,
    },
    {
      kind: 'payment',
      tradeNo: 'U20240302A3',
      transactionId: '712403022330000000005',
      amount: 100,
      time: bj('2024-03-01 23:00:00'),
    },
  ];
}

describe('UnionPay reconciliation file: the sandbox answer', () => {
  it('places transactions after 23:00 in the next clearing day', () => {
    expect(unionpayClearingDay(bj('2024-02-29 23:10:00'))).toBe('2024-03-01');
    expect(unionpayClearingDay(bj('2024-03-01 22:59:59'))).toBe('2024-03-01');
    expect(unionpayClearingDay(bj('2024-03-01 23:00:00'))).toBe('2024-03-02');
  });

  it("writes the day's records as 607-byte GBK records in a zlib-compressed zip", async () => {
    const file = unionpayStatementFile(day(), { settleDate: '2024-03-01', merId: MER });
    expect(file.fileName).toBe(`${MER}_20240301.zip`);
    expect(Buffer.from(file.fileContent, 'base64')[0]).toBe(0x78); // a zlib header, not raw deflate or gzip
    const zm = new AdmZip(file.zip).getEntries().find((e) => e.entryName === `INN24030100ZM_${MER}`)!;
    const lines = zm.getData().toString('latin1').split('\n').filter(Boolean);
    expect(lines.map((l) => l.length)).toEqual([607, 607, 607, 607]);
    const rows = await rowsOf(unionpayStatement({ respCode: '00', fileContent: file.fileContent }));
    expect(
      rows.map((r) => [
        r.kind,
        r.tradeNo,
        r.transactionId,
        r.refundId,
        r.providerRefundId,
        r.amount,
        r.fee,
        r.time.toISOString(),
      ]),
    ).toEqual([
      [
        'payment',
        'U20240301A1',
        '712403010900000000001',
        undefined,
        undefined,
        3580,
        21,
        bj('2024-02-29 23:10:00').toISOString(),
      ],
      [
        'payment',
        'U20240301A2',
        '712403011200000000002',
        undefined,
        undefined,
        99,
        1,
        bj('2024-03-01 12:00:00').toISOString(),
      ],
      [
        'refund',
        '',
        '712403010900000000001',
        'R20240301A1',
        '712403011800000000003',
        500,
        -3,
        bj('2024-03-01 18:00:00').toISOString(),
      ],
      [
        'refund',
        '',
        '712403011200000000002',
        'C20240301A2',
        '712403011900000000004',
        99,
        -1,
        bj('2024-03-01 19:00:00').toISOString(),
      ],
    ]);
    expect(rows.map((r) => r.raw['交易类型'])).toEqual(['01', '01', '04', '31']);
  });

  it('writes an empty clearing day that parses to no rows', async () => {
    const file = unionpayStatementFile(day(), { settleDate: '2024-03-05', merId: MER });
    expect(await rowsOf(unionpayStatement({ respCode: '00', fileContent: file.fileContent }))).toEqual([]);
  });

  it('streams a clearing day of 100,000 records', { timeout: 180_000 }, async () => {
    const records: StatementRecord[] = [];
    const start = bj('2024-02-29 23:00:00').getTime();
    for (let i = 0; i < 100_000; i++) {
      const refund = i % 10 === 9;
      records.push({
        kind: refund ? 'refund' : 'payment',
        tradeNo: `U${String(i - (refund ? 1 : 0)).padStart(12, '0')}`,
        transactionId: `7124030100${String(i - (refund ? 1 : 0)).padStart(11, '0')}`,
        ...(refund
          ? {
              refundId: `R${String(i).padStart(12, '0')}`,
              providerRefundId: `7124030199${String(i).padStart(11, '0')}`,
            }
          : {}),
        amount: 100 + (i % 5000),
        time: new Date(start + i * 800),
      });
    }
    const file = unionpayStatementFile(records, { settleDate: '2024-03-01', merId: MER });
    let count = 0;
    const sums = { payment: 0, refund: 0, other: 0 };
    for await (const row of unionpayStatement({ respCode: '00', fileContent: file.fileContent })) {
      count += 1;
      sums[row.kind] += row.amount;
    }
    expect(count).toBe(100_000);
    const paid = records.filter((r) => r.kind === 'payment').reduce((s, r) => s + r.amount, 0);
    const refunded = records.filter((r) => r.kind === 'refund').reduce((s, r) => s + r.amount, 0);
    expect(sums).toEqual({ payment: paid, refund: refunded, other: 0 });
  });
});

it('decodes fileContent a slice at a time into the zip bytes', async () => {
  const zip = fixtureBytes('unionpay-20240101.zip');
  const chunks: Buffer[] = [];
  for await (const chunk of unionpayFileContent(deflateSync(zip).toString('base64'))) chunks.push(chunk);
  expect(Buffer.concat(chunks)).toEqual(zip);
});
