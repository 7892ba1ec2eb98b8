import { ConfigError } from '../errors/index.js';

/**
 * A connected node-redis client (`redis` v4 or later: `createClient()` or `createCluster()`). Only
 * the members paymount uses are named, so neither library is imported.
 */
export interface NodeRedisClientLike {
  sendCommand(...args: unknown[]): Promise<unknown>;
  readonly isOpen: boolean;
  readonly isReady?: boolean;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
}

/** A connected ioredis client (`new Redis()` or `new Redis.Cluster()`), version 5 or later. */
export interface IoredisClientLike {
  call(command: string, ...args: unknown[]): Promise<unknown>;
  readonly status: string;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
}

/** The clients {@link redisStore} accepts. */
export type RedisClientLike = NodeRedisClientLike | IoredisClientLike;

/** One command: its words, and the key it touches (none for CONFIG). */
export interface Command {
  args: string[];
  key: string | undefined;
}

/**
 * The two client libraries behind one small surface: send a command, know whether the client can
 * send now, will be able to later (reconnecting), or never will (closed).
 */
export interface Connection {
  readonly library: 'node-redis' | 'ioredis';
  /** Sends `command`; `signal`, when given, withdraws it from the client's queue (node-redis). */
  send(command: Command, signal: AbortSignal | undefined): Promise<unknown>;
  state(): 'ready' | 'reconnecting' | 'closed';
  /** Whether the client tells when it becomes ready ('ready' event); cluster clients of node-redis do not. */
  readonly announcesReady: boolean;
  on(event: 'ready' | 'error', listener: (error?: unknown) => void): void;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

/** Tells node-redis from ioredis by shape, so that paymount never imports either at run time. */
export function connect(client: unknown): Connection {
  if (isObject(client) && typeof client.call === 'function' && typeof client.status === 'string')
    return ioredis(client as unknown as IoredisClientLike);
  if (isObject(client) && typeof client.sendCommand === 'function' && 'isOpen' in client)
    return nodeRedis(client as unknown as NodeRedisClientLike);
  throw new ConfigError(
    'redisStore.client',
    'expected a connected node-redis client (redis v4 or later, createClient()) or an ioredis client (new Redis())',
  );
}

function ioredis(client: IoredisClientLike): Connection {
  return {
    library: 'ioredis',
    announcesReady: true,
    // ioredis offers no way to withdraw a queued command; the store sends only when the client is ready
    // (see `state`), so commands do not wait in its offline queue for a server that is down.
    send: ({ args: [name = '', ...rest] }) => client.call(name, ...rest),
    state() {
      // `wait` is a lazyConnect client never connected, `end` one that gave up or was quit: neither
      // comes back by itself (https://github.com/redis/ioredis#connection-events).
      if (client.status === 'ready') return 'ready';
      return client.status === 'end' || client.status === 'wait' ? 'closed' : 'reconnecting';
    },
    on: (event, listener) => void client.on(event, listener),
  };
}

function nodeRedis(client: NodeRedisClientLike): Connection {
  // A cluster client routes by key: sendCommand(firstKey, isReadonly, args, options)
  // (https://github.com/redis/node-redis/blob/master/docs/clustering.md).
  const cluster = 'masters' in client && 'slots' in client;
  return {
    library: 'node-redis',
    announcesReady: !cluster,
    send({ args, key }, signal) {
      // node-redis v5+ reads `abortSignal`, v4 `signal`: an aborted command leaves the offline queue
      // instead of running late, after the caller was told it failed.
      const options = signal ? { abortSignal: signal, signal } : undefined;
      // Never "read-only": a cluster client may then read from a replica, which can lag behind the
      // primary and miss a record that was just written.
      return cluster ? client.sendCommand(key, false, args, options) : client.sendCommand(args, options);
    },
    state() {
      if (!client.isOpen) return 'closed';
      return (client.isReady ?? true) ? 'ready' : 'reconnecting';
    },
    on: (event, listener) => void client.on(event, listener),
  };
}
