import type { StatementParseOptions, StatementRow } from '../../../spi/statement.js';
import { collectBytes } from '../../../wire/statement/bytes.js';
import { statementInvalid } from '../../../wire/statement/errors.js';
import { splitLines } from '../../../wire/statement/lines.js';
import { decodeGbk } from '../../../wire/statement/text.js';
import { openZip, type ZipArchive, type ZipEntry } from '../../../wire/statement/zip.js';
import { type AlipayBillType, pickEntries } from './archive.js';
import { readLedger } from './ledger.js';
import { readSummary } from './summary.js';
import { readTradeDetail, type TradeCounts } from './trade.js';

export type { AlipayBillType } from './archive.js';
export { alipayStatementUnavailable } from './unavailable.js';

/** Options for {@link parseAlipayStatement}. */
export interface AlipayStatementOptions extends StatementParseOptions {
  /** The `bill_type` that was downloaded. Unset: whichever bill the archive holds. */
  billType?: AlipayBillType;
}

/**
 * Reads an Alipay statement: the zip behind `bill_download_url`, as downloaded. Rows are yielded
 * as the detail file is inflated and decoded (GBK); summary rows and comment lines are skipped.
 * The totals lines, and the summary file's counts, are checked against the rows once they are all
 * read: the iteration ends with a `STATEMENT_INVALID` error when they disagree, so a consumer
 * should commit what it did with the rows only when the iteration completes.
 *
 * @example
 * ```ts
 * const response = await fetch(billDownloadUrl);
 * for await (const row of parseAlipayStatement(response.body!)) console.log(row.kind, row.tradeNo, row.amount);
 * ```
 */
export async function* parseAlipayStatement(
  source: AsyncIterable<Uint8Array>,
  options: AlipayStatementOptions = {},
): AsyncGenerator<StatementRow> {
  const zip = await openZip(await collectBytes(source, 'alipay', options.maxBytes), 'alipay', 'the statement archive');
  const bill = pickEntries(zip.entries, options.billType);
  if (bill.billType === 'signcustomer') {
    for await (const batch of readLedger(linesOf(zip, bill.detail))) yield* batch;
    return;
  }
  const summary = bill.summary ? await readSummary(linesOf(zip, bill.summary)) : undefined;
  const counts: TradeCounts = { payments: 0, refunds: 0 };
  for await (const batch of readTradeDetail(linesOf(zip, bill.detail), counts)) yield* batch;
  if (summary && (summary.payments !== counts.payments || summary.refunds !== counts.refunds))
    throw statementInvalid(
      'alipay',
      `the summary file counts ${summary.payments} payments and ${summary.refunds} refunds, ` +
        `the detail file ${counts.payments} and ${counts.refunds}`,
    );
}

function linesOf(zip: ZipArchive, entry: ZipEntry) {
  return splitLines(decodeGbk(zip.read(entry), 'alipay', `"${entry.name}"`), 'alipay', `"${entry.name}"`);
}
