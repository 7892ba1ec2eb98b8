import type { PaymentStore } from './types.js';

interface Entry {
  value: string;
  expiresAt: number;
}

/** Options of {@link memoryStore}. */
export interface MemoryStoreOptions {
  /** Upper bound on entries; the oldest are evicted first. Default 100,000. */
  maxEntries?: number;
  /** Time source for expiry, in ms. Default `Date.now`. */
  now?: () => number;
}

/**
 * An in-process {@link PaymentStore}: the right choice for one process. Its memory dies with the
 * process, so a restart can repeat an `onPaid` for a notify the provider retries — which is why
 * `onPaid` must be idempotent on `idempotencyKey`. Several instances need a shared store.
 */
export function memoryStore(options: MemoryStoreOptions = {}): PaymentStore {
  const maxEntries = options.maxEntries ?? 100_000;
  const now = options.now ?? Date.now;
  // A Map keeps insertion order, so the first key is the oldest: eviction is O(1).
  const entries = new Map<string, Entry>();

  const live = (key: string): Entry | undefined => {
    const entry = entries.get(key);
    if (entry && entry.expiresAt <= now()) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  };

  const put = (key: string, value: string, ttlMs?: number): void => {
    entries.delete(key);
    entries.set(key, { value, expiresAt: ttlMs === undefined ? Infinity : now() + ttlMs });
    if (entries.size > maxEntries) {
      const oldest = entries.keys().next().value;
      if (oldest !== undefined) entries.delete(oldest);
    }
  };

  return {
    async get(key) {
      return live(key)?.value;
    },
    async set(key, value, ttlMs) {
      put(key, value, ttlMs);
    },
    async setIfAbsent(key, value, ttlMs) {
      if (live(key)) return false;
      put(key, value, ttlMs);
      return true;
    },
    async deleteIfEquals(key, value) {
      if (live(key)?.value === value) entries.delete(key);
    },
  };
}
