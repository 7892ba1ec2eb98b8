import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alipay, createPayments, ProviderError, type AlipayOptions, type Payments } from '../src/index.js';
import { startSandbox, type Delivery, type Sandbox } from '../src/sandbox/index.js';
import { createShop, startApp, type RunningApp, type TestShop } from './helpers/shop.js';

/**
 * How Alipay's gateway failures map to paymount's error codes, over real HTTP on 127.0.0.1: the
 * provider talks to the Alipay simulator through a small forwarding server that can alter, replace
 * or replay the simulator's answers on the way back.
 */
let sandbox: Sandbox;
let proxy: GatewayProxy;
beforeAll(async () => {
  sandbox = await startSandbox({ timeScale: 0.0005 });
  proxy = await startProxy(sandbox.alipay.gateway);
});
afterAll(async () => {
  await proxy?.close();
  await sandbox?.close();
});

/** What the proxy sends back instead of the simulator's answer; `undefined` passes it through. */
type Rewrite = (method: string, answer: { status: number; body: string }) => Answer | undefined;
interface Answer {
  status: number;
  body: string;
  type?: string;
}

interface GatewayProxy {
  url: string;
  rewrite: Rewrite | undefined;
  close(): Promise<void>;
}

async function startProxy(target: string): Promise<GatewayProxy> {
  const state: GatewayProxy = { url: '', rewrite: undefined, close: () => Promise.resolve() };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      const search = new URL(req.url!, 'http://proxy').search;
      const upstream = await fetch(`${target}${search}`, {
        method: req.method,
        headers: { 'content-type': req.headers['content-type'] ?? '' },
        body: req.method === 'POST' ? Buffer.concat(chunks) : undefined,
      });
      const answer = { status: upstream.status, body: await upstream.text() };
      const method = new URLSearchParams(search).get('method') ?? '';
      const out: Answer = state.rewrite?.(method, answer) ?? answer;
      res.writeHead(out.status, { 'content-type': out.type ?? upstream.headers.get('content-type') ?? 'text/plain' });
      res.end(out.body);
    });
  });
  server.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/gateway.do`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}

/** Rewrites answers to `method` only, with `edit` over the body text. */
const onAnswersTo =
  (method: string, edit: (body: string) => string): Rewrite =>
  (m, answer) =>
    m === method ? { ...answer, body: edit(answer.body) } : undefined;

/** Changes the first character of the base64 signature: still base64, no longer Alipay's. */
const flipSign = (body: string) => body.replace(/"sign":"(.)/, (_, c: string) => `"sign":"${c === 'A' ? 'B' : 'A'}`);

interface Harness {
  app: RunningApp;
  shop: TestShop;
  payments: Payments;
}

const harnesses: Harness[] = [];
afterAll(async () => {
  await Promise.all(harnesses.map((h) => h.app.close()));
});

async function harness(options: Partial<AlipayOptions> = {}, base: AlipayOptions = sandbox.alipay): Promise<Harness> {
  const app = await startApp('express');
  const shop = createShop();
  const payments = createPayments({
    publicUrl: app.publicUrl,
    providers: { alipay: alipay({ ...base, gateway: proxy.url, ...options }) },
    ...shop.hooks,
    publicCheckout: true,
    logger: false,
  });
  app.use(payments);
  const h = { app, shop, payments };
  harnesses.push(h);
  return h;
}

/**
 * `payments.query` of a router of its own, so that no answer is served from another call's
 * (the core shares one query per trade number and second): each call reaches the gateway.
 */
function query(orderId: string, options: Partial<AlipayOptions> = {}, base: AlipayOptions = sandbox.alipay) {
  const payments = createPayments({
    publicUrl: 'https://shop.example.com/pay',
    providers: { alipay: alipay({ ...base, gateway: proxy.url, ...options }) },
    getOrder: () => undefined,
    onPaid: () => {},
    publicCheckout: true,
    logger: false,
  });
  return payments.query('alipay', orderId);
}

