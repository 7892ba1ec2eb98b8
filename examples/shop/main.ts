import { startShop } from './app.js';

// `npm run demo`: the shop and the sandbox in one process, on 127.0.0.1.
const port = Number(process.env.PORT ?? 3000);
const shop = await startShop({ port }).catch(async (error: unknown) => {
  if (!(error instanceof Error && 'code' in error && error.code === 'EADDRINUSE')) throw error;
  console.log(`port ${port} is busy; using a free one`);
  return startShop({ port: 0 });
});
console.log(
  `\n  paymount demo shop: ${shop.url}\n  provider sandbox:   ${shop.sandbox.url}\n\n` +
    "  Open the shop on this machine's browser (or a phone-sized window). Ctrl-C stops it.\n",
);

const stop = async () => {
  await shop.close();
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
