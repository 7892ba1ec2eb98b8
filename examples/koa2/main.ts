import { mainOptions } from '../env.js';
import { start } from './app.js';

// npx tsx examples/koa2/main.ts — Koa 2 with paymount at /pay, against the local sandbox.
// Several instances behind a load balancer, on one Redis and one sandbox: the variables in ../env.ts.
const app = await start(mainOptions());
console.log(`paymount + Koa 2: ${app.url}  (sandbox: ${app.sandbox.url})`);
const stop = () => void app.close().then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
