import { Cluster } from 'ioredis';
import { createCluster } from 'redis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { PaymentStore } from '../src/spi/store.js';
import { redisStore, type RedisClientLike } from '../src/store/redis.js';
import { inspector, ready } from './helpers/redis-clients.js';
import { RedisCluster } from './helpers/redis-cluster.js';
import { describeWithRedis } from './helpers/redis-server.js';
import { storeContract } from './helpers/store-contract.js';

/**
 * The store contract on a real three-node Redis Cluster, through the cluster clients of node-redis
 * and ioredis. A command touching keys of two slots would fail here with CROSSSLOT: the store's
 * commands and scripts each touch one key, so its keys spread over every node.
 */

const clusterClients: {
  name: string;
  open(ports: number[]): Promise<{ client: RedisClientLike; close: () => Promise<void> }>;
}[] = [
  {
    name: 'node-redis createCluster',
    async open(ports) {
      const client = createCluster({ rootNodes: ports.map((port) => ({ url: `redis://127.0.0.1:${port}` })) });
      await client.connect();
      return { client, close: async () => client.destroy() };
    },
  },
  {
    name: 'ioredis Cluster',
    async open(ports) {
      const client = new Cluster(ports.map((port) => ({ host: '127.0.0.1', port })));
      await ready(client);
      return { client, close: async () => client.disconnect() };
    },
  },
];

for (const kind of clusterClients) {
  describeWithRedis(`redisStore over ${kind.name}`, () => {
    let cluster: RedisCluster;
    const closers: (() => Promise<void>)[] = [];
    const open = (count: number): Promise<PaymentStore[]> =>
      Promise.all(
        Array.from({ length: count }, async () => {
          const { client, close } = await kind.open(cluster.nodes.map((node) => node.port));
          closers.push(close);
          return redisStore({ client, prefix: 'shop', logger: false });
        }),
      );

    beforeAll(async () => {
      cluster = await RedisCluster.start();
    }, 60_000);
    afterAll(async () => {
      for (const close of closers) await close().catch(() => undefined);
      await cluster?.cleanup();
    });

    storeContract(open);

    it('spreads its keys over every node, each under the prefix with a time to live', async () => {
      const [store] = (await open(1)) as [PaymentStore];
      for (let i = 0; i < 30; i++) {
        await store.set(`paymount:order:alipay:${i}`, 'paid', 60_000, 'record');
        await store.setIfAbsent(`paymount:lock:${i}`, 'token', 60_000);
        await store.deleteIfEquals(`paymount:lock:${i}`, 'token');
        await store.indexAdd(`paymount:open:${i}`, 'o', i, 60_000);
      }
      for (const node of cluster.nodes) {
        const inspect = await inspector(node.url);
        try {
          // Before this test's own KEYS below: the store lists no keys.
          expect(await inspect.info('commandstats')).not.toMatch(/^cmdstat_(keys|scan):/m);
          const keys = await inspect.keys('*');
          expect(keys.length, `keys on node ${node.port}`).toBeGreaterThan(5);
          for (const key of keys) {
            expect(key.startsWith('shop:paymount:'), key).toBe(true);
            expect(await inspect.pttl(key), key).toBeGreaterThan(0);
          }
        } finally {
          inspect.disconnect();
        }
      }
    });
  });
}
