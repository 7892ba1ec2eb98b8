import Koa from 'koa';
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import { koaPayments } from 'paymount/koa';
import { exampleShop, type ExampleOptions } from '../common.js';

/** paymount in a Koa app with @koa/router and a body parser, paying against the local sandbox. Koa 2 and 3 alike. */
export async function startWith(K: typeof Koa, options?: ExampleOptions) {
  const shop = await exampleShop(options);
  const router = new Router();
  router.get('/', async (ctx) => {
    ctx.type = 'html';
    ctx.body = await shop.newOrderPage('KO');
  });
  router.get('/orders/:id', async (ctx) => {
    const page = await shop.orderPage(ctx.params.id ?? '');
    if (!page) return void ctx.throw(404, 'no such order');
    ctx.type = 'html';
    ctx.body = page;
  });

  const app = new K();
  app.use(bodyParser()); // a parser before paymount is fine in Koa: it keeps ctx.request.rawBody
  app.use(koaPayments(shop.payments, { prefix: '/pay' }));
  app.use(router.routes()).use(router.allowedMethods());
  // Koa's handler answers its own errors (app.onerror), so the promise it returns is not awaited here.
  const handle = app.callback();
  shop.server.on('request', (req, res) => void handle(req, res));
  return shop;
}

/** Koa 3. */
export const start = (options?: ExampleOptions) => startWith(Koa, options);
