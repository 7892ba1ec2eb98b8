import { DAY_MS, keys, loadOrder, type Engine } from './engine.js';
import { RequestError } from './errors.js';
import type { Provider } from './provider.js';
import type { Channel, HookContext } from './types.js';

/**
 * Trade numbers. The host's order id is the provider's trade number on the first checkout. Some
 * retries cannot reuse it — WeChat Pay refuses one `out_trade_no` for H5 and then APP, UnionPay
 * refuses an `orderId` posted twice in a day — so such a checkout gets a new number, `<id>R<n>`,
 * claimed in the store so that every notify, return and query resolves it back to the order.
 */

/** What the store keeps per order and provider: the current trade number and each attempt's record. */
export interface CheckoutEntry {
  current: string;
  attempts: Record<string, Record<string, string>>;
}

const ENTRY_TTL = 30 * DAY_MS;
const ATTEMPT = /^(.+)R([2-9]|[1-9]\d{1,2})$/;

export async function readEntry(engine: Engine, provider: string, orderId: string): Promise<CheckoutEntry | undefined> {
  const text = await engine.store.get(keys.checkout(provider, orderId));
  return text === undefined ? undefined : (JSON.parse(text) as CheckoutEntry);
}

/** Trade numbers of an order at a provider, the latest first (just the order id when none is recorded). */
export function tradeNumbersOf(entry: CheckoutEntry | undefined, orderId: string): string[] {
  if (!entry) return [orderId];
  return [entry.current, ...Object.keys(entry.attempts).filter((n) => n !== entry.current).reverse()];
}

/** Claims `tradeNo` for `orderId`; false when another order holds it. */
async function claim(engine: Engine, provider: string, tradeNo: string, orderId: string): Promise<boolean> {
  const key = keys.trade(provider, tradeNo);
  if (await engine.store.setIfAbsent(key, orderId, 400 * DAY_MS)) return true;
  return (await engine.store.get(key)) === orderId;
}

/** The trade number for this checkout, and the record of the attempt it continues (if any). */
export async function chooseTradeNumber(
  engine: Engine,
  provider: Provider,
  orderId: string,
  channel: Channel,
): Promise<{ tradeNo: string; record?: Record<string, string>; entry?: CheckoutEntry }> {
  const entry = await readEntry(engine, provider.id, orderId);
  const previous = entry?.attempts[entry.current];
  if (entry && previous && (provider.reusesTradeNumber?.(previous, channel) ?? true)) return { tradeNo: entry.current, record: previous, entry };
  const used = new Set(Object.keys(entry?.attempts ?? {}));
  for (let attempt = 1; attempt <= 99; attempt++) {
    const tradeNo = attempt === 1 ? orderId : `${orderId}R${attempt}`;
    if (used.has(tradeNo)) continue;
    const rule = provider.checkOrderId(tradeNo);
    if (rule) {
      throw new RequestError(`order ${orderId} needs a new ${provider.id} trade number for this retry, and "${tradeNo}" breaks the rule (${rule}): use shorter order ids`, 409, 'ORDER_ID_EXHAUSTED');
    }
    if (await claim(engine, provider.id, tradeNo, orderId)) return { tradeNo, entry };
  }
  throw new RequestError(`order ${orderId} has been checked out too many times at ${provider.id}`, 409, 'ORDER_ID_EXHAUSTED');
}

/** Records the attempt a checkout used. */
export async function saveAttempt(engine: Engine, provider: string, orderId: string, entry: CheckoutEntry | undefined, tradeNo: string, record: Record<string, string> | undefined): Promise<void> {
  const next: CheckoutEntry = { current: tradeNo, attempts: { ...(entry?.attempts ?? {}), [tradeNo]: record ?? {} } };
  await engine.store.set(keys.checkout(provider, orderId), JSON.stringify(next), ENTRY_TTL);
}

/**
 * The host's order id behind a provider trade number: the store's claim, else the number itself,
 * else — when the store forgot (a restarted memory store) — the `<id>R<n>` form's base, if
 * `getOrder` knows it and not the number itself. A payment is never unmatchable by design.
 */
export async function orderIdOf(engine: Engine, provider: string, tradeNo: string, ctx: HookContext): Promise<string> {
  const claimed = await engine.store.get(keys.trade(provider, tradeNo));
  if (claimed !== undefined) return claimed;
  const base = ATTEMPT.exec(tradeNo)?.[1];
  if (!base) return tradeNo;
  if (await loadOrder(engine, tradeNo, ctx)) return tradeNo;
  return (await loadOrder(engine, base, ctx)) ? base : tradeNo;
}
