import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { CoreContext } from './context.js';
import { keys } from './keys.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `fn` while holding the store lock `name`, so that of several copies of one message, on one
 * instance or several, one runs `fn` at a time. Waits (with backoff) for a concurrent holder up to
 * `lockWaitMs` and resolves `undefined` when the lock could not be had in time.
 *
 * The lock lives `lockTtlMs` and is renewed every third of that while `fn` runs, so a slow
 * `onPaid` keeps it however long it takes, and a holder that dies (a crash, `kill -9`) stops
 * renewing: its lock expires and a retry elsewhere can proceed. `fn` is handed `held()`, which
 * says whether the lock is still its own, for the moment before a step that must not run twice:
 * without asking the store while less than half of `lockTtlMs` has passed since the last claim or
 * renewal that the store confirmed was sent (the lock's time to live started after that instant, so
 * it cannot have run out yet), else by renewing it at once. See docs/state.md#locks.
 */
export async function withLock<T>(
  core: CoreContext,
  name: string,
  fn: (held: () => Promise<boolean>) => Promise<T>,
  waitMs = core.config.lockWaitMs,
): Promise<{ value: T } | undefined> {
  const key = keys.lock(name);
  const token = randomUUID();
  const ttl = core.config.lockTtlMs;
  const deadline = Date.now() + waitMs;
  let delay = 2;
  // When the last claim or renewal the store confirmed was sent (monotonic ms, not the wall clock).
  let confirmedSentAt = performance.now();
  while (!(await core.store.setIfAbsent(key, token, ttl))) {
    if (Date.now() >= deadline) return undefined;
    await sleep(delay);
    delay = Math.min(delay * 2, 100);
    confirmedSentAt = performance.now();
  }
  /** Renews the lock; `true` while it is still this holder's. */
  const renew = async (): Promise<boolean> => {
    const sentAt = performance.now();
    const renewed = await core.store.expireIfEquals(key, token, ttl);
    if (renewed) confirmedSentAt = Math.max(confirmedSentAt, sentAt);
    return renewed;
  };
  const renewal = setInterval(() => {
    renew().then(
      (held) => {
        if (!held) core.logger.error(`lost the lock ${name} while holding it: was the store flushed?`, { lock: name });
      },
      (error: unknown) => core.logger.warn(`could not renew the lock ${name}`, { error: String(error) }),
    );
  }, ttl / 3);
  renewal.unref();
  // Whether the lock is still this holder's: a holder stalled for longer than lockTtlMs (a starved
  // event loop, a paused process) may have lost it to another instance. Within half of lockTtlMs of
  // a confirmed claim or renewal it cannot have expired, and asking the store would cost a round
  // trip per payment; past that, renew now and let the store say. The half leaves room for a store
  // whose clock runs faster than this process's.
  const held = async (): Promise<boolean> => performance.now() - confirmedSentAt < ttl / 2 || renew();
  try {
    return { value: await fn(held) };
  } finally {
    clearInterval(renewal);
    // A release that fails (the store went away) is harmless: the lock expires by itself.
    await core.store.deleteIfEquals(key, token).catch((error: unknown) => {
      core.logger.warn(`could not release the lock ${name}; it expires in ${ttl} ms`, { error: String(error) });
    });
  }
}
