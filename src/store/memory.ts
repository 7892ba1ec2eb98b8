import type { EntryKind, PaymentStore } from '../spi/store.js';

interface Entry {
  value: string;
  expiresAt: number;
  kind: EntryKind;
}

/** Options of {@link memoryStore}. */
export interface MemoryStoreOptions {
  /**
   * Upper bound on cached entries (platform certificates and the like); the oldest cache entry is
   * evicted first. Records are never evicted before they expire. Default 10,000.
   */
  maxCacheEntries?: number;
  /** Time source for expiry, in ms. Default `Date.now`. */
  now?: () => number;
  /** Told once when the cache cap is first reached. Default: a console warning. */
  onCacheFull?: (maxCacheEntries: number) => void;
}

/**
 * An in-process {@link PaymentStore} for development, tests and a single process. Its memory dies
 * with the process and is not shared: after a restart, or with a second instance, a retried notify
 * can call `onPaid` again. For production use `redisStore()` from `paymount/redis`.
 *
 * Records (paid orders, trade numbers, refunds) are kept until they expire, whatever their number;
 * only caches are evicted when `maxCacheEntries` is reached.
 *
 * @example
 * createPayments({ ..., store: memoryStore() }) // the default when no store is given
 */
export function memoryStore(options: MemoryStoreOptions = {}): PaymentStore {
  const maxCache = options.maxCacheEntries ?? 10_000;
  const now = options.now ?? Date.now;
  const onCacheFull =
    options.onCacheFull ??
    ((max: number) => console.warn(`[paymount] memoryStore: ${max} cached entries reached; the oldest are evicted`));
  const entries = new Map<string, Entry>();
  // Insertion order of cache keys, so that eviction of the oldest is O(1).
  const caches = new Set<string>();
  const indexes = new Map<string, { members: Map<string, number>; expiresAt: number }>();
  let warned = false;

  const live = (key: string): Entry | undefined => {
    const entry = entries.get(key);
    if (entry && entry.expiresAt <= now()) {
      remove(key);
      return undefined;
    }
    return entry;
  };

  const remove = (key: string): void => {
    entries.delete(key);
    caches.delete(key);
  };

  const put = (key: string, value: string, ttlMs: number, kind: EntryKind): void => {
    remove(key);
    entries.set(key, { value, expiresAt: now() + ttlMs, kind });
    if (kind !== 'cache') return;
    caches.add(key);
    if (caches.size <= maxCache) return;
    const oldest = caches.values().next().value;
    if (oldest !== undefined) remove(oldest);
    if (!warned) {
      warned = true;
      onCacheFull(maxCache);
    }
  };

  const liveIndex = (name: string) => {
    const index = indexes.get(name);
    if (index && index.expiresAt <= now()) {
      indexes.delete(name);
      return undefined;
    }
    return index;
  };

  return {
    async get(key) {
      return live(key)?.value;
    },
    async set(key, value, ttlMs, kind) {
      put(key, value, ttlMs, kind);
    },
    async setIfAbsent(key, value, ttlMs) {
      if (live(key)) return false;
      put(key, value, ttlMs, 'record');
      return true;
    },
    async deleteIfEquals(key, value) {
      if (live(key)?.value !== value) return false;
      remove(key);
      return true;
    },
    async expireIfEquals(key, value, ttlMs) {
      const entry = live(key);
      if (entry?.value !== value) return false;
      entry.expiresAt = now() + ttlMs;
      return true;
    },
    async indexAdd(name, member, score, ttlMs) {
      const index = liveIndex(name) ?? { members: new Map<string, number>(), expiresAt: 0 };
      index.members.set(member, score);
      index.expiresAt = Math.max(index.expiresAt, now() + ttlMs);
      indexes.set(name, index);
    },
    async indexRemove(name, member) {
      liveIndex(name)?.members.delete(member);
    },
    async indexRange(name, maxScore, limit) {
      const index = liveIndex(name);
      if (!index) return [];
      // Sorting on read keeps writes O(1); the index holds open attempts only, a small set.
      return [...index.members]
        .filter(([, score]) => score <= maxScore)
        .sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1))
        .slice(0, limit)
        .map(([member]) => member);
    },
  };
}
