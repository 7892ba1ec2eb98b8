import { StoreError } from '../errors/index.js';
import { describe } from './redis-health.js';

/** What the store knew when a command failed, to name the likely cause. */
export interface FailureContext {
  /** The command and its key, e.g. `SET paymount:order:alipay:42`. */
  command: string;
  library: string;
  timeoutMs: number;
  /** Why the connection last failed, while it is failing. */
  lastError: string | undefined;
  state: 'ready' | 'reconnecting' | 'closed';
}

const PREFIX = 'redisStore:';

/**
 * Error replies whose cause is worth naming, by their first word
 * (https://redis.io/docs/latest/develop/reference/protocol-spec/#simple-errors).
 */
const REPLY_HINTS: Record<string, string> = {
  OOM: 'Redis reached maxmemory: give it more memory; keep maxmemory-policy noeviction',
  READONLY: 'the client is connected to a replica: point it at the primary',
  NOPERM: 'the Redis user lacks a permission: docs/state.md lists the commands and keys paymount needs',
  NOAUTH: 'the client did not authenticate: give it the password or ACL user',
  WRONGTYPE: 'the key holds data written by something else: give paymount a prefix of its own',
  LOADING: 'Redis is loading its data after a restart: it answers again once loaded',
  BUSY: 'a long-running script blocks Redis',
  MISCONF: 'Redis cannot persist to disk and refuses writes: see its log',
  CLUSTERDOWN: 'the Redis cluster is down or resharding',
  MASTERDOWN: 'the replica lost its primary',
};

/** The first word of a Redis error reply, or undefined when `error` is not an error reply. */
export function replyCode(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  // node-redis replies are ErrorReply (SimpleError, BlobError); ioredis replies are ReplyError.
  let isReply = false;
  type Proto = { constructor?: { name?: unknown } } | null;
  for (
    let proto = Object.getPrototypeOf(error) as Proto;
    proto && proto !== Error.prototype;
    proto = Object.getPrototypeOf(proto) as Proto
  ) {
    const name = proto.constructor?.name;
    if (name === 'ErrorReply' || name === 'ReplyError') isReply = true;
  }
  const word = /^([A-Z]+)(?:\s|$)/.exec(error.message)?.[1];
  return isReply ? (word ?? 'ERR') : undefined;
}

/** The StoreError a failed command rejects with: the store, the command, and the likely cause. */
export function failure(error: unknown, context: FailureContext): StoreError {
  const code = replyCode(error);
  if (code) {
    const hint = REPLY_HINTS[code];
    const message = `${PREFIX} Redis refused ${context.command}: ${describe(error)}${hint ? ` (${hint})` : ''}`;
    return new StoreError(message, { cause: error });
  }
  if (context.state === 'closed') return closed(context, error);
  return new StoreError(`${PREFIX} ${context.command} failed: ${describe(error)} (${unreachable(context)})`, {
    cause: error,
  });
}

/** The StoreError of a command that got no answer within the timeout. */
export function timeout(context: FailureContext): StoreError {
  const cause =
    context.state === 'ready' && !context.lastError
      ? 'Redis is slow or overloaded, or the network to it drops packets'
      : unreachable(context);
  return new StoreError(`${PREFIX} ${context.command} got no answer within ${context.timeoutMs} ms (${cause})`);
}

/** The StoreError of a call made on a client that will not reconnect by itself. */
export function closed(context: FailureContext, cause?: unknown): StoreError {
  const why = context.lastError ? ` after ${context.lastError}` : '';
  return new StoreError(
    `${PREFIX} the ${context.library} client is closed${why}: connect it before use (await client.connect()) ` +
      'and keep it open while paymount runs',
    { cause },
  );
}

function unreachable(context: FailureContext): string {
  const last = context.lastError ? `: ${context.lastError}` : '';
  return `Redis is unreachable${last}; the ${context.library} client is reconnecting`;
}
