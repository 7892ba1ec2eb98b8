/**
 * What paymount remembers between requests, as a small key-value contract that Redis (`SET NX PX`,
 * a compare-and-delete script, a sorted set) or a database table can implement. Values are
 * strings; every entry has a time to live. Every operation touches exactly one key, so a store
 * may shard keys freely (Redis Cluster). See docs/state.md for what is stored and for how long.
 */

/**
 * What kind of entry a `set` writes. A `record` must outlive the process and is never dropped
 * before it expires (a forgotten payment record means a second `onPaid`); a `cache` can be
 * fetched again from the provider, so a bounded store may evict it early.
 */
export type EntryKind = 'record' | 'cache';

/**
 * The store paymount keeps its state in. `memoryStore()` (one process) and `redisStore()` (from
 * `paymount/redis`: several instances, restarts) implement it; so can your own.
 *
 * A store that cannot answer (a network store that is down or slow) rejects with a `StoreError`,
 * or any error: paymount then answers 503 and calls no hook.
 */
export interface PaymentStore {
  /** The value of `key`, or `undefined` when it is absent or expired. */
  get(key: string): Promise<string | undefined>;
  /** Stores `value` for `ttlMs` milliseconds, replacing any previous value. */
  set(key: string, value: string, ttlMs: number, kind: EntryKind): Promise<void>;
  /**
   * Stores `value` for `ttlMs` only when `key` is absent; resolves `true` when this call stored it.
   * Used for locks and claims; a claimed entry is a record (never evicted before it expires).
   */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** Deletes `key` only while it still holds `value` (releasing one's own lock); `true` when deleted. */
  deleteIfEquals(key: string, value: string): Promise<boolean>;
  /** Sets a new time to live on `key` only while it holds `value` (renewing one's own lock); `true` when renewed. */
  expireIfEquals(key: string, value: string, ttlMs: number): Promise<boolean>;
  /**
   * Adds `member` to the sorted index `index` with `score` (replacing its score when present).
   * The index lives at least `ttlMs` after this call.
   */
  indexAdd(index: string, member: string, score: number, ttlMs: number): Promise<void>;
  /** Removes `member` from `index` (no-op when absent). */
  indexRemove(index: string, member: string): Promise<void>;
  /** Up to `limit` members of `index` whose score is at most `maxScore`, lowest score first. */
  indexRange(index: string, maxScore: number, limit: number): Promise<string[]>;
}
