import type { CoreContext } from './context.js';
import { CHECKOUT_TTL_MS, keys, RECORD_TTL_MS } from './keys.js';
import { loadOrder } from './orders.js';
import { RequestError } from '../errors/index.js';
import type { Provider } from '../spi/provider.js';
import type { Channel, Order } from '../spi/types.js';
import type { HookContext } from './hooks.js';

/**
 * Trade numbers. The host's order id is the provider's trade number on the first checkout. A
 * retry that the provider would refuse under the same number — WeChat Pay: H5 then APP; UnionPay:
 * an orderId posted twice in a day; any provider: the same number with another amount or subject
 * — gets a new one, `<id>R<n>`, claimed in the store so that every notify, return and query
 * resolves it back to the order.
 */

/** One checkout attempt: what the provider was sent (amount, subject, expiry) and its record. */
interface Attempt {
  fingerprint: string;
  record: Record<string, string>;
}

/** What the store keeps per order and provider. */
export interface CheckoutEntry {
  current: string;
  attempts: Record<string, Attempt>;
}

const MAX_ATTEMPTS = 20;
const ATTEMPT = /^(.+)R([2-9]|1\d|20)$/;

/** The order facts a provider binds to a trade number: a change needs a new number. */
const fingerprintOf = (order: Order) =>
  JSON.stringify([order.amount, order.subject, order.description ?? '', order.expiresAt?.getTime() ?? 0]);

export async function readEntry(
  core: CoreContext,
  provider: string,
  orderId: string,
): Promise<CheckoutEntry | undefined> {
  const text = await core.store.get(keys.checkout(provider, orderId));
  return text === undefined ? undefined : (JSON.parse(text) as CheckoutEntry);
}

/** Trade numbers of an order at a provider, the latest first (just the order id when none is recorded). */
export function tradeNumbersOf(entry: CheckoutEntry | undefined, orderId: string): string[] {
  if (!entry) return [orderId];
  return [
    entry.current,
    ...Object.keys(entry.attempts)
      .filter((n) => n !== entry.current)
      .reverse(),
  ];
}

/** The provider's record of the attempt made under `tradeNo`, if any. */
export const recordOf = (entry: CheckoutEntry | undefined, tradeNo: string) => entry?.attempts[tradeNo]?.record;

/**
 * The trade number for this checkout: an earlier attempt with the same order facts that the
 * provider lets this channel reuse (latest first), else a new number.
 */
export async function chooseTradeNumber(
  core: CoreContext,
  provider: Provider,
  order: Order,
  channel: Channel,
  ctx: HookContext,
): Promise<{ tradeNo: string; record?: Record<string, string>; fingerprint: string }> {
  const entry = await readEntry(core, provider.id, order.id);
  const fingerprint = fingerprintOf(order);
  for (const tradeNo of entry ? tradeNumbersOf(entry, order.id) : []) {
    const attempt = entry!.attempts[tradeNo]!;
    if (attempt.fingerprint === fingerprint && (provider.reusesTradeNumber?.(attempt.record, channel) ?? true)) {
      return { tradeNo, record: attempt.record, fingerprint };
    }
  }
  const used = new Set(Object.keys(entry?.attempts ?? {}));
  for (let n = 1; n <= MAX_ATTEMPTS; n++) {
    const tradeNo = n === 1 ? order.id : `${order.id}R${n}`;
    if (used.has(tradeNo)) continue;
    const rule = provider.checkTradeNo(tradeNo);
    if (rule) {
      throw new RequestError(
        `order ${order.id} needs a new ${provider.id} trade number for this retry, and "${tradeNo}" breaks the rule (${rule}): use shorter order ids`,
        'ORDER_ID_EXHAUSTED',
      );
    }
    // Never a number that is also one of the host's order ids.
    if (n > 1 && (await loadOrder(core, tradeNo, ctx))) continue;
    // Only a fresh claim counts: a number already claimed (by another order, or by this one in a
    // checkout that never got recorded) may have reached the provider.
    if (await core.store.setIfAbsent(keys.trade(provider.id, tradeNo), order.id, RECORD_TTL_MS))
      return { tradeNo, fingerprint };
  }
  throw new RequestError(
    `order ${order.id} was checked out ${MAX_ATTEMPTS} times at ${provider.id}: create a new order (and use authorizeCheckout so that only its buyer can check it out)`,
    'ORDER_ID_EXHAUSTED',
  );
}

/** Records an attempt (merged into what the store holds: callers run under the order's checkout lock). */
export async function saveAttempt(
  core: CoreContext,
  provider: string,
  orderId: string,
  chosen: { tradeNo: string; fingerprint: string },
  record: Record<string, string> | undefined,
): Promise<void> {
  const entry = await readEntry(core, provider, orderId);
  const next: CheckoutEntry = {
    current: chosen.tradeNo,
    attempts: {
      ...(entry?.attempts ?? {}),
      [chosen.tradeNo]: { fingerprint: chosen.fingerprint, record: record ?? {} },
    },
  };
  await core.store.set(keys.checkout(provider, orderId), JSON.stringify(next), CHECKOUT_TTL_MS, 'record');
}

/**
 * The host's order id behind a provider trade number: the store's claim, else the number itself,
 * else — when the store forgot (a restarted memory store) — the `<id>R<n>` form's base, if
 * `getOrder` knows it. `undefined` when both the number and its base are orders: paymount will
 * not guess which one was paid.
 */
export async function resolveOrderId(
  core: CoreContext,
  provider: string,
  tradeNo: string,
  ctx: HookContext,
): Promise<string | undefined> {
  const claimed = await core.store.get(keys.trade(provider, tradeNo));
  if (claimed !== undefined) return claimed;
  const base = ATTEMPT.exec(tradeNo)?.[1];
  if (!base) return tradeNo;
  const [literal, baseOrder] = [await loadOrder(core, tradeNo, ctx), await loadOrder(core, base, ctx)];
  if (literal && baseOrder) return undefined;
  return baseOrder ? base : tradeNo;
}
