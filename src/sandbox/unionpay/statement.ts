import { deflateSync } from 'node:zlib';
import AdmZip from 'adm-zip';
import iconv from 'iconv-lite';
import {
  beijing,
  beijingDay,
  beijingInstant,
  dosTime,
  feeAt,
  nextDay,
  type StatementRecord,
} from '../statement-records.js';

/**
 * UnionPay's answer to a file-transfer request (`txnType=76`, `fileType=00`): `fileName`
 * `<merId>_<yyyyMMdd>.zip` and `fileContent`, base64 of the zlib-compressed zip, which holds
 * `INN<yyMMdd>00ZM_<merId>` (one fixed-width GBK record per cleared transaction) and
 * `INN<yyMMdd>00ZME_<merId>` (error adjustments; the sandbox has none). Record layout:
 * "全渠道平台接入接口规范 第5部分 文件接口" (open.unionpay.com).
 */

/** Options of {@link unionpayStatementFile}. */
export interface UnionpayStatementFileOptions {
  /** The clearing day, `yyyy-MM-dd`: from 23:00 Beijing the day before to 23:00 on that day. */
  settleDate: string;
  /** The 15-digit merchant id. */
  merId: string;
  /** Fee in basis points when a record has none. Default 60. */
  feeRate?: number;
  /** When the file was made (zip entry times). Default 06:00 the next day. */
  madeAt?: Date;
}

/** The file-transfer answer's file fields, and the zip itself. */
export interface UnionpayStatementFile {
  fileName: string;
  /** base64(zlib(zip)), as the answer's `fileContent` carries it. */
  fileContent: string;
  zip: Buffer;
}

// The ZM record's field widths in bytes, fields 1 to 42; each field but the last is followed by a
// space. Numbers are zero-padded by the record builder, text is left-aligned and space-padded.
const WIDTHS = [
  3, 11, 11, 6, 10, 19, 12, 4, 2, 21, 2, 32, 2, 6, 10, 13, 13, 4, 15, 2, 2, 6, 2, 4, 32, 1, 21, 15, 1, 15, 32, 13, 13,
  8, 32, 13, 13, 12, 2, 1, 32, 98,
];

/** The clearing day of an instant: UnionPay's day ends at 23:00 Beijing. */
export function unionpayClearingDay(time: Date): string {
  return beijingDay(new Date(time.getTime() + 3600_000));
}

/** Builds the file-transfer answer's file for one clearing day of the given records. */
export function unionpayStatementFile(
  records: readonly StatementRecord[],
  options: UnionpayStatementFileOptions,
): UnionpayStatementFile {
  const rate = options.feeRate ?? 60;
  const rows = records
    .filter((r) => unionpayClearingDay(r.time) === options.settleDate)
    .sort((a, b) => a.time.getTime() - b.time.getTime());
  const lines = rows.map((r, i) => record(r, i + 1, options.merId, rate));
  const yyMMdd = options.settleDate.replace(/-/g, '').slice(2);
  const madeAt = options.madeAt ?? beijingInstant(nextDay(options.settleDate), 6);
  const zip = new AdmZip({ noSort: true });
  for (const [name, bytes] of [
    [`INN${yyMMdd}00ZM_${options.merId}`, Buffer.concat(lines)],
    [`INN${yyMMdd}00ZME_${options.merId}`, Buffer.alloc(0)],
  ] as const) {
    const entry = zip.addFile(name, bytes);
    entry.header.timeval = dosTime(madeAt);
  }
  const bytes = zip.toBuffer();
  return {
    fileName: `${options.merId}_${options.settleDate.replace(/-/g, '')}.zip`,
    fileContent: deflateSync(bytes).toString('base64'),
    zip: bytes,
  };
}

const mmddhhmmss = (date: Date) => {
  const b = beijing(date);
  return `${b.MM}${b.dd}${b.HH}${b.mm}${b.ss}`;
};
const digits = (n: number, width: number) => String(n).padStart(width, '0');
const flagged = (credit: boolean, fen: number) => `${credit ? 'C' : 'D'}${digits(fen, 12)}`;

function record(r: StatementRecord, trace: number, merId: string, rate: number): Buffer {
  const refund = r.kind === 'refund';
  const fee = r.fee ?? feeAt(r.amount, rate);
  const net = r.amount - fee;
  const f: Record<number, string> = {
    1: refund ? '' : 'S22',
    2: '00049992900',
    3: '00049992900',
    4: digits(trace % 1_000_000, 6),
    5: mmddhhmmss(r.time),
    6: r.payer ?? '6216***********0001',
    7: digits(r.amount, 12),
    8: '5999',
    9: '08',
    10: (refund ? r.providerRefundId : r.transactionId) ?? '',
    12: (refund ? r.refundId : r.tradeNo) ?? '',
    13: '01',
    15: refund ? mmddhhmmss(r.paidAt ?? r.time) : '',
    // A fee is a debit (D) to the merchant on a consumption and comes back as a credit (C) on a refund.
    16: flagged(refund, fee),
    17: flagged(!refund, net),
    20: refund ? (r.cancel ? '31' : '04') : '01',
    21: refund ? '00' : '01',
    22: '000201',
    23: '01',
    27: refund ? r.transactionId : '',
    28: merId,
    33: flagged(!refund, net),
  };
  const parts = WIDTHS.map((width, i) => pad(f[i + 1] ?? '', width));
  if (parts.every((part) => typeof part === 'string')) return Buffer.from(`${parts.join(' ')}\n`, 'latin1');
  const bytes = parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'latin1') : part));
  return Buffer.concat(bytes.flatMap((part, i) => [part, i === bytes.length - 1 ? NEWLINE : SPACE]));
}

const SPACE = Buffer.from(' ');
const NEWLINE = Buffer.from('\n');

/**
 * A field space-padded to its width in GBK bytes: ASCII as a string, other text as its GBK bytes
 * (two a character), cut at a character boundary when too long.
 */
function pad(value: string, width: number): string | Buffer {
  if (/^[\x20-\x7e]*$/.test(value)) return value.slice(0, width).padEnd(width, ' ');
  let bytes = iconv.encode(value, 'gbk');
  for (let cut = value.length; bytes.length > width;) bytes = iconv.encode(value.slice(0, --cut), 'gbk');
  return Buffer.concat([bytes, Buffer.alloc(width - bytes.length, 0x20)]);
}
