import { formatScaled, parseScaled } from '../../../wire/statement/decimal.js';
import { statementInvalid } from '../../../wire/statement/errors.js';
import { parseBeijing } from '../../../wire/time.js';
import { columnKey, type BillRow } from './table.js';

/** Cell access by column name for one bill, whatever parentheses its header uses. */
export class Cells {
  private readonly byKey = new Map<string, string>();
  /** Names already looked up → the header's spelling (or `undefined`): every row asks the same names. */
  private readonly resolved = new Map<string, string | undefined>();
  constructor(
    columns: readonly string[],
    private readonly what: string,
  ) {
    for (const column of columns) this.byKey.set(columnKey(column), column);
  }

  private column(name: string): string | undefined {
    if (this.resolved.has(name)) return this.resolved.get(name);
    const column = this.byKey.get(columnKey(name));
    this.resolved.set(name, column);
    return column;
  }

  /** True when the bill has this column. */
  has(name: string): boolean {
    return this.column(name) !== undefined;
  }

  /** The cell, or `undefined` when the bill has no such column. */
  get(row: BillRow, name: string): string | undefined {
    const column = this.column(name);
    return column === undefined ? undefined : row.cells[column];
  }

  /** A yuan cell in units of 10^-scale yuan (2 = fen, 5 = thousandths of a fen); empty is zero. */
  money(row: BillRow, name: string, scale = 2): number {
    const text = this.get(row, name) ?? '';
    if (text === '') return 0;
    const value = parseScaled(text, scale);
    if (value === undefined)
      throw statementInvalid('wechatpay', `${this.what}: line ${row.line}, ${name} "${text}" is not an amount`);
    return value;
  }

  /**
   * A `yyyy-MM-dd HH:mm:ss` cell in Beijing time. Very old bills wrote full-width colons and no
   * space (`2014-11-1016：33：45`); both are read.
   */
  time(row: BillRow, name: string): Date {
    const text = (this.get(row, name) ?? '').replace(/：/g, ':').replace(/^(\d{4}-\d{2}-\d{2})(\d{2}:)/, '$1 $2');
    const time = parseBeijing(text);
    if (!time) throw statementInvalid('wechatpay', `${this.what}: line ${row.line}, ${name} "${text}" is not a time`);
    return time;
  }
}

/** A totals figure against the rows' own sum; a difference is an error naming both. */
export function checkFigure(what: string, label: string, stated: string, counted: number, scale: number): void {
  const value = scale === 0 ? (/^\d+$/.test(stated) ? Number(stated) : undefined) : parseScaled(stated, scale);
  if (value === undefined)
    throw statementInvalid('wechatpay', `${what}: the totals row's ${label} "${stated}" is not a number`);
  if (value !== counted)
    throw statementInvalid(
      'wechatpay',
      `${what}: ${label} is ${scale ? formatScaled(value, scale) : value} in the totals row but ` +
        `${scale ? formatScaled(counted, scale) : counted} in the rows`,
    );
}
