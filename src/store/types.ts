/**
 * What paymount remembers between requests: fulfilled transactions, short locks, checkout records
 * and cached provider keys. A small key-value contract so that Redis (SET NX PX) or a database
 * row can implement it. Values are strings; every entry may expire.
 */
export interface PaymentStore {
  /** The value of `key`, or `undefined` when it is absent or expired. */
  get(key: string): Promise<string | undefined>;
  /** Store `value`; `ttlMs` omitted means "keep until evicted by the store's own policy". */
  set(key: string, value: string, ttlMs?: number): Promise<void>;
  /** Store `value` only when `key` is absent; resolves true when this call stored it (a lock). */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** Delete `key` only while it still holds `value` (releasing one's own lock, never another's). */
  deleteIfEquals(key: string, value: string): Promise<void>;
}
