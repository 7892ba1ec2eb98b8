import { randomUUID } from 'node:crypto';
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
 * renews at once and says whether the lock is still its own, for the moment before a step that
 * must not run twice. See docs/state.md.
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
  while (!(await core.store.setIfAbsent(key, token, ttl))) {
    if (Date.now() >= deadline) return undefined;
    await sleep(delay);
    delay = Math.min(delay * 2, 100);
  }
  const renewal = setInterval(() => {
    core.store.expireIfEquals(key, token, ttl).then(
      (held) => {
        if (!held) core.logger.error(`lost the lock ${name} while holding it: was the store flushed?`, { lock: name });
      },
      (error: unknown) => core.logger.warn(`could not renew the lock ${name}`, { error: String(error) }),
    );
  }, ttl / 3);
  renewal.unref();
  // Renews the lock now and says whether it is still this holder's: a holder stalled for longer
  // than lockTtlMs (a starved event loop, a paused process) may have lost it to another instance.
  const held = () => core.store.expireIfEquals(key, token, ttl);
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
