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
  const ascii = isAscii(bytes);
  const record: Record<string, string> = {};
  for (const field of fields) {
    const start = Math.min(field.offset, bytes.length);
    const slice = bytes.subarray(start, Math.min(field.offset + field.width, bytes.length));
    const text = ascii ? slice.toString('latin1') : decodeGbkField(slice);
    if (text === undefined)
      throw statementInvalid('unionpay', `${what}: line ${line}, field ${field.name} is not valid GBK text`);
    record[field.name] = text.trim();
  }
  return record;
}

function isAscii(bytes: Buffer): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! > 0x7f) return false;
  return true;
}

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
