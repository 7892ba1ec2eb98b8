import type { StatementParseOptions, StatementRow } from '../../../spi/statement.js';
import { rechunk } from '../../../wire/statement/bytes.js';
import { statementEmpty, statementInvalid } from '../../../wire/statement/errors.js';
import { type Line, splitLines } from '../../../wire/statement/lines.js';
import { decodeUtf8 } from '../../../wire/statement/text.js';
import { checkDigest, gunzip, isGzip, isXml, peek } from './body.js';
import { readFundFlowBill } from './fundflow.js';
import { readTradeBill } from './trade.js';
import { v2BillError } from './v2-error.js';

export { wechatpayStatementUnavailable } from './unavailable.js';

/** Options for {@link parseWechatpayStatement}. */
export interface WechatpayStatementOptions extends StatementParseOptions {
  /**
   * v3: the `hash_value` of the bill request's answer. The SHA-1 of the (uncompressed) bill must
   * equal it; the check runs when the last byte is read.
   */
  hashValue?: string;
  /** v3: the answer's `hash_type`; only `SHA1` exists. */
  hashType?: string;
}

/** An XML error answer is a few hundred bytes; anything longer is not one. */
const MAX_XML = 64 * 1024;

/**
 * Reads a WeChat Pay bill as downloaded: a v3 trade or fund-flow bill from `download_url`, or the
 * body of a v2 `downloadbill` answer. Gzip is recognised and inflated as it streams; a v2 XML
 * error answer becomes a `STATEMENT_EMPTY` ("No Bill Exist"), `STATEMENT_NOT_READY`
 * ("Bill Creating") or provider error. Rows are yielded as the file is read; the totals row and
 * `hashValue` are checked at the end, so a consumer should commit what it did with the rows only
 * when the iteration completes.
 *
 * @example
 * ```ts
 * const { hash_value, download_url } = tradeBillAnswer;
 * for await (const row of parseWechatpayStatement(download.body!, { hashValue: hash_value })) rows.push(row);
 * ```
 */
export async function* parseWechatpayStatement(
  source: AsyncIterable<Uint8Array>,
  options: WechatpayStatementOptions = {},
): AsyncGenerator<StatementRow> {
  if (options.hashType !== undefined && options.hashType.toUpperCase() !== 'SHA1')
    throw statementInvalid('wechatpay', `hash_type "${options.hashType}" is not supported (SHA1 is the only one)`);
  const { head, body } = await peek(rechunk(source), 16);
  if (head.length === 0) throw statementEmpty('wechatpay', 'the bill download is empty');
  if (isXml(head)) throw v2BillError(await readXml(body));
  let bytes: AsyncIterable<Uint8Array> = body;
  if (isGzip(head)) {
    // Whether an error answer to a GZIP request comes compressed is not documented: look again.
    const inflated = await peek(gunzip(body), 16);
    if (isXml(inflated.head)) throw v2BillError(await readXml(inflated.body));
    bytes = inflated.body;
  }
  if (options.hashValue !== undefined) bytes = checkDigest(bytes, options.hashValue);
  const lines = splitLines(decodeUtf8(bytes, 'wechatpay', 'the bill'), 'wechatpay', 'the bill');
  const iterator = lines[Symbol.asyncIterator]();
  // The first line says which bill this is; the batch it came in is read again by the bill reader.
  let first = await iterator.next();
  while (!first.done && !first.value.some((line) => line.text.trim())) first = await iterator.next();
  if (first.done) throw statementEmpty('wechatpay', 'the bill holds no lines');
  const headerLine = first.value.find((line) => line.text.trim());
  if (!headerLine) throw statementEmpty('wechatpay', 'the bill holds no lines');
  const header = headerLine.text.trim();
  const all = withFirst(first.value, iterator);
  const read = header.startsWith('记账时间')
    ? readFundFlowBill
    : header.startsWith('交易时间')
      ? readTradeBill
      : undefined;
  if (!read) {
    await iterator.return(undefined);
    throw statementInvalid('wechatpay', `the first line is not a bill header: "${header.slice(0, 40)}"`);
  }
  for await (const batch of read(all)) yield* batch;
}

async function* withFirst(first: Line[], rest: AsyncIterator<Line[]>): AsyncGenerator<Line[]> {
  try {
    yield first;
    for (;;) {
      const next = await rest.next();
      if (next.done) return;
      yield next.value;
    }
  } finally {
    // A consumer that stops early closes the line source, and the download behind it, too.
    await rest.return?.();
  }
}

async function readXml(body: AsyncIterable<Uint8Array>): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > MAX_XML) throw statementInvalid('wechatpay', 'the answer is XML but too long to be an error answer');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
