import { beijingDateTime } from '../wire/time.js';
import type { CoreContext } from './context.js';
import { FULFILLED_TTL_MS, keys } from './keys.js';

/**
 * An index of the payments paymount fulfilled, per provider and statement day: the other half of
 * a reconcile, which compares a day's statement with it to find payments paymount fulfilled that
 * the provider does not list. One sorted-set member per payment (its transaction id, scored by
 * its payment time), kept {@link FULFILLED_TTL_MS}. See docs/reconcile.md and docs/state.md.
 */

/** The statement day of an instant at a provider: its own rule (UnionPay's 23:00 cut), else the Beijing day. */
export function statementDayOf(core: CoreContext, provider: string, at: Date): string {
  return core.providers.get(provider)?.statementDay?.(at) ?? beijingDateTime(at).slice(0, 10);
}

/** Lists a fulfilled payment under the statement day of its payment time. */
export async function indexFulfilment(
  core: CoreContext,
  provider: string,
  paid: { transactionId: string; paidAt: Date },
): Promise<void> {
  const day = statementDayOf(core, provider, paid.paidAt);
  await core.store.indexAdd(keys.fulfilled(provider, day), paid.transactionId, paid.paidAt.getTime(), FULFILLED_TTL_MS);
}

/** The most fulfilments of one day a reconcile reads (far above any shop's day). */
const MAX_PER_DAY = 5_000_000;

/** The transaction ids paymount fulfilled at `provider` on statement day `day`. */
export function fulfilledOn(core: CoreContext, provider: string, day: string): Promise<string[]> {
  return core.store.indexRange(keys.fulfilled(provider, day), Infinity, MAX_PER_DAY);
}
