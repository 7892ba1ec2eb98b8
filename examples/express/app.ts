import express from 'express';
import { expressPayments } from 'paymount/express';
import { exampleShop, type ExampleOptions } from '../common.js';

/** paymount in an Express app, paying against the local sandbox. The same code runs on Express 4 and 5. */
export async function startWith(e: typeof express, options?: ExampleOptions) {
  const shop = await exampleShop(options);
  const app = e();
  app.use('/pay', expressPayments(shop.payments)); // before express.json(): paymount reads the exact notify bytes
  app.use(e.json());
  app.get('/', async (_req, res) => void res.type('html').send(await shop.newOrderPage('EX')));
  app.get('/orders/:id', async (req, res) => {
    const page = await shop.orderPage(req.params.id);
    if (page) res.type('html').send(page);
    else res.status(404).send('no such order');
  });
  shop.server.on('request', app);
  return shop;
}

/** Express 5. */
export const start = (options?: ExampleOptions) => startWith(express, options);
