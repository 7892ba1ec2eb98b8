import { PaymountError, RequestError } from '../errors/index.js';
import type { Provider } from '../spi/provider.js';
import type { StatementKind, StatementOptions, StatementRow } from '../spi/statement.js';
import { beijingDateTime, parseBeijing } from '../wire/time.js';
import { resolveOrderId } from './attempts.js';
import { providerOf, type CoreContext } from './context.js';
import type { HookContext } from './hooks.js';
import { keys } from './keys.js';
import type { SettledRecord } from './records.js';

/**
 * `payments.statement`: a provider's statement of one day, read as it downloads, each row with the
 * host's order id mapped back from paymount's records. Trade numbers map through their claims and
 * the derived-number rules (`attempts.ts`); rows that name only a payment's transaction id (UnionPay
 * refunds, fund-flow rows) through the payment's record, or the payment's row earlier in the same
 * statement; a refund through the refund id's claim. See docs/reconcile.md.
 */

/** A trade number paymount derived from an order id it could not use as is (`P` + 22 hex, maybe `R<n>`). */
const DERIVED = /^P[0-9a-f]{22}(R\d+)?$/;
/** Rows whose order ids are looked up at once. */
const BATCH = 64;
/** Trade numbers remembered while reading (refund rows repeat their payment's). */
const CACHE = 10_000;

/**
 * Checks a statement request before anything is downloaded: a provider that offers the kind, and
 * `day` a `YYYY-MM-DD` Beijing day that is over (providers make a day's statement the next morning).
 * Returns the provider's statement reader.
 */
export function checkStatementRequest(
  core: CoreContext,
  provider: Provider,
  day: unknown,
  kind: unknown,
): NonNullable<Provider['statement']> {
  if (!provider.statement || !provider.statementKinds?.length)
    throw new RequestError(`${provider.id} offers no statements`);
  if (!provider.statementKinds.includes(kind as StatementKind)) {
    throw new RequestError(
      `${provider.id} has no ${JSON.stringify(kind)} statement (it has: ${provider.statementKinds.join(', ')})`,
    );
  }
  if (typeof day !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(day) || !parseBeijing(`${day} 00:00:00`))
    throw new RequestError(`day must be a date as YYYY-MM-DD (Beijing time), got ${JSON.stringify(day)}`);
  const today = beijingDateTime(core.clock()).slice(0, 10);
  if (day >= today) {
    throw new RequestError(
      `the statement of ${day} does not exist yet: it is ${today} in Beijing, and a day's statement is made ` +
        'the next morning',
    );
  }
  return provider.statement.bind(provider);
}

/** The rows of one day's statement, with order ids. A day without business has no rows. */
export async function* statement(
  core: CoreContext,
  providerId: string,
  day: string,
  options: StatementOptions = {},
): AsyncGenerator<StatementRow> {
  const provider = providerOf(core, providerId);
  const kind = options.kind ?? 'trades';
  const read = checkStatementRequest(core, provider, day, kind);
  const orderOf = orderResolver(core, provider, { provider: provider.id, route: 'statement' });
  const rows = read(day, kind, { maxBytes: options.maxBytes, compressed: options.compressed });
  let yielded = false;
  try {
    for await (const batch of batches(rows, BATCH)) {
      const orderIds = await Promise.all(batch.map(orderOf));
      for (const [i, row] of batch.entries()) {
        if (orderIds[i] !== undefined) row.orderId = orderIds[i];
        yielded = true;
        yield row;
      }
    }
  } catch (error) {
    // The provider's "no statement: no business that day" is a day without rows.
    if (!yielded && error instanceof PaymountError && error.code === 'STATEMENT_EMPTY') return;
    throw error;
  }
}

/** Maps statement rows to the host's order ids; remembers what it read, for the rows that follow. */
function orderResolver(core: CoreContext, provider: Provider, ctx: HookContext) {
  const byTradeNo = new Map<string, Promise<string | undefined>>();
  // Payment rows seen so far: transaction id → trade number, for refund rows that name only the payment.
  const payments = new Map<string, string>();

  const ofTradeNo = (tradeNo: string) => {
    let found = byTradeNo.get(tradeNo);
    if (!found) {
      if (byTradeNo.size >= CACHE) byTradeNo.clear();
      found = (async () => {
        const claimed = await core.store.get(keys.trade(provider.id, tradeNo));
        if (claimed !== undefined) return claimed;
        // A derived number cannot be turned back into its order id without its claim.
        if (DERIVED.test(tradeNo)) return undefined;
        return resolveOrderId(core, provider, tradeNo, ctx);
      })();
      byTradeNo.set(tradeNo, found);
    }
    return found;
  };

  return async (row: StatementRow): Promise<string | undefined> => {
    if (row.kind === 'payment' && row.tradeNo && row.transactionId) payments.set(row.transactionId, row.tradeNo);
    if (row.tradeNo) return ofTradeNo(row.tradeNo);
    if (row.transactionId) {
      const paid = await core.store.get(keys.paid(provider.id, row.transactionId));
      if (paid !== undefined) return (JSON.parse(paid) as SettledRecord).orderId;
      const tradeNo = payments.get(row.transactionId);
      if (tradeNo) return ofTradeNo(tradeNo);
    }
    if (row.kind === 'refund' && row.refundId) {
      const claim = await core.store.get(keys.refundId(provider.id, row.refundId));
      if (claim !== undefined) return (JSON.parse(claim) as { orderId: string }).orderId;
    }
    return undefined;
  };
}

/** Groups an iterable into arrays of up to `size`, so that each group's lookups run together. */
export async function* batches<T>(source: AsyncIterable<T>, size: number): AsyncGenerator<T[]> {
  let batch: T[] = [];
  for await (const item of source) {
    batch.push(item);
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length) yield batch;
}
