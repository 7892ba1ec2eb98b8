import type { StatementParseOptions, StatementRow, StatementRowKind } from '../../../spi/statement.js';
import { collectBytes } from '../../../wire/statement/bytes.js';
import { statementInvalid } from '../../../wire/statement/errors.js';
import { type ByteLine, splitByteLines } from '../../../wire/statement/lines.js';
import { openZip, type ZipArchive, type ZipEntry } from '../../../wire/statement/zip.js';
import { parseBeijing } from '../../../wire/time.js';
import { unionpayFileContent } from './file-content.js';
import { ZM_FIELDS, ZM_RECORD_BYTES, ZME_FIELDS, ZME_RECORD_BYTES } from './layout.js';
import { debitField, fenField, sliceRecord } from './record.js';
import { unionpayStatementUnavailable } from './unavailable.js';

export { unionpayFileContent } from './file-content.js';
export { unionpayStatementUnavailable } from './unavailable.js';

/** Options for {@link parseUnionpayStatement}. */
export interface UnionpayStatementOptions extends StatementParseOptions {
  /**
   * The clearing date the file is for (`yyyy-MM-dd`). Record times carry no year; it is taken from
   * this date, or else from the file names (`INN<yyMMdd>…`).
   */
  settleDate?: string;
}

// `INN240101` + 2-digit sequence + `ZM_` or `ZME_` + merchant id (UnionPay's official demos match
// `INN` at the start and `ZM_` / `ZME_` at offset 11); a `.txt` suffix is tolerated.
const FILE = /^INN(\d{2})(\d{2})(\d{2})\d{2}(ZME?)_/;

/**
 * Reads a UnionPay reconciliation archive (the zip that `fileContent` decodes to). Every record of
 * the ZM files is a row: consumptions (交易类型 `01`) are payments; refunds (`04`) and cancellations
 * (`31`) are refunds, linked to their payment by 原交易查询流水号 (`transactionId`), since their
 * 商户订单号 is the refund's own `orderId` (`refundId`). Records of the ZME (error adjustment)
 * files are rows of kind `other`, status `ADJUSTMENT`, for review.
 */
export async function* parseUnionpayStatement(
  source: AsyncIterable<Uint8Array>,
  options: UnionpayStatementOptions = {},
): AsyncGenerator<StatementRow> {
  const zip = await openZip(await collectBytes(source, 'unionpay', options.maxBytes), 'unionpay', 'the archive');
  const files = zip.entries
    .flatMap((entry) => {
      const m = FILE.exec(entry.name.slice(entry.name.lastIndexOf('/') + 1));
      return m ? [{ entry, m }] : [];
    })
    .sort((a, b) => (a.entry.name < b.entry.name ? -1 : 1));
  if (!files.some((f) => f.m[4] === 'ZM')) {
    const names = zip.entries.map((e) => `"${e.name}"`).join(', ') || 'no files';
    throw statementInvalid('unionpay', `the archive holds ${names}, no INN…ZM_… file`);
  }
  for (const { entry, m } of files) {
    const [, yy = '', mm = '', dd = '', kind] = m;
    const date = options.settleDate ?? `20${yy}-${mm}-${dd}`;
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw statementInvalid('unionpay', `settleDate "${date}" is not yyyy-MM-dd`);
    yield* kind === 'ZM' ? readZm(zip, entry, date) : readZme(zip, entry, date);
  }
}

/**
 * Reads the verified answer of a file-transfer request: an error for a `respCode` other than `00`
 * (see {@link unionpayStatementUnavailable}), else the rows of the archive in `fileContent`.
 */
export async function* unionpayStatement(
  fields: Readonly<Record<string, string | undefined>>,
  options: UnionpayStatementOptions = {},
): AsyncGenerator<StatementRow> {
  const unavailable = unionpayStatementUnavailable(fields);
  if (unavailable) throw unavailable;
  if (!fields.fileContent) throw statementInvalid('unionpay', 'the answer has respCode 00 but no fileContent');
  yield* parseUnionpayStatement(unionpayFileContent(fields.fileContent), options);
}