/** Pays an order in the app, through the simulated SDK, and waits until the shop has heard of it. */
async function payInApp(h: Harness, amount: number): Promise<string> {
  const order = h.shop.addOrder({ amount });
  const { params } = (await h.payments.checkout({ provider: 'alipay', orderId: order.id, channel: 'app' })) as {
    params: Record<string, string>;
  };
  const sdk = await fetch(`${sandbox.url}/alipay/app/pay`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ params, action: 'pay' }),
  });
  expect(((await sdk.json()) as { resultStatus: string }).resultStatus).toBe('9000');
  await sandbox.waitForDelivery((d) => d.provider === 'alipay' && d.orderId === order.id && d.acknowledged);
  return order.id;
}

/** The first delivery matching `match` once it has had one attempt, finished or not. */
async function attempted(match: (delivery: Delivery) => boolean): Promise<Delivery> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const found = sandbox.deliveries.find((d) => d.attempts.length > 0 && match(d));
    if (found) return found;
    if (Date.now() > deadline) throw new Error('no delivery attempt matched within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

const QUERY = 'alipay.trade.query';

describe('Alipay gateway failures', () => {
  let h: Harness;
  let paidOrder: string;
  beforeAll(async () => {
    proxy.rewrite = undefined;
    h = await harness();
    paidOrder = await payInApp(h, 1990);
  });

  it('refuses answers that are not signed by Alipay: RESPONSE_SIGNATURE_INVALID, 502, not retryable', async () => {
    const cases: [string, Rewrite][] = [
      ['a tampered signature', onAnswersTo(QUERY, flipSign)],
      ['a tampered amount', onAnswersTo(QUERY, (b) => b.replace(/"total_amount":"[^"]*"/, '"total_amount":"0.01"'))],
      ['a success without sign', onAnswersTo(QUERY, (b) => b.replace(/,"sign":"[^"]*"/, ''))],
    ];
    for (const [what, rewrite] of cases) {
      proxy.rewrite = rewrite;
      const error = await failure(query(paidOrder));
      expect(error, what).toMatchObject({
        code: 'RESPONSE_SIGNATURE_INVALID',
        status: 502,
        retryable: false,
        provider: 'alipay',
        providerCode: undefined,
      });
    }
    expect((await failure(query(paidOrder))).message).toMatch(/carries no signature/);
    // A signed refusal is verified too: a tampered "trade does not exist" is not "not found".
    proxy.rewrite = onAnswersTo(QUERY, flipSign);
    expect(await failure(query('NEVER-SEEN-1'))).toMatchObject({
      code: 'RESPONSE_SIGNATURE_INVALID',
      message: expect.stringMatching(/signature does not verify/),
    });
    // The same answers, untouched, are read.
    proxy.rewrite = undefined;
    expect(await query(paidOrder)).toMatchObject({ status: 'paid', amount: 1990 });
    expect(await query('NEVER-SEEN-1')).toMatchObject({ status: 'not_found' });
  });

  it('reads the copy the signature covers when an answer repeats its node', async () => {
    const node = '"alipay_trade_query_response":';
    const forged = (body: string) => {
      const genuine = body.slice(body.indexOf(node) + node.length, body.indexOf(',"sign":'));
      return genuine.replace(/"total_amount":"[^"]*"/, '"total_amount":"0.01"');
    };
    // JSON.parse keeps the last of two equal keys; the signature covers the first.
    proxy.rewrite = onAnswersTo(QUERY, (b) => b.replace(',"sign":', `,${node}${forged(b)},"sign":`));
    expect(await query(paidOrder)).toMatchObject({ status: 'paid', amount: 1990 });
    proxy.rewrite = onAnswersTo(QUERY, (b) => b.replace(node, `${node}${forged(b)},${node}`));
    expect(await failure(query(paidOrder))).toMatchObject({ code: 'RESPONSE_SIGNATURE_INVALID' });
    proxy.rewrite = undefined;
  });

  it('refuses, in certificate mode, an answer that names another Alipay certificate', async () => {
    proxy.rewrite = onAnswersTo(QUERY, (b) =>
      b.replace(/"alipay_cert_sn":"[^"]*"/, `"alipay_cert_sn":"${'0'.repeat(32)}"`),
    );
    expect(await failure(query('NEVER-SEEN-2', {}, sandbox.alipayCertificates))).toMatchObject({
      code: 'RESPONSE_SIGNATURE_INVALID',
      status: 502,
      retryable: false,
      message: expect.stringMatching(/signed with certificate 0{32} but certificates\.alipayCert is [0-9a-f]{32}/),
    });
    proxy.rewrite = undefined;
    expect(await query('NEVER-SEEN-2', {}, sandbox.alipayCertificates)).toMatchObject({ status: 'not_found' });
  });

  it('reads an answer that is not an Alipay answer as RESPONSE_MALFORMED, not retryable', async () => {
    const answers: Answer[] = [
      { status: 200, body: '<html><body>Service temporarily unavailable</body></html>', type: 'text/html' },
      { status: 200, body: '{"unexpected":{"code":"10000"}}' },
      { status: 200, body: '{"alipay_trade_query_response":{"msg":"Success"},"sign":"AAAA"}' },
      { status: 200, body: '' },
    ];
    for (const answer of answers) {
      proxy.rewrite = (m) => (m === QUERY ? answer : undefined);
      expect(await failure(query(paidOrder)), answer.body).toMatchObject({
        code: 'RESPONSE_MALFORMED',
        status: 502,
        retryable: false,
      });
    }
    proxy.rewrite = undefined;
  });

  it('maps HTTP statuses without an answer, an unreachable gateway and one that never answers', async () => {
    proxy.rewrite = (m) => (m === QUERY ? { status: 502, body: 'Bad Gateway' } : undefined);
    expect(await failure(query(paidOrder))).toMatchObject({
      code: 'PROVIDER_UNAVAILABLE',
      status: 503,
      retryable: true,
      providerCode: 'HTTP_502',
    });
    proxy.rewrite = (m) => (m === QUERY ? { status: 404, body: 'Not Found' } : undefined);
    expect(await failure(query(paidOrder))).toMatchObject({
      code: 'PROVIDER_REJECTED',
      status: 502,
      retryable: false,
      providerCode: 'HTTP_404',
    });
    proxy.rewrite = undefined;

    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => closed.once('listening', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const away = { gateway: `http://127.0.0.1:${port}/gateway.do`, timeoutMs: 2000 };
    expect(await failure(query('ANY-ORDER', away))).toMatchObject({
      code: 'PROVIDER_UNAVAILABLE',
      status: 503,
      retryable: true,
    });

    // A gateway that never answers: timeoutMs bounds the wait.
    const silent = createServer(() => {});
    silent.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => silent.once('listening', resolve));
    try {
      const slow = { gateway: `http://127.0.0.1:${(silent.address() as AddressInfo).port}/gateway.do`, timeoutMs: 300 };
      const started = Date.now();
      expect(await failure(query('ANY-ORDER', slow))).toMatchObject({
        code: 'PROVIDER_UNAVAILABLE',
        retryable: true,
        message: expect.stringMatching(/timed out/),
      });
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it("maps Alipay's business errors to PROVIDER_REJECTED with its codes and the retryable flag", async () => {
    const cases = [
      { code: '20000', subCode: 'isp.unknow-error', retryable: true },
      { code: '40004', subCode: 'ACQ.SYSTEM_ERROR', retryable: true },
      { code: '40004', subCode: 'ACQ.INVALID_PARAMETER', retryable: false },
    ] as const;
    for (const { code, subCode, retryable } of cases) {
      sandbox.simulators.alipay.inject(QUERY, { code, subCode });
      const error = await failure(query(paidOrder));
      expect(error, subCode).toMatchObject({
        code: 'PROVIDER_REJECTED',
        status: 502,
        providerCode: code,
        subCode,
        retryable,
        message: expect.stringContaining(`${QUERY} failed: ${subCode}`),
      });
    }
    expect(await query(paidOrder)).toMatchObject({ status: 'paid' });
  });

  it('refuses a genuine answer about another trade, replayed, as RESPONSE_MISMATCH', async () => {
    let recorded = '';
    proxy.rewrite = onAnswersTo(QUERY, (b) => (recorded = b));
    await query(paidOrder);
    expect(recorded).toContain(`"out_trade_no":"${paidOrder}"`);
    proxy.rewrite = onAnswersTo(QUERY, () => recorded);
    expect(await failure(query('OTHER-TRADE-1'))).toMatchObject({
      code: 'RESPONSE_MISMATCH',
      status: 502,
      retryable: false,
      message: expect.stringContaining(`about trade ${paidOrder}, not OTHER-TRADE-1`),
    });
    proxy.rewrite = undefined;
  });
});

describe('Alipay refund notify whose refund query fails', () => {
  it('answers 503 "fail" while the query does not verify, and reports the refund on a later attempt', async () => {
    // The shop that took the payment hears of a refund made by another instance, and asks the
    // refund query for its amount; the query's answers are tampered with on the way back.
    const taker = await harness();
    const other = await harness({ gateway: sandbox.alipay.gateway });
    proxy.rewrite = undefined;
    const orderId = await payInApp(taker, 1000);
    other.shop.orders.set(orderId, { ...taker.shop.orders.get(orderId)! });
    proxy.rewrite = onAnswersTo('alipay.trade.fastpay.refund.query', flipSign);
    try {
      await other.payments.refund({ provider: 'alipay', orderId, refundId: 'F1', amount: 400 });
      const refused = await attempted((d) => d.orderId === orderId && d.kind === 'refund');
      expect(refused.attempts[0]).toMatchObject({ status: 503, body: 'fail' });
      expect(taker.shop.refunds).toHaveLength(0);
    } finally {
      proxy.rewrite = undefined;
    }
    await sandbox.waitForDelivery((d) => d.orderId === orderId && d.kind === 'refund' && d.acknowledged);
    expect(taker.shop.refunds.map((r) => [r.refundId, r.amount, r.status])).toEqual([['F1', 400, 'success']]);
  });

  it('answers 503 "fail" while the refund query does not show the refund yet', async () => {
    const taker = await harness();
    const other = await harness({ gateway: sandbox.alipay.gateway });
    const orderId = await payInApp(taker, 1000);
    other.shop.orders.set(orderId, { ...taker.shop.orders.get(orderId)! });
    // A genuine, signed "no such refund" answer, given back for the refund the notify is about.
    const REFUND_QUERY = 'alipay.trade.fastpay.refund.query';
    let nothing = '';
    proxy.rewrite = onAnswersTo(REFUND_QUERY, (b) => (nothing = b));
    expect(await taker.payments.queryRefund('alipay', orderId, 'NEVER-MADE')).toMatchObject({ status: 'failed' });
    proxy.rewrite = onAnswersTo(REFUND_QUERY, () => nothing);
    try {
      await other.payments.refund({ provider: 'alipay', orderId, refundId: 'V1', amount: 300 });
      const refused = await attempted((d) => d.orderId === orderId && d.kind === 'refund');
      expect(refused.attempts[0]).toMatchObject({ status: 503, body: 'fail' });
      expect(taker.shop.refunds.filter((r) => r.refundId === 'V1')).toHaveLength(0);
    } finally {
      proxy.rewrite = undefined;
    }
    await sandbox.waitForDelivery((d) => d.orderId === orderId && d.kind === 'refund' && d.acknowledged);
    expect(taker.shop.refunds.filter((r) => r.refundId === 'V1').map((r) => r.amount)).toEqual([300]);
  });
});
