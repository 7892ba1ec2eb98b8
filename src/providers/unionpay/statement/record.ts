import { statementInvalid } from '../../../wire/statement/errors.js';
import { decodeGbkField } from '../../../wire/statement/text.js';
import type { Field } from './layout.js';

/**
 * Slices one fixed-width record into its fields by byte offset, then decodes each as GBK (a field
 * such as 二级商户简称 holds Chinese at two bytes a character; slicing characters would shift every
 * later field). Text is left-aligned and space-padded; numbers are zero-padded.
 */
export function sliceRecord(
  bytes: Buffer,
  fields: readonly Field[],
  line: number,
  what: string,
): Record<string, string> {
  const record: Record<string, string> = {};
  // Most records are ASCII throughout: one string for the record, sliced by offset, is far cheaper
  // than 42 byte slices each decoded on its own.
  const latin1 = bytes.toString('latin1');
  if (!NON_ASCII.test(latin1)) {
    for (const field of fields) record[field.name] = latin1.slice(field.offset, field.offset + field.width).trim();
    return record;
  }
  for (const field of fields) {
    const text = decodeGbkField(bytes.subarray(field.offset, field.offset + field.width));
    if (text === undefined)
      throw statementInvalid('unionpay', `${what}: line ${line}, field ${field.name} is not valid GBK text`);
    record[field.name] = text.trim();
  }
  return record;
}

const NON_ASCII = /[\x80-\xff]/;

/** A zero-padded fen amount (`000000003580` → 3580). */
export function fenField(text: string, name: string, line: number, what: string): number {
  if (!/^\d{1,15}$/.test(text))
    throw statementInvalid('unionpay', `${what}: line ${line}, ${name} "${text}" is not an amount`);
  return Number(text);
}

/**
 * A signed amount written as a `D`/`C` flag and zero-padded fen (`D000000000021`). `D` is a debit
 * to the merchant (a fee charged) and reads positive; `C` a credit (a fee returned) reads negative.
 */
export function debitField(text: string, name: string, line: number, what: string): number {
  const m = /^([DC])(\d{1,14})$/.exec(text);
  if (!m) {
    if (text === '' || /^0+$/.test(text)) return 0;
    throw statementInvalid('unionpay', `${what}: line ${line}, ${name} "${text}" is not a D/C amount`);
  }
  const fen = Number(m[2]);
  return m[1] === 'C' && fen ? -fen : fen;
}
