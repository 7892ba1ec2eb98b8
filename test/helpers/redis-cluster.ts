import { Redis } from 'ioredis';
import { RedisServer } from './redis-server.js';

/**
 * A three-node Redis Cluster of the test's own (primaries only), each node a {@link RedisServer}:
 * the slots are split in three, the nodes meet, and the cluster is ready when every node says
 * `cluster_state:ok`.
 */
export class RedisCluster {
  private constructor(readonly nodes: RedisServer[]) {}

  static async start(size = 3): Promise<RedisCluster> {
    const nodes: RedisServer[] = [];
    try {
      for (let i = 0; i < size; i++) nodes.push(await RedisServer.start({ cluster: true }));
      const admins = nodes.map((node) => new Redis(node.port, '127.0.0.1', { maxRetriesPerRequest: 1 }));
      try {
        const slots = 16384;
        await Promise.all(
          admins.map((admin, i) => {
            const from = Math.floor((slots * i) / size);
            const to = Math.floor((slots * (i + 1)) / size);
            return admin.call('CLUSTER', 'ADDSLOTS', ...Array.from({ length: to - from }, (_, s) => String(from + s)));
          }),
        );
        for (const node of nodes.slice(1)) await admins[0]!.call('CLUSTER', 'MEET', '127.0.0.1', String(node.port));
        const deadline = Date.now() + 20_000;
        for (;;) {
          const states = await Promise.all(admins.map((admin) => admin.call('CLUSTER', 'INFO')));
          if (states.every((info) => String(info).includes('cluster_state:ok'))) break;
          if (Date.now() > deadline) throw new Error(`the cluster did not form:\n${states.join('\n')}`);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      } finally {
        for (const admin of admins) admin.disconnect();
      }
      return new RedisCluster(nodes);
    } catch (error) {
      for (const node of nodes) await node.cleanup();
      throw error;
    }
  }

  async cleanup(): Promise<void> {
    for (const node of this.nodes) await node.cleanup();
  }
}
