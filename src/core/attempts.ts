import { createHash } from 'node:crypto';
import { RequestError } from '../errors/index.js';
import type { Provider } from '../spi/provider.js';
import type { Channel, Order } from '../spi/types.js';
import type { CoreContext } from './context.js';
import type { HookContext } from './hooks.js';
import { CHECKOUT_TTL_MS, keys, RECORD_TTL_MS } from './keys.js';
import { loadOrder } from './orders.js';

/**
 * Trade numbers (docs/architecture.md#trade-numbers). The host's order id is the provider's trade
 * number on the first checkout when it fits the provider's rule; an id that does not (a UUID at
 * UnionPay, a 40-character id at WeChat Pay) gets a derived one, `P` + 22 hex digits of its
 * SHA-256. A retry that the provider would refuse under the same number — WeChat Pay: H5 then APP;
 * UnionPay: an orderId posted twice in a day; any provider: the same number with another amount or
 * subject — gets a new one, `<base>R<n>`. Every number is claimed in the store, and providers echo
 * the host's order id in their passback field, so that every notify, return and query resolves it
 * back to the order, even after the store forgot.
 */

/** One checkout attempt: what the provider was sent (amount, subject, expiry) and its record. */
interface Attempt {
  fingerprint: string;
  record: Record<string, string>;
  /** When the attempt was made (ms): the sweep looks at old open attempts first. */
  at?: number;
}

/** What the store keeps per order and provider. */
export interface CheckoutEntry {
  current: string;
  attempts: Record<string, Attempt>;
}

const MAX_ATTEMPTS = 20;
/** Trade numbers tried when the store has no record of an order (a restarted memory store). */
const RECOVERY_SCAN = 5;
const ATTEMPT = /^(.+)R([2-9]|1\d|20)$/;

/** The order facts a provider binds to a trade number: a change needs a new number. */
const fingerprintOf = (order: Order) =>
  JSON.stringify([order.amount, order.subject, order.description ?? '', order.expiresAt?.getTime() ?? 0]);

/** `P` + 22 hex digits of the id's SHA-256: fits every provider's rule, with room for `R<n>`. */
export function derivedBase(orderId: string): string {
  return `P${createHash('sha256').update(orderId, 'utf8').digest('hex').slice(0, 22)}`;
}

/** The `n`-th trade number of an order at a provider (`n` from 1), or `undefined` when none fits. */
export function tradeNumberFor(provider: Provider, orderId: string, n: number): string | undefined {
  const suffix = n === 1 ? '' : `R${n}`;
  const plain = `${orderId}${suffix}`;
  if (provider.checkTradeNo(plain) === undefined) return plain;
  const derived = `${derivedBase(orderId)}${suffix}`;
  return provider.checkTradeNo(derived) === undefined ? derived : undefined;
}

export async function readEntry(
  core: CoreContext,
  provider: string,
  orderId: string,
): Promise<CheckoutEntry | undefined> {
  const text = await core.store.get(keys.checkout(provider, orderId));
  return text === undefined ? undefined : (JSON.parse(text) as CheckoutEntry);
}

/**
 * Trade numbers of an order at a provider, the latest first. When the store has no record of the
 * order (it never checked out, or a memory store restarted), the first numbers it would have
 * used, so that a payment made before a restart is still found.
 */
export function tradeNumbersOf(provider: Provider, entry: CheckoutEntry | undefined, orderId: string): string[] {
  if (entry) {
    const older = Object.keys(entry.attempts).filter((n) => n !== entry.current);
    return [entry.current, ...older.reverse()];
  }
  const candidates: string[] = [];
  for (let n = 1; n <= RECOVERY_SCAN; n++) {
    const tradeNo = tradeNumberFor(provider, orderId, n);
    if (tradeNo !== undefined) candidates.push(tradeNo);
  }
  return candidates;
}

/** The provider's record of the attempt made under `tradeNo`, if any. */
export const recordOf = (entry: CheckoutEntry | undefined, tradeNo: string) => entry?.attempts[tradeNo]?.record;

