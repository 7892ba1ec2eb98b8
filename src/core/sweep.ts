import type { Provider } from '../spi/provider.js';
import { apply } from './apply.js';
import { forgetOpenAttempt, parseOpenMember, readEntry, recordOf } from './attempts.js';
import type { CoreContext } from './context.js';
import type { HookContext } from './hooks.js';
import { keys } from './keys.js';
import { loadOrder } from './orders.js';

/** Options of `payments.sweep`. */
export interface SweepOptions {
  /** Only attempts at least this old (ms) are looked at: younger ones still expect their notify. Default 10 min. */
  olderThan?: number;
  /** At most this many attempts per sweep, oldest first. Default 100. */
  limit?: number;
  /** Provider queries in flight at once. Default 4. */
  concurrency?: number;
  /** Queries per second per provider, at most. Default 10. */
  ratePerSecond?: number;
  /**
   * An attempt still unpaid this long after checkout (or after its order's `expiresAt`, when
   * earlier) is closed at the provider where it can be, and no longer swept. Default 24 h.
   */
  closeAfter?: number;
}

/** What one sweep found. */
export interface SweepSummary {
  /** Attempts looked at. */
  checked: number;
  /** Paid at the provider and fulfilled now (the notify was lost). */
  fulfilled: number;
  /** Already fulfilled, or paid twice: nothing new for `onPaid`. */
  alreadyPaid: number;
  /** Closed at the provider (by the buyer, by expiry, or by this sweep). */
  closed: number;
  /** Still waiting for the buyer. */
  pending: number;
  /** Could not be asked (the provider was unreachable): tried again next sweep. */
  failed: number;
}

/**
 * Looks at checkout attempts still open after `olderThan`, asks their provider, and fulfils the
 * paid ones through the same once-only path as a notify: a notify lost for good (the shop was down
 * past the provider's retry schedule) still ends in `onPaid`. Its cost grows with the open
 * attempts, not with all orders: the store keeps an index of them. See docs/after-payment.md.
 */
export async function sweep(core: CoreContext, options: SweepOptions = {}): Promise<SweepSummary> {
  const olderThan = options.olderThan ?? 10 * 60_000;
  const closeAfter = options.closeAfter ?? 24 * 3600_000;
  const now = core.clock().getTime();
  const members = await core.store.indexRange(keys.open, now - olderThan, options.limit ?? 100);
  const summary: SweepSummary = { checked: 0, fulfilled: 0, alreadyPaid: 0, closed: 0, pending: 0, failed: 0 };
  const limiters = new Map<string, RateLimiter>();
  const limiterOf = (provider: string) => {
    let limiter = limiters.get(provider);
    if (!limiter) limiters.set(provider, (limiter = new RateLimiter(options.ratePerSecond ?? 10)));
    return limiter;
  };

  const one = async (member: string): Promise<void> => {
    const open = parseOpenMember(member);
    const provider = open && core.providers.get(open.provider);
    if (!open || !provider) {
      await core.store.indexRemove(keys.open, member);
      return;
    }
    summary.checked++;
    try {
      await limiterOf(provider.id).take();
      const outcome = await sweepAttempt(core, provider, open.orderId, open.tradeNo, now, closeAfter);
      summary[outcome]++;
    } catch (error) {
      summary.failed++;
      core.logger.warn(`sweep: could not settle ${provider.id} ${open.tradeNo} (order ${open.orderId})`, {
        error: String(error),
      });
    }
  };

  const queue = [...members];
  const workers = Array.from({ length: Math.max(1, options.concurrency ?? 4) }, async () => {
    for (let member = queue.shift(); member !== undefined; member = queue.shift()) await one(member);
  });
  await Promise.all(workers);
  return summary;
}

async function sweepAttempt(
  core: CoreContext,
  provider: Provider,
  orderId: string,
  tradeNo: string,
  now: number,
  closeAfter: number,
): Promise<Exclude<keyof SweepSummary, 'checked' | 'failed'>> {
  const ctx: HookContext = { provider: provider.id, route: 'sweep' };
  const entry = await readEntry(core, provider.id, orderId);
  const record = recordOf(entry, tradeNo);
  const state = await provider.query(tradeNo, record);
  const { transactionId, raw, mismatch } = state;
  if ((state.status === 'paid' || state.status === 'refunded') && transactionId && state.amount !== undefined) {
    const paid = { type: 'paid' as const, orderId, tradeNo, transactionId, amount: state.amount, raw, mismatch };
    const verdict = await apply(
      core,
      provider.id,
      { ...paid, paidAt: state.paidAt ?? core.clock(), channel: state.channel, payer: state.payer },
      ctx,
    );
    await forgetOpenAttempt(core, provider.id, orderId, tradeNo);
    return verdict.kind === 'fulfilled' ? 'fulfilled' : 'alreadyPaid';
  }
  if (state.status === 'closed') {
    await apply(
      core,
      provider.id,
      { type: 'closed', orderId, tradeNo, transactionId, reason: 'closed', raw, mismatch },
      ctx,
    );
    await forgetOpenAttempt(core, provider.id, orderId, tradeNo);
    return 'closed';
  }
  const order = await loadOrder(core, orderId, ctx);
  const madeAt = entry?.attempts[tradeNo]?.at ?? now;
  const deadline = Math.min(madeAt + closeAfter, order?.expiresAt?.getTime() ?? Infinity);
  if (order && now < deadline) return 'pending';
  // Unpaid past its time (or the order is gone): make it unpayable, then stop looking at it. A
  // number the provider never saw (a cashier never opened) has nothing to close.
  if (state.status !== 'not_found') await provider.close(tradeNo, record);
  await forgetOpenAttempt(core, provider.id, orderId, tradeNo);
  return 'closed';
}

/** At most `perSecond` takes per second, spaced evenly. */
class RateLimiter {
  private next = 0;
  constructor(private readonly perSecond: number) {}
  async take(): Promise<void> {
    const now = Date.now();
    const at = Math.max(now, this.next);
    this.next = at + 1000 / Math.max(this.perSecond, 0.001);
    if (at > now) await new Promise((resolve) => setTimeout(resolve, at - now));
  }
}
