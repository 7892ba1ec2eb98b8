import { createHash } from 'node:crypto';

/**
 * The store's Lua scripts. Each reads and writes a single key (`KEYS[1]`), so it runs atomically
 * on whichever node holds that key (Redis Cluster, Valkey). Scripts are sent by SHA-1 (`EVALSHA`)
 * and by source only when the server does not know them yet (`NOSCRIPT`), as the Redis manual
 * advises: https://redis.io/docs/latest/develop/interact/programmability/eval-intro/#script-cache
 */
export interface Script {
  readonly source: string;
  readonly sha: string;
}

const script = (source: string): Script => ({ source, sha: createHash('sha1').update(source).digest('hex') });

/** Deletes `KEYS[1]` only while it holds `ARGV[1]`: releasing one's own lock, never another's. */
export const deleteIfEquals = script(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`);

/** Sets the time to live of `KEYS[1]` to `ARGV[2]` ms only while it holds `ARGV[1]`: renewing one's own lock. */
export const expireIfEquals = script(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`);

/**
 * Adds member `ARGV[2]` with score `ARGV[1]` to the sorted set `KEYS[1]` and makes the set live at
 * least `ARGV[3]` ms more, never shortening a longer life. One script rather than `ZADD` then
 * `PEXPIRE`, so that no failure between the two leaves a set without a time to live. (`PEXPIRE … GT`
 * cannot do this: it treats a new set, which has no time to live yet, as living for ever.)
 */
export const indexAdd = script(`
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < tonumber(ARGV[3]) then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
end
return 1
`);