const KIND: Record<string, StatementRowKind> = { '01': 'payment', '04': 'refund', '31': 'refund' };

async function* readZm(zip: ZipArchive, entry: ZipEntry, settleDate: string): AsyncGenerator<StatementRow> {
  const what = `"${entry.name}"`;
  for await (const batch of splitByteLines(zip.read(entry), 'unionpay', what)) yield* batch.map(zmRow).filter(isRow);

  function zmRow({ bytes, number }: ByteLine): StatementRow | undefined {
    if (bytes.length === 0) return undefined;
    if (bytes.length !== ZM_RECORD_BYTES)
      throw statementInvalid(
        'unionpay',
        `${what}: line ${number} is ${bytes.length} bytes, a record is ${ZM_RECORD_BYTES}`,
      );
    const raw = sliceRecord(bytes, ZM_FIELDS, number, what);
    const kind = KIND[field(raw, '交易类型')] ?? 'other';
    const fee = debitField(field(raw, '商户手续费'), '商户手续费', number, what);
    const refund = kind === 'refund';
    return {
      provider: 'unionpay',
      kind,
      tradeNo: refund ? '' : field(raw, '商户订单号'),
      transactionId: (refund ? raw['原交易查询流水号'] : raw['查询流水号']) || undefined,
      ...(refund && raw['商户订单号'] ? { refundId: raw['商户订单号'] } : {}),
      ...(refund && raw['查询流水号'] ? { providerRefundId: raw['查询流水号'] } : {}),
      amount: fenField(field(raw, '交易金额'), '交易金额', number, what),
      fee,
      feeMilliFen: fee * 1000,
      time: recordTime(field(raw, '交易传输时间'), settleDate, number, what),
      status: 'SUCCESS',
      raw,
    };
  }
}

/** A field of the record layout (ZM_FIELDS, ZME_FIELDS), which every sliced record has. */
function field(raw: Readonly<Record<string, string>>, name: string): string {
  const value = raw[name];
  if (value === undefined) throw new Error(`the UnionPay record layout has no field ${name}`);
  return value;
}

async function* readZme(zip: ZipArchive, entry: ZipEntry, settleDate: string): AsyncGenerator<StatementRow> {
  const what = `"${entry.name}"`;
  for await (const batch of splitByteLines(zip.read(entry), 'unionpay', what)) yield* batch.map(zmeRow).filter(isRow);

  function zmeRow({ bytes, number }: ByteLine): StatementRow | undefined {
    if (bytes.length === 0) return undefined;
    if (bytes.length !== ZME_RECORD_BYTES)
      throw statementInvalid(
        'unionpay',
        `${what}: line ${number} is ${bytes.length} bytes, a record is ${ZME_RECORD_BYTES}`,
      );
    const raw = sliceRecord(bytes, ZME_FIELDS, number, what);
    return {
      provider: 'unionpay',
      kind: 'other',
      tradeNo: '',
      amount: fenField(field(raw, '交易金额'), '交易金额', number, what),
      fee: 0,
      feeMilliFen: 0,
      time: recordTime(field(raw, '交易传输时间'), settleDate, number, what),
      status: 'ADJUSTMENT',
      raw,
    };
  }
}

const isRow = (row: StatementRow | undefined): row is StatementRow => row !== undefined;

/**
 * `MMDDhhmmss` (no year) in Beijing time. The year is the clearing date's, except for a record
 * dated after the clearing day: that is late December in the file of early January.
 */
function recordTime(text: string, settleDate: string, line: number, what: string): Date {
  const year = Number(settleDate.slice(0, 4));
  const sameYear = text.slice(0, 4) <= settleDate.slice(5, 7) + settleDate.slice(8, 10);
  const time = /^\d{10}$/.test(text) ? parseBeijing(`${sameYear ? year : year - 1}${text}`) : undefined;
  if (!time) throw statementInvalid('unionpay', `${what}: line ${line}, 交易传输时间 "${text}" is not a time`);
  return time;
}
