import { start } from './app.js';

// npx tsx examples/fetch/main.ts — the fetch handler at /pay on node:http, against the local sandbox.
const app = await start({ port: Number(process.env.PORT ?? 3000) });
console.log(`paymount + fetch: ${app.url}  (sandbox: ${app.sandbox.url})`);
process.once('SIGINT', () => void app.close().then(() => process.exit(0)));
