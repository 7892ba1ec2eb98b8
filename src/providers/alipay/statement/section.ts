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
  /** Looks up a cell by column name, accepting ASCII or full-width parentheses. */
  cell(row: SectionRow, name: string): string | undefined;
}

/**
 * Streams the data rows of the section whose markers contain `marker` (e.g. `业务明细列表`).
 * `frame` is filled in as reading goes; its `footer` is complete once the generator is done.
 */
export async function* readSection(
  lines: AsyncIterable<Line>,
  marker: string,
  required: readonly string[],
  frame: SectionFrame,
  what: string,
): AsyncGenerator<SectionRow> {
  let state: 'preamble' | 'header' | 'rows' | 'footer' = 'preamble';
  let keys: string[] = [];
  for await (const { text, number } of lines) {
    const line = text.trim();
    if (state === 'footer') {
      if (line) frame.footer.push(line.replace(/,+$/, ''));
      continue;
    }
    if (!line.replace(/,/g, '')) continue;
    if (state === 'preamble') {
      if (!line.startsWith('#')) throw invalid(`${what}: line ${number} comes before the "${marker}" marker`);
      if (line.includes(marker) && !line.includes(`${marker}结束`)) state = 'header';
      else frame.preamble.push(line);
    } else if (state === 'header') {
      frame.columns = splitCsvLine(line).map(cleanCell);
      keys = frame.columns.map(columnKey);
      const missing = required.filter((name) => !keys.includes(columnKey(name)));
      if (missing.length) throw invalid(`${what}: the header row lacks the column(s) ${missing.join(', ')}`);
      state = 'rows';
    } else if (line.startsWith('#')) {
      if (!line.includes(`${marker}结束`))
        throw invalid(`${what}: line ${number} should be the "${marker}结束" marker, found "${line.slice(0, 40)}"`);
      state = 'footer';
    } else {
      const values = splitCsvLine(text);
      if (values.length !== keys.length)
        throw invalid(`${what}: line ${number} has ${values.length} cells where the header has ${keys.length}`);
      const cells: Record<string, string> = {};
      for (let i = 0; i < keys.length; i++) cells[frame.columns[i]!] = cleanCell(values[i]!);
      yield { cells, line: number };
    }
  }
  if (state !== 'footer') {
    const missing = state === 'preamble' ? `the "${marker}" marker` : `the "${marker}结束" marker`;
    throw invalid(`${what} ends without ${missing}`);
  }
}

/** A frame to hand `readSection`, with the by-name lookup bound to the header it will read. */
export function newFrame(): SectionFrame {
  const frame: SectionFrame = {
    columns: [],
    preamble: [],
    footer: [],
    cell(row, name) {
      const direct = row.cells[name];
      if (direct !== undefined) return direct;
      const key = columnKey(name);
      const column = frame.columns.find((c) => columnKey(c) === key);
      return column === undefined ? undefined : row.cells[column];
    },
  };
  return frame;
}

const invalid = (message: string) => statementInvalid('alipay', message);
