/**
 * One instance of the shop (`shop.ts`) as its own process, for the tests of several instances and
 * the soak (`soak.ts`): paymount on `redisStore` (docs/state.md), mounted in Express or Koa,
 * paying against a sandbox the parent process runs. Started as
 *
 *   node --import tsx test/instances/app.ts <config.json>
 *
 * it listens on 127.0.0.1, port 0, and prints `listening http://127.0.0.1:<port>` once it does.
 * `POST /control/slow?ms=` sets how long each `onPaid` takes from then on.
 */
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { redisStore, type RedisClientLike } from '../../src/store/redis.js';
import { parseConfig, type InstanceConfig } from './protocol.js';
import { instanceShop } from './shop.js';

const config: InstanceConfig = parseConfig(readFileSync(process.argv[2]!, 'utf8'));
const name = `${config.name}/${process.pid}`;

// The framework and the Redis client are loaded only when this instance uses them: an instance
// starts every few seconds in the soak, and loading the other ones was a good part of a start.
async function connect(): Promise<RedisClientLike> {
  if (config.client === 'ioredis') {
    const { Redis } = await import('ioredis');
    const client = new Redis(config.redisUrl, { lazyConnect: true });
    await client.connect();
    return client;
  }
  const { createClient } = await import('redis');
  const client = createClient({ url: config.redisUrl });
  await client.connect();
  return client;
}

const store = redisStore({
  client: await connect(),
  logger: { warn: (message) => console.warn(`[${name}] ${message}`) },
});
const shop = instanceShop(config, store, name);

let server: Server;
if (config.framework === 'koa') {
  const [{ default: Koa }, { koaPayments }] = await Promise.all([import('koa'), import('../../adapters/koa.js')]);
  const app = new Koa();
  app.use(async (ctx, next) => {
    if (ctx.method !== 'POST' || ctx.path !== '/control/slow') {
      await next();
      return;
    }
    shop.setSlow(Number(ctx.query.ms ?? 0));
    ctx.body = 'ok';
  });
  for (const [mount, payments] of shop.mounts) app.use(koaPayments(payments, { prefix: mount }));
  server = app.listen(0, '127.0.0.1');
} else {
  const [{ default: express }, { expressPayments }] = await Promise.all([
    import('express'),
    import('../../adapters/express.js'),
  ]);
  const app = express();
  app.post('/control/slow', (req, res) => {
    shop.setSlow(Number(req.query.ms ?? 0));
    res.send('ok');
  });
  for (const [mount, payments] of shop.mounts) app.use(mount, expressPayments(payments));
  server = app.listen(0, '127.0.0.1');
}
server.once('listening', () => {
  console.log(`listening http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});
process.once('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
