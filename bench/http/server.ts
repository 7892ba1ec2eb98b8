/**
 * The HTTP bench's server process (started by bench/http/run.ts, pinned to CPU 0 when taskset
 * exists). One port serves every variant: the first path segment picks the variant's app. It
 * answers the parent over IPC: `reset` (fresh payments, empty store), `begin`/`end` (CPU per
 * request by variant over the window, see slices.ts), `exit`.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { variantApps } from './apps.js';
import { VARIANTS, type ServerConfig, type ServerReply, type ServerRequest, type Variant } from './protocol.js';
import { Slices } from './slices.js';

const config = JSON.parse(process.env.PAYMOUNT_BENCH_SERVER ?? '{}') as ServerConfig;
const slices = new Slices();
const apps = variantApps(config, (variant) => slices.paid(variant));
const known = new Set<string>(VARIANTS);

const server = createServer((req, res) => {
  const url = req.url ?? '/';
  const cut = url.indexOf('/', 1);
  const variant = url.slice(1, cut) as Variant;
  const app = cut > 0 && known.has(variant) ? apps.handlers.get(variant) : undefined;
  if (!app) {
    res.writeHead(404).end();
    return;
  }
  slices.started(variant);
  req.url = url.slice(cut);
  app(req, res);
});

server.listen(0, '127.0.0.1', () => {
  const send = (reply: ServerReply) => process.send!(reply);
  let cpu0 = process.cpuUsage();
  let wall0 = process.hrtime.bigint();
  process.on('message', (message: ServerRequest) => {
    switch (message.cmd) {
      case 'reset':
        apps.reset();
        send({ cmd: 'reset' });
        break;
      case 'begin':
        cpu0 = process.cpuUsage();
        wall0 = process.hrtime.bigint();
        slices.begin();
        send({ cmd: 'begin' });
        break;
      case 'end': {
        const variants = slices.end();
        const cpu = process.cpuUsage(cpu0);
        const wallUs = Number(process.hrtime.bigint() - wall0) / 1e3;
        send({ cmd: 'end', wallUs, cpuUs: cpu.user + cpu.system, variants });
        break;
      }
      case 'exit':
        process.exit(0);
    }
  });
  send({ cmd: 'ready', port: (server.address() as AddressInfo).port });
});
