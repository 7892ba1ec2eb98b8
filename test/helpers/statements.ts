import { createReadStream, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { StatementRow, StatementTotals } from '../../src/spi/statement.js';

/** The path of a statement fixture. */
export const statementFixture = (name: string) =>
  fileURLToPath(new URL(`../fixtures/statements/${name}`, import.meta.url));

/** A statement fixture's bytes. */
export const fixtureBytes = (name: string) => readFileSync(statementFixture(name));

/** A fixture as a download would arrive: in small chunks, so multi-byte characters straddle them. */
export const fixtureStream = (name: string, chunk = 7) =>
  createReadStream(statementFixture(name), { highWaterMark: chunk }) as AsyncIterable<Uint8Array>;

/** Bytes as a stream of `chunk`-byte pieces. */
export async function* chunked(bytes: Uint8Array, chunk = 4096): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += chunk) yield bytes.subarray(at, at + chunk);
}

/** Every row of a statement. */
export async function rowsOf(rows: AsyncIterable<StatementRow>): Promise<StatementRow[]> {
  const out: StatementRow[] = [];
  for await (const row of rows) out.push(row);
  return out;
}

/** The error a statement read ends with (fails the test when it ends without one). */
export async function failureOf(rows: AsyncIterable<StatementRow>): Promise<Error & Record<string, unknown>> {
  try {
    for await (const _ of rows);
  } catch (error) {
    return error as Error & Record<string, unknown>;
  }
  expect.fail('the statement was read without an error');
}

/** Counts and sums by kind, as a user checks a day. */
export function tally(rows: readonly StatementRow[]): StatementTotals {
  const t: StatementTotals = { payments: 0, paymentAmount: 0, refunds: 0, refundAmount: 0, others: 0, feeMilliFen: 0 };
  for (const r of rows) {
    if (r.kind === 'payment') {
      t.payments += 1;
      t.paymentAmount += r.amount;
    } else if (r.kind === 'refund') {
      t.refunds += 1;
      t.refundAmount += r.amount;
    } else t.others += 1;
    t.feeMilliFen += r.feeMilliFen;
  }
  return t;
}

/** The instant a Beijing wall-clock time names. */
export const bj = (text: string) => new Date(`${text.replace(' ', 'T')}+08:00`);