/**
 * The trade number for this checkout: an earlier attempt with the same order facts that the
 * provider lets this channel reuse (latest first), else a new number, claimed for this order.
 */
export async function chooseTradeNumber(
  core: CoreContext,
  provider: Provider,
  order: Order,
  channel: Channel,
  ctx: HookContext,
  openid?: string,
): Promise<{ tradeNo: string; record?: Record<string, string>; fingerprint: string }> {
  const entry = await readEntry(core, provider.id, order.id);
  const fingerprint = fingerprintOf(order);
  if (entry) {
    for (const tradeNo of tradeNumbersOf(provider, entry, order.id)) {
      const attempt = entry.attempts[tradeNo];
      if (attempt?.fingerprint !== fingerprint) continue;
      if (provider.reusesTradeNumber?.(attempt.record, channel, openid) ?? true) {
        return { tradeNo, record: attempt.record, fingerprint };
      }
    }
  }
  rateLimit(core, provider.id, order.id, entry);
  const used = new Set(Object.keys(entry?.attempts ?? {}));
  for (let n = 1; n <= MAX_ATTEMPTS; n++) {
    const tradeNo = tradeNumberFor(provider, order.id, n);
    if (tradeNo === undefined) {
      throw new RequestError(
        `order ${order.id} has no ${provider.id} trade number left for attempt ${n}: ${provider.checkTradeNo(order.id) ?? ''}`,
        'ORDER_ID_EXHAUSTED',
      );
    }
    if (used.has(tradeNo)) continue;
    // Never a number that is also one of the host's order ids.
    if (tradeNo !== order.id && (await loadOrder(core, tradeNo, ctx))) continue;
    // Only a fresh claim counts: a number already claimed (by another order, or by this one in a
    // checkout that never got recorded) may have reached the provider.
    if (await core.store.setIfAbsent(keys.trade(provider.id, tradeNo), order.id, RECORD_TTL_MS)) {
      return { tradeNo, fingerprint };
    }
  }
  throw new RequestError(
    `order ${order.id} was checked out ${MAX_ATTEMPTS} times at ${provider.id}: create a new order ` +
      '(and authorize checkout so that only its buyer can check it out)',
    'ORDER_ID_EXHAUSTED',
  );
}

/**
 * At most `newTradeNumbers.max` new numbers per order and provider within `perMs`: a buyer's
 * retries pass, traffic that keeps asking cannot use up the order's numbers. Checked before a
 * number is claimed, so a refused checkout costs nothing.
 */
function rateLimit(core: CoreContext, provider: string, orderId: string, entry: CheckoutEntry | undefined): void {
  const limit = core.config.newTradeNumbers;
  if (!limit || !entry) return;
  const since = core.clock().getTime() - limit.perMs;
  const recent = Object.values(entry.attempts).filter((a) => (a.at ?? 0) > since).length;
  if (recent >= limit.max) {
    throw new RequestError(
      `order ${orderId} got ${recent} new ${provider} payments in the last ${limit.perMs / 1000} s; try again later`,
      'CHECKOUT_TOO_SOON',
    );
  }
}

const openMember = (provider: string, orderId: string, tradeNo: string) => JSON.stringify([provider, orderId, tradeNo]);

/** Reads an entry of the open-attempts index. */
export function parseOpenMember(member: string): { provider: string; orderId: string; tradeNo: string } | undefined {
  try {
    const [provider, orderId, tradeNo] = JSON.parse(member) as unknown[];
    if (typeof provider === 'string' && typeof orderId === 'string' && typeof tradeNo === 'string') {
      return { provider, orderId, tradeNo };
    }
  } catch {
    // an entry written by something else: ignored
  }
  return undefined;
}

/**
 * Records an attempt (merged into what the store holds: callers run under the order's checkout
 * lock) and lists it as open, for the sweep.
 */
