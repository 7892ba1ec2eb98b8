import { statementInvalid } from '../../../wire/statement/errors.js';
import { formatScaled, yuanToSignedFen } from '../../../wire/statement/decimal.js';
import { parseBeijing } from '../../../wire/time.js';

/** A yuan cell → signed fen; an empty cell is zero, anything else unreadable makes the file invalid. */
export function fenCell(value: string | undefined, column: string, line: number, what: string): number {
  if (value === undefined || value === '') return 0;
  const fen = yuanToSignedFen(value);
  if (fen === undefined)
    throw statementInvalid('alipay', `${what}: line ${line}, ${column} "${value}" is not an amount`);
  return fen;
}

/** A `yyyy-MM-dd HH:mm:ss` cell, Beijing time. */
export function timeCell(value: string | undefined, column: string, line: number, what: string): Date {
  const time = value ? parseBeijing(value) : undefined;
  if (!time) throw statementInvalid('alipay', `${what}: line ${line}, ${column} "${value ?? ''}" is not a time`);
  return time;
}

/** Compares a footer figure with the rows' own sum, naming both when they differ. */
export function checkTotal(label: string, stated: number, counted: number, what: string, scale = 2): void {
  if (stated !== counted)
    throw statementInvalid(
      'alipay',
      `${what}: ${label} is ${scale ? formatScaled(stated, scale) : stated} in the totals line but ` +
        `${scale ? formatScaled(counted, scale) : counted} in the rows`,
    );
}
