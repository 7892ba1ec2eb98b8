import { PaymountError, StoreError } from '../errors/index.js';
import type { PaymentStore } from '../spi/store.js';

/**
 * Wraps the host's store so that every failure is a {@link StoreError} (routes answer 503 and call
 * no hook) and no call waits longer than `timeoutMs`: a store that hangs must not hang a notify
 * until the provider's own timeout. See docs/state.md#when-the-store-is-down.
 */
export function guardedStore(store: PaymentStore, timeoutMs: number): PaymentStore {
  const guard =
    <A extends unknown[], R>(name: string, fn: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> =>
      new Promise<R>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new StoreError(`the store did not answer ${name} within ${timeoutMs} ms (storeTimeoutMs)`)),
          timeoutMs,
        );
        timer.unref();
        fn(...args).then(
          (value) => {
            clearTimeout(timer);
            resolve(value);
          },
          (error: unknown) => {
            clearTimeout(timer);
            reject(
              error instanceof PaymountError
                ? error
                : new StoreError(
                    `the store failed on ${name}: ${error instanceof Error ? error.message : String(error)}`,
                    {
                      cause: error,
                    },
                  ),
            );
          },
        );
      });
  return {
    get: guard('get', (key) => store.get(key)),
    set: guard('set', (key, value, ttlMs, kind) => store.set(key, value, ttlMs, kind)),
    setIfAbsent: guard('setIfAbsent', (key, value, ttlMs) => store.setIfAbsent(key, value, ttlMs)),
    deleteIfEquals: guard('deleteIfEquals', (key, value) => store.deleteIfEquals(key, value)),
    expireIfEquals: guard('expireIfEquals', (key, value, ttlMs) => store.expireIfEquals(key, value, ttlMs)),
    indexAdd: guard('indexAdd', (index, member, score, ttlMs) => store.indexAdd(index, member, score, ttlMs)),
    indexRemove: guard('indexRemove', (index, member) => store.indexRemove(index, member)),
    indexRange: guard('indexRange', (index, maxScore, limit) => store.indexRange(index, maxScore, limit)),
  };
}
