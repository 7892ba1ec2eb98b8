import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { alipay, createPayments, unionpay, wechatpay, type ProviderDefinition } from 'paymount';
import { expressPayments } from 'paymount/express';
import { startSandbox, type Sandbox } from 'paymount/sandbox';
import { createOrderBook, yuan } from './catalog.js';
import { errorPage, homePage, label, orderPage } from './pages.js';

export interface ShopOptions {
  /** Port on 127.0.0.1; 0 picks a free one. */
  port?: number;
  /** Notify retry schedule factor for the sandbox. */
  timeScale?: number;
}

export interface RunningShop {
  url: string;
  sandbox: Sandbox;
  close(): Promise<void>;
}

/** The providers the sandbox simulates, configured from the options it hands out. */
function sandboxProviders(sandbox: Sandbox): Record<string, ProviderDefinition> {
  return {
    alipay: alipay(sandbox.alipay),
    wechatpay: wechatpay(sandbox.wechatpay),
    unionpay: unionpay(sandbox.unionpay),
  };
}

/** The demo's buyer: a random id in a cookie, set when the visitor first orders. */
function buyerOf(req: express.Request): string | undefined {
  const match = /(?:^|;\s*)buyer=([0-9a-f]{32})/.exec(req.headers.cookie ?? '');
  return match?.[1];
}

/**
 * "Open in WeChat" in the demo: a browser that chose it (a cookie) is shown to paymount as
 * WeChat's, its user agent extended with WeChat's `MicroMessenger` token, so that checkout links
 * take the path they take inside WeChat. Only the demo does this; a real shop never rewrites
 * user agents — inside WeChat the real one says so.
 */
const SIMULATED_WECHAT = ' MicroMessenger/8.0.50 (paymount demo)';

function simulatesWechat(req: express.Request): boolean {
  return /(?:^|;\s*)demo_wechat=1(?:;|$)/.test(req.headers.cookie ?? '');
}

/** Inside WeChat: the real browser, or the demo's simulation of it. */
function inWechat(req: express.Request): boolean {
  return /micromessenger/i.test(req.headers['user-agent'] ?? '');
}

/** A field of the shop's own forms; `express.urlencoded` leaves `req.body` untyped, and absent before it runs. */
function formField(req: express.Request, name: string): string {
  const body = req.body as Record<string, unknown> | undefined;
  const value = body?.[name];
  return typeof value === 'string' ? value : '';
}

/**
 * A small mobile shop in Express with paymount mounted at /pay, paying against the local sandbox.
 * Orders live in memory; paymount tells the shop when one is paid, refunded or closed.
 */
