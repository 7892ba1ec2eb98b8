import { randomUUID } from 'node:crypto';
import { beforeAll, expect, it } from 'vitest';
import type { PaymentStore } from '../../src/spi/store.js';

/** Stores over one shared state: the same memory store n times, or n Redis clients on one server. */
export type OpenStores = (count: number) => Promise<PaymentStore[]>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * What every PaymentStore must do, as paymount relies on it (src/spi/store.ts). Run inside a
 * `describe` per implementation. Keys are fresh per test, so that tests do not see each other.
 */
export function storeContract(open: OpenStores): void {
  let store: PaymentStore;
  let key: (name: string) => string;
  beforeAll(async () => {
    [store] = (await open(1)) as [PaymentStore];
    const run = randomUUID();
    key = (name) => `paymount:contract:${run}:${name}`;
  });

  it('gets what was set, replaces it, and knows nothing of absent keys', async () => {
    expect(await store.get(key('absent'))).toBeUndefined();
    await store.set(key('a'), 'one', 60_000, 'record');
    expect(await store.get(key('a'))).toBe('one');
    await store.set(key('a'), 'two', 60_000, 'cache');
    expect(await store.get(key('a'))).toBe('two');
    // Values are kept byte for byte: JSON, non-ASCII, the empty string.
    const json = JSON.stringify({ orderId: '订单-42', amount: 1234, note: 'a "quoted" \\ value' });
    await store.set(key('json'), json, 60_000, 'record');
    expect(await store.get(key('json'))).toBe(json);
    await store.set(key('empty'), '', 60_000, 'record');
    expect(await store.get(key('empty'))).toBe('');
  });

  it('forgets an entry when its time to live ends', async () => {
    await store.set(key('short'), 'v', 80, 'record');
    await store.set(key('long'), 'v', 60_000, 'record');
    expect(await store.get(key('short'))).toBe('v');
    await sleep(200);
    expect(await store.get(key('short'))).toBeUndefined();
    expect(await store.get(key('long'))).toBe('v');
    // An expired claim can be claimed again.
    expect(await store.setIfAbsent(key('claim'), 'first', 80)).toBe(true);
    await sleep(200);
    expect(await store.setIfAbsent(key('claim'), 'second', 60_000)).toBe(true);
    expect(await store.get(key('claim'))).toBe('second');
  });

  it('setIfAbsent stores only when the key is absent', async () => {
    expect(await store.setIfAbsent(key('lock'), 'holder', 60_000)).toBe(true);
    expect(await store.setIfAbsent(key('lock'), 'other', 60_000)).toBe(false);
    expect(await store.get(key('lock'))).toBe('holder');
    await store.set(key('plain'), 'x', 60_000, 'record');
    expect(await store.setIfAbsent(key('plain'), 'y', 60_000)).toBe(false);
    expect(await store.get(key('plain'))).toBe('x');
  });

  it('setIfAbsent: of many concurrent callers on several clients, exactly one wins', async () => {
    const stores = await open(4);
    for (let round = 0; round < 5; round++) {
      const contested = key(`race-${round}`);
      const results = await Promise.all(
        Array.from({ length: 60 }, (_, i) => stores[i % stores.length]!.setIfAbsent(contested, `caller-${i}`, 60_000)),
      );
      const winners = results.flatMap((won, i) => (won ? [i] : []));
      expect(winners).toHaveLength(1);
      expect(await store.get(contested)).toBe(`caller-${winners[0]}`);
    }
  });

  it('deleteIfEquals deletes only for the holder', async () => {
    await store.setIfAbsent(key('owned'), 'mine', 60_000);
    expect(await store.deleteIfEquals(key('owned'), 'theirs')).toBe(false);
    expect(await store.get(key('owned'))).toBe('mine');
    expect(await store.deleteIfEquals(key('owned'), 'mine')).toBe(true);
    expect(await store.get(key('owned'))).toBeUndefined();
    expect(await store.deleteIfEquals(key('owned'), 'mine')).toBe(false);
    expect(await store.deleteIfEquals(key('never'), 'mine')).toBe(false);
    // Released, the key can be claimed again.
    expect(await store.setIfAbsent(key('owned'), 'next', 60_000)).toBe(true);
  });

  it('expireIfEquals renews only for the holder', async () => {
    await store.setIfAbsent(key('mine'), 'token', 150);
    await store.setIfAbsent(key('theirs'), 'token', 150);
    expect(await store.expireIfEquals(key('mine'), 'token', 60_000)).toBe(true);
    expect(await store.expireIfEquals(key('theirs'), 'other-token', 60_000)).toBe(false);
    expect(await store.expireIfEquals(key('never'), 'token', 60_000)).toBe(false);
    await sleep(300);
    expect(await store.get(key('mine'))).toBe('token');
    expect(await store.get(key('theirs'))).toBeUndefined();
    // Renewal can also shorten: the holder sets the new time to live, whatever the old one.
    expect(await store.expireIfEquals(key('mine'), 'token', 80)).toBe(true);
    await sleep(200);
    expect(await store.get(key('mine'))).toBeUndefined();
  });

  it('index: add, update, remove, range up to a score, limit, lowest score first', async () => {
    const index = key('index');
    expect(await store.indexRange(index, Infinity, 10)).toEqual([]);
    await store.indexAdd(index, 'c', 30, 60_000);
    await store.indexAdd(index, 'a', 10, 60_000);
    await store.indexAdd(index, 'b', 20, 60_000);
    await store.indexAdd(index, 'd', 40, 60_000);
    expect(await store.indexRange(index, 100, 10)).toEqual(['a', 'b', 'c', 'd']);
    expect(await store.indexRange(index, 30, 10)).toEqual(['a', 'b', 'c']);
    expect(await store.indexRange(index, 9, 10)).toEqual([]);
    expect(await store.indexRange(index, 100, 2)).toEqual(['a', 'b']);
    expect(await store.indexRange(index, 100, 0)).toEqual([]);
    // A score that changes moves the member; a member is listed once.
    await store.indexAdd(index, 'a', 35, 60_000);
    expect(await store.indexRange(index, 100, 10)).toEqual(['b', 'c', 'a', 'd']);
    await store.indexRemove(index, 'c');
    await store.indexRemove(index, 'not-a-member');
    expect(await store.indexRange(index, 100, 10)).toEqual(['b', 'a', 'd']);
    // Scores as paymount uses them: epoch milliseconds, exactly.
    const at = 1_767_225_600_123;
    await store.indexAdd(index, 'e', at, 60_000);
    expect(await store.indexRange(index, at - 1, 10)).toEqual(['b', 'a', 'd']);
    expect(await store.indexRange(index, at, 10)).toEqual(['b', 'a', 'd', 'e']);
    for (const member of ['b', 'a', 'd', 'e']) await store.indexRemove(index, member);
    expect(await store.indexRange(index, Infinity, 10)).toEqual([]);
  });

  it('index: lives at least its latest time to live, never shortened by a shorter one', async () => {
    const index = key('index-ttl');
    await store.indexAdd(index, 'a', 1, 80);
    await sleep(200);
    expect(await store.indexRange(index, Infinity, 10)).toEqual([]);
    await store.indexAdd(index, 'a', 1, 60_000);
    await store.indexAdd(index, 'b', 2, 80);
    await sleep(200);
    expect(await store.indexRange(index, Infinity, 10)).toEqual(['a', 'b']);
  });
}