export async function saveAttempt(
  core: CoreContext,
  provider: string,
  orderId: string,
  chosen: { tradeNo: string; fingerprint: string },
  record: Record<string, string> | undefined,
): Promise<void> {
  const entry = await readEntry(core, provider, orderId);
  const at = entry?.attempts[chosen.tradeNo]?.at ?? core.clock().getTime();
  const next: CheckoutEntry = {
    current: chosen.tradeNo,
    attempts: {
      ...(entry?.attempts ?? {}),
      [chosen.tradeNo]: { fingerprint: chosen.fingerprint, record: record ?? {}, at },
    },
  };
  await core.store.set(keys.checkout(provider, orderId), JSON.stringify(next), CHECKOUT_TTL_MS, 'record');
  await core.store.indexAdd(keys.open, openMember(provider, orderId, chosen.tradeNo), at, CHECKOUT_TTL_MS);
}

/**
 * Forgets an attempt whose provider call failed before reaching the provider (connection refused):
 * its number was never used, so it is released for the next checkout.
 */
export async function releaseAttempt(
  core: CoreContext,
  provider: string,
  orderId: string,
  tradeNo: string,
): Promise<void> {
  const key = keys.checkout(provider, orderId);
  const text = await core.store.get(key);
  const entry = text === undefined ? undefined : (JSON.parse(text) as CheckoutEntry);
  if (text !== undefined && entry?.attempts[tradeNo]) {
    const { [tradeNo]: _released, ...attempts } = entry.attempts;
    const current = Object.keys(attempts).at(-1);
    if (current === undefined) await core.store.deleteIfEquals(key, text);
    else {
      const next: CheckoutEntry = { current, attempts };
      await core.store.set(key, JSON.stringify(next), CHECKOUT_TTL_MS, 'record');
    }
  }
  await core.store.indexRemove(keys.open, openMember(provider, orderId, tradeNo));
  await core.store.deleteIfEquals(keys.trade(provider, tradeNo), orderId);
}

/** Takes an order's attempts at a provider off the open index: it is settled or closed there. */
export async function forgetOpenAttempts(core: CoreContext, provider: string, orderId: string): Promise<void> {
  const entry = await readEntry(core, provider, orderId);
  for (const tradeNo of Object.keys(entry?.attempts ?? {})) {
    await core.store.indexRemove(keys.open, openMember(provider, orderId, tradeNo));
  }
}

/** Takes one attempt off the open index. */
export async function forgetOpenAttempt(core: CoreContext, provider: string, orderId: string, tradeNo: string) {
  await core.store.indexRemove(keys.open, openMember(provider, orderId, tradeNo));
}

/**
 * The host's order id behind a provider trade number: the store's claim; else the order id the
 * provider echoed in its (signed) passback field, when that order could have used this number;
 * else the number itself, or its `<base>R<n>` base if `getOrder` knows it. `undefined` when both
 * the number and its base are orders: paymount will not guess which one was paid.
 */
export async function resolveOrderId(
  core: CoreContext,
  provider: Provider,
  tradeNo: string,
  ctx: HookContext,
  echoed?: string,
): Promise<string | undefined> {
  const claimed = await core.store.get(keys.trade(provider.id, tradeNo));
  if (claimed !== undefined) return claimed;
  if (echoed !== undefined && couldUse(provider, echoed, tradeNo)) return echoed;
  const base = ATTEMPT.exec(tradeNo)?.[1];
  if (!base) return tradeNo;
  const [literal, baseOrder] = [await loadOrder(core, tradeNo, ctx), await loadOrder(core, base, ctx)];
  if (literal && baseOrder) return undefined;
  return baseOrder ? base : tradeNo;
}

/**
 * True when `tradeNo` is one of the numbers `orderId` can be checked out under. Attempt `n` ends in
 * `R<n>` (n ≥ 2) and the first in neither, so only two attempts can match: the one its suffix
 * names, and the first (for an order id that itself ends in `R<n>`). Not every attempt is built
 * (each may hash the order id) on a notify whose order the store has forgotten.
 */
export function couldUse(provider: Provider, orderId: string, tradeNo: string): boolean {
  const suffix = ATTEMPT.exec(tradeNo)?.[2];
  if (suffix !== undefined && tradeNumberFor(provider, orderId, Number(suffix)) === tradeNo) return true;
  return tradeNumberFor(provider, orderId, 1) === tradeNo;
}