export async function startShop(options: ShopOptions = {}): Promise<RunningShop> {
  const sandbox = await startSandbox({ timeScale: options.timeScale ?? 0.01 });
  const book = createOrderBook();
  const app = express();
  const server = app.listen(options.port ?? 0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const providers = sandboxProviders(sandbox);
  const payments = createPayments<express.Request>({
    publicUrl: `${url}/pay`,
    providers,
    getOrder: (id) => book.orders.get(id) ?? null,
    // Only the visitor who placed an order may pay it: anyone else gets a plain "not found".
    authorizeCheckout: (order, ctx) =>
      ctx.request !== undefined && buyerOf(ctx.request) === book.orders.get(order.id)?.buyer,
    onPaid(payment) {
      const order = book.orders.get(payment.orderId);
      if (!order) return;
      Object.assign(order, {
        status: 'paid',
        provider: payment.provider,
        transactionId: payment.transactionId,
        paidAt: payment.paidAt,
      });
      order.log.push(`${label(payment.provider)} confirmed ${yuan(payment.amount)} (${payment.idempotencyKey})`);
    },
    onRefunded(refund) {
      const order = book.orders.get(refund.orderId);
      if (!order || refund.status !== 'success') return;
      order.refunded += refund.amount;
      order.log.push(`refund ${refund.refundId} of ${yuan(refund.amount)} confirmed`);
    },
    onClosed(event) {
      book.orders.get(event.orderId)?.log.push(`${label(event.provider)} reports the payment closed (${event.reason})`);
    },
    // paymount says how the buyer's trip to the cashier ended; a cancel or a declined payment is
    // noted on the order (which stays payable) and announced on the page the buyer lands on.
    resultUrl(order, outcome) {
      const path = `/orders/${encodeURIComponent(order.id)}`;
      const shopOrder = book.orders.get(order.id);
      // A provider that closes the attempt when the payment fails (WeChat Pay's PAYERROR) reports
      // `closed`; the shop's order is still open, so to the buyer it is a failed payment.
      const attempt = outcome === 'closed' ? 'failed' : outcome;
      if (shopOrder?.status !== 'pending' || (attempt !== 'failed' && attempt !== 'cancelled')) return path;
      shopOrder.lastAttempt = attempt;
      shopOrder.log.push(
        attempt === 'cancelled' ? 'payment cancelled at the cashier' : 'payment failed at the cashier',
      );
      return `${path}?outcome=${attempt}`;
    },
  });

  app.use((req, _res, next) => {
    if (simulatesWechat(req) && !inWechat(req))
      req.headers['user-agent'] = `${req.headers['user-agent'] ?? ''}${SIMULATED_WECHAT}`;
    next();
  });
  // paymount first: it reads the notify bodies itself. The shop's own forms are parsed after.
  app.use('/pay', expressPayments(payments));
  app.use(express.urlencoded({ extended: false }));

  const names = Object.keys(providers);
  const orderOf = (id: string) => book.orders.get(id);
  const browser = (req: express.Request) => ({ wechat: inWechat(req), simulated: simulatesWechat(req) });
  app.get('/', (req, res) => void res.type('html').send(homePage(browser(req))));
  // "Open in WeChat" and back: the demo's stand-in for opening the shop's link inside WeChat.
  app.post('/wechat', (req, res) => {
    if (formField(req, 'on') === '1') res.cookie('demo_wechat', '1', { httpOnly: true, sameSite: 'lax' });
    else res.clearCookie('demo_wechat');
    const back = formField(req, 'back');
    res.redirect(303, back.startsWith('/') && !back.startsWith('//') ? back : '/');
  });
  app.post('/orders', (req, res) => {
    const buyer = buyerOf(req) ?? randomBytes(16).toString('hex');
    const order = book.create(formField(req, 'sku'), buyer);
    if (!order) return void res.status(400).send('unknown product');
    res.cookie('buyer', buyer, { httpOnly: true, sameSite: 'lax' });
    res.redirect(303, `/orders/${order.id}`);
  });
  app.get('/orders/:id', (req, res) => {
    const order = orderOf(req.params.id);
    if (!order) return void res.status(404).send('no such order');
    const outcome = req.query.outcome === 'failed' || req.query.outcome === 'cancelled' ? req.query.outcome : undefined;
    // The notice follows the order, not the URL alone: a link someone edited does not make one appear.
    const notice = outcome !== undefined && outcome === order.lastAttempt ? outcome : undefined;
    res.type('html').send(orderPage(order, names, undefined, browser(req), notice));
  });
  app.post('/orders/:id/app', async (req, res, next) => {
    try {
      const order = orderOf(req.params.id);
      if (!order) return void res.status(404).send('no such order');
      const provider = formField(req, 'provider');
      const result = await payments.checkout({ provider, orderId: order.id, channel: 'app', clientIp: req.ip });
      if (result.type !== 'app') throw new Error(`expected app parameters, got ${result.type}`);
      res.type('html').send(orderPage(order, names, { provider, params: result.params }, browser(req)));
    } catch (error) {
      next(error);
    }
  });
  app.post('/orders/:id/app/play', async (req, res, next) => {
    try {
      const order = orderOf(req.params.id);
      if (!order) return void res.status(404).send('no such order');
      const provider = formField(req, 'provider');
      const params = JSON.parse(formField(req, 'params') || '{}') as Record<string, string>;
      const sdk = await fetch(`${sandbox.url}/${provider}/app/pay`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ params, action: formField(req, 'action') === 'pay' ? 'pay' : 'cancel' }),
      });
      const outcome = await sdk.text();
      order.log.push(`${label(provider)} SDK answered ${outcome.slice(0, 120)}`);
      res.type('html').send(orderPage(order, names, { provider, params, outcome }, browser(req)));
    } catch (error) {
      next(error);
    }
  });
  app.post('/orders/:id/refund', async (req, res, next) => {
    try {
      const order = orderOf(req.params.id);
      if (!order?.provider) return void res.status(409).send('the order is not paid');
      const left = order.amount - order.refunded;
      // "half" shows a partial refund; anything else refunds what is left.
      const amount = formField(req, 'part') === 'half' && left > 1 ? Math.floor(left / 2) : left;
      await payments.refund({
        provider: order.provider,
        orderId: order.id,
        refundId: `R${order.id}${order.refunded}`,
        amount,
        reason: 'demo refund',
      });
      res.redirect(303, `/orders/${order.id}`);
    } catch (error) {
      next(error);
    }
  });

  // The shop's own errors (a provider refusing a request, say) as a page, not a stack trace.
  app.use((error: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(500).type('html').send(errorPage(error.message));
  });

  return {
    url,
    sandbox,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await sandbox.close();
    },
  };
}
