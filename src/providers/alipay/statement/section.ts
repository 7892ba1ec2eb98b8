import type { Line } from '../../../wire/statement/lines.js';
import { statementInvalid } from '../../../wire/statement/errors.js';
import { cleanCell, columnKey, splitCsvLine } from './csv.js';

/**
 * Every Alipay statement CSV has the same frame: `#` comment lines, a start marker line
 * (`#----…业务明细列表----…`), one header row, the data rows, an end marker (`…列表结束…`), and `#`
 * footer lines with the totals. This reads that frame, streaming the data rows, and leaves the
 * comment and footer lines (a handful) for the caller.
 */

/** A data row: the cells by column name (as the header writes it), and the line it came from. */
export interface SectionRow {
  cells: Record<string, string>;
  line: number;
}

/** What the frame held around the rows; filled as the rows are read. */
export interface SectionFrame {
  /** The header's column names, cleaned. */
  columns: string[];
  /** `#` lines before the start marker. */
  preamble: string[];
  /** Lines after the end marker, trailing padding commas removed. */
  footer: string[];
  /**
   * The header's name for a column, found by name with ASCII or full-width parentheses; `undefined`
   * when the file has no such column. Look a column up once, then read `row.cells[column]`.
   */
  column(name: string): string | undefined;
}

const BLANK = /^[,\s]*$/;

/**
 * Streams the data rows of the section whose markers contain `marker` (e.g. `业务明细列表`), in
 * batches as the lines arrive. `frame` is filled in as reading goes; its `footer` is complete once
 * the generator is done.
 */
export async function* readSection(
  lines: AsyncIterable<Line[]>,
  marker: string,
  required: readonly string[],
  frame: SectionFrame,
  what: string,
): AsyncGenerator<SectionRow[]> {
  let state: 'preamble' | 'header' | 'rows' | 'footer' = 'preamble';
  const end = `${marker}结束`;
  for await (const batch of lines) {
    const rows: SectionRow[] = [];
    for (const { text, number } of batch) {
      if (state === 'rows' && text.charCodeAt(0) !== 35 /* # */ && !BLANK.test(text)) {
        const values = splitCsvLine(text);
        const columns = frame.columns;
        if (values.length !== columns.length)
          throw invalid(`${what}: line ${number} has ${values.length} cells where the header has ${columns.length}`);
        const cells: Record<string, string> = {};
        // values and columns have the same length (checked above).
        for (let i = 0; i < columns.length; i++) cells[columns[i] ?? ''] = cleanCell(values[i] ?? '');
        rows.push({ cells, line: number });
        continue;
      }
      const line = text.trim();
      if (state === 'footer') {
        if (line) frame.footer.push(line.replace(/,+$/, ''));
      } else if (BLANK.test(line)) continue;
      else if (state === 'preamble') {
        if (!line.startsWith('#')) throw invalid(`${what}: line ${number} comes before the "${marker}" marker`);
        if (line.includes(marker) && !line.includes(end)) state = 'header';
        else frame.preamble.push(line);
      } else if (state === 'header') {
        frame.columns = splitCsvLine(line).map(cleanCell);
        const missing = required.filter((name) => frame.column(name) === undefined);
        if (missing.length) throw invalid(`${what}: the header row lacks the column(s) ${missing.join(', ')}`);
        state = 'rows';
      } else {
        if (!line.includes(end))
          throw invalid(`${what}: line ${number} should be the "${end}" marker, found "${line.slice(0, 40)}"`);
        state = 'footer';
      }
    }
    if (rows.length) yield rows;
  }
  if (state !== 'footer') {
    const missing = state === 'preamble' ? `the "${marker}" marker` : `the "${end}" marker`;
    throw invalid(`${what} ends without ${missing}`);
  }
}

/** A frame to hand `readSection`, with the by-name lookup bound to the header it will read. */
export function newFrame(): SectionFrame {
  const frame: SectionFrame = {
    columns: [],
    preamble: [],
    footer: [],
    column(name) {
      const key = columnKey(name);
      return frame.columns.find((c) => columnKey(c) === key);
    },
  };
  return frame;
}

const invalid = (message: string) => statementInvalid('alipay', message);
