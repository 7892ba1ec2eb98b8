import { start } from './app.js';

// npx tsx examples/express4/main.ts — Express 4 with paymount at /pay, against the local sandbox.
const app = await start({ port: Number(process.env.PORT ?? 3000) });
console.log(`paymount + Express 4: ${app.url}  (sandbox: ${app.sandbox.url})`);
process.once('SIGINT', () => void app.close().then(() => process.exit(0)));
