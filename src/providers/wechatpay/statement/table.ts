import { statementInvalid } from '../../../wire/statement/errors.js';
import type { Line } from '../../../wire/statement/lines.js';

/**
 * The frame of every WeChat Pay bill (v2 `downloadbill`, v3 trade and fund-flow bills): a plain
 * header row, data rows whose every field starts with a backtick (so spreadsheets keep long numbers
 * as text), a plain totals header row (`总交易单数,…` / `资金流水总笔数,…`) and one totals row.
 * Format: WeChat Pay merchant documentation, "账单文件格式说明"
 * (https://pay.weixin.qq.com/docs/merchant/products/bill-download/format-trade.html).
 */

/** A data row: cells by column name, and the line it came from. */
export interface BillRow {
  cells: Record<string, string>;
  line: number;
}

/** The header and totals of a bill; `totals` is set once the rows are all read. */
export interface BillFrame {
  columns: string[];
  totals?: Record<string, string>;
}

/** Column names for lookups: ASCII and full-width parentheses name the same column. */
export const columnKey = (name: string) => name.trim().replace(/\(/g, '（').replace(/\)/g, '）');

/**
 * Splits a backtick row. Fields are joined by the two characters "," and "`", so a comma inside a
 * product name stays in its field; exactly one leading backtick is removed from each.
 */
export function splitBacktickRow(line: string): string[] | undefined {
  if (!line.startsWith('`')) return undefined;
  return line.slice(1).split(',`');
}

/**
 * Streams the data rows of a bill in batches as the lines arrive. `frame.columns` is set from the
 * header before the first batch; `frame.totals` holds the totals row (header name → value) once
 * the generator is done.
 */
export async function* readBill(
  lines: AsyncIterable<Line[]>,
  totalsMarkers: readonly string[],
  frame: BillFrame,
  what: string,
): AsyncGenerator<BillRow[]> {
  let state: 'header' | 'rows' | 'totals' | 'done' = 'header';
  let totalsColumns: string[] = [];
  for await (const batch of lines) {
    const rows: BillRow[] = [];
    for (const { text, number } of batch) {
      if (state === 'rows' && text.charCodeAt(0) === 96 /* ` */) {
        // The line starts with a backtick, which is what splitBacktickRow looks for.
        const values = text.trimEnd().slice(1).split(',`');
        const columns = frame.columns;
        if (values.length !== columns.length)
          throw invalid(`${what}: line ${number} has ${values.length} fields where the header has ${columns.length}`);
        const cells: Record<string, string> = {};
        // values and columns have the same length (checked above).
        for (let i = 0; i < values.length; i++) cells[columns[i] ?? ''] = (values[i] ?? '').trim();
        rows.push({ cells, line: number });
        continue;
      }
      const line = text.trim();
      if (!line) continue;
      if (state === 'header') {
        frame.columns = line.split(',').map((name) => name.trim());
        state = 'rows';
      } else if (state === 'rows' && totalsMarkers.some((m) => line.startsWith(m))) {
        totalsColumns = line.split(',').map((name) => name.trim());
        state = 'totals';
      } else if (state === 'totals') {
        const values = splitBacktickRow(line) ?? line.split(',');
        if (values.length !== totalsColumns.length)
          throw invalid(
            `${what}: the totals row has ${values.length} fields where its header has ${totalsColumns.length}`,
          );
        frame.totals = Object.fromEntries(totalsColumns.map((name, i) => [name, (values[i] ?? '').trim()]));
        state = 'done';
      } else {
        const where = state === 'done' ? 'after the totals row' : 'among the rows';
        throw invalid(`${what}: line ${number} is not a bill row (${where}): "${line.slice(0, 40)}"`);
      }
    }
    if (rows.length) yield rows;
  }
  if (state !== 'done')
    throw invalid(`${what} ends without its totals (${totalsMarkers[0]}…); the file is incomplete`, true);
}

const invalid = (message: string, retryable = false) => statementInvalid('wechatpay', message, { retryable });
