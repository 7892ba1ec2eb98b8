import { Redis } from 'ioredis';
import { Redis as Redis5 } from 'ioredis5';
import { createClient } from 'redis';
import { createClient as createClient4 } from 'redis4';
import type { RedisClientLike } from '../../src/store/redis.js';

/**
 * Real clients of the libraries `paymount/redis` supports, connected to a test server. None gets an
 * `error` listener of its own: the store must keep an outage from crashing the process by itself.
 */
export interface ClientKind {
  name: string;
  /** A connected client, and how to close it. */
  open(url: string): Promise<{ client: RedisClientLike; close: () => Promise<void> }>;
}

export const nodeRedis: ClientKind = {
  name: 'node-redis',
  async open(url) {
    const client = createClient({ url });
    await client.connect();
    return { client, close: async () => client.destroy() };
  },
};

export const nodeRedis4: ClientKind = {
  name: 'node-redis v4',
  async open(url) {
    const client = createClient4({ url });
    await client.connect();
    return {
      client,
      close: async () => {
        if (client.isOpen) await client.disconnect();
      },
    };
  },
};

/** Resolves once an ioredis client (or Cluster) is connected; rejects on its first error before that. */
export function ready(client: {
  once(event: string, listener: (...args: unknown[]) => void): unknown;
  off(event: string, listener: (...args: unknown[]) => void): unknown;
}): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const failed = (error: unknown) => reject(error);
    client.once('error', failed);
    client.once('ready', () => {
      client.off('error', failed);
      resolve();
    });
  });
}

/** An ioredis client of either major version (5 or later), opened and closed the same way. */
function ioredisKind(name: string, connect: (url: string) => Redis | Redis5): ClientKind {
  return {
    name,
    async open(url) {
      const client = connect(url);
      await ready(client);
      return {
        client,
        close: async () => {
          if (client.status === 'end') return;
          // A client between two reconnection attempts ends without an 'end' event: wait at most a second.
          const ended = new Promise((resolve) => {
            client.once('end', resolve);
            setTimeout(resolve, 1000).unref();
          });
          client.disconnect();
          await ended;
        },
      };
    },
  };
}

export const ioredis = ioredisKind('ioredis', (url) => new Redis(url));
export const ioredis5 = ioredisKind('ioredis v5', (url) => new Redis5(url));

export const clientKinds = [nodeRedis, nodeRedis4, ioredis, ioredis5];

/** A client for the test's own look at the server (commandstats, keys, TTLs): never the store's. */
export async function inspector(url: string): Promise<Redis> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}
