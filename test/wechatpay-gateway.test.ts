import { createHash, createPrivateKey, randomUUID, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, ProviderError } from '../src/errors/index.js';
import { createPayments, memoryStore, wechatpay, type Payments, type WechatpayOptions } from '../src/index.js';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import type { WechatpaySimulator } from '../src/sandbox/wechatpay/index.js';
import { createShop, startApp, type RunningApp, type TestShop } from './helpers/shop.js';

/**
 * The gateway pipeline's error mapping for WeChat Pay, v3 and v2, over real HTTP: the sandbox for
 * what it can answer (business errors by `inject`), a tampering proxy in front of it for what a
 * network or a forger does to its answers, and a small signing gateway of the test's own for
 * verified answers about someone else.
 */

let sandbox: Sandbox;
const apps: RunningApp[] = [];
const servers: Server[] = [];

const simulator = (): WechatpaySimulator =>
  (sandbox.simulators as unknown as { wechatpay: WechatpaySimulator }).wechatpay;

/** An upstream answer, as the proxy hands it to a rewrite. */
interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

type Rewrite = (path: string, answer: Answer) => Answer | undefined;

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

async function listen(server: Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/**
 * A proxy in front of the sandbox: requests pass unchanged (same path, so the signed v3 URL still
 * matches); the answer goes through `rewrite`, set per test, when it returns something.
 */
async function startProxy(): Promise<{ gateway: string; rewrite: Rewrite | undefined; paths: string[] }> {
  const proxy = { gateway: '', rewrite: undefined as Rewrite | undefined, paths: [] as string[] };
  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers))
      if (typeof value === 'string' && name !== 'host' && name !== 'content-length') headers[name] = value;
    const upstream = await fetch(`${sandbox.url}${req.url}`, {
      method: req.method,
      headers,
      body: req.method === 'POST' ? new Uint8Array(body) : undefined,
    });
    const answer: Answer = { status: upstream.status, headers: {}, body: await upstream.text() };
    upstream.headers.forEach((value, name) => {
      if (name === 'content-type' || name === 'request-id' || name.startsWith('wechatpay-'))
        answer.headers[name] = value;
    });
    const path = new URL(req.url!, 'http://proxy').pathname.replace(/^\/wechatpay/, '');
    proxy.paths.push(path);
    const sent = proxy.rewrite?.(path, answer) ?? answer;
    res.writeHead(sent.status, sent.headers).end(sent.body);
  });
  proxy.gateway = `${await listen(server)}/wechatpay`;
  return proxy;
}

beforeAll(async () => {
  sandbox = await startSandbox({ timeScale: 0.0005 });
});
afterAll(async () => {
  await sandbox.close();
  await Promise.all(apps.map((a) => a.close()));
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
});

let seq = 0;
const orderId = () => `GW${Date.now().toString(36)}${String(++seq).padStart(4, '0')}`;

function setup(options: WechatpayOptions): { shop: TestShop; payments: Payments } {
  const shop = createShop();
  const payments = createPayments({
    publicUrl: 'https://shop.example.com/pay',
    providers: { wechatpay: wechatpay(options) },
    ...shop.hooks,
    logger: false,
  });
  return { shop, payments };
}

/** Payments mounted on a running app, so that the sandbox's notifies reach them. */
async function mounted(options: WechatpayOptions): Promise<{ shop: TestShop; payments: Payments }> {
  const app = await startApp('express');
  apps.push(app);
  const shop = createShop();
  const payments = createPayments({
    publicUrl: app.publicUrl,
    providers: { wechatpay: wechatpay(options) },
    ...shop.hooks,
    logger: false,
  });
  app.use(payments);
  return { shop, payments };
}

/** An APP checkout of a fresh order, paid in the sandbox's SDK stand-in, its notify acknowledged. */
async function paidOrder(shop: TestShop, payments: Payments): Promise<string> {
  const order = shop.addOrder({ id: orderId(), amount: 100 });
  const result = await payments.checkout({
    provider: 'wechatpay',
    orderId: order.id,
    channel: 'app',
    clientIp: '203.0.113.1',
  });
  const paid = await fetch(`${sandbox.url}/wechatpay/app/pay`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ params: result.type === 'app' ? result.params : {}, action: 'pay' }),
  });
  expect(((await paid.json()) as { errCode: number }).errCode).toBe(0);
  await sandbox.waitForDelivery((d) => d.orderId === order.id && d.kind === 'payment' && d.acknowledged, 15_000);
  return order.id;
}

/** The error an APP checkout of a fresh order fails with. */
async function checkoutError(options: WechatpayOptions): Promise<ProviderError> {
  const { shop, payments } = setup(options);
  const order = shop.addOrder({ id: orderId(), amount: 100 });
  const error = await payments
    .checkout({ provider: 'wechatpay', orderId: order.id, channel: 'app', clientIp: '203.0.113.1' })
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

const v3 = () => sandbox.wechatpay as WechatpayOptions;
/** The v2 merchant, over the sandbox's plain HTTP gateway (only `/secapi/*` needs its TLS listener). */
const v2 = (): WechatpayOptions => ({
  ...(sandbox.wechatpayV2 as WechatpayOptions),
  gateway: (sandbox.wechatpay as WechatpayOptions).gateway,
});

describe('v3 answers → codes', () => {
  it('a business error: PROVIDER_REJECTED, the code in providerCode, retryable as WeChat says', async () => {
    simulator().inject('/v3/pay/transactions/app', { status: 500, code: 'SYSTEM_ERROR', message: '系统错误' });
    expect(await checkoutError(v3())).toMatchObject({
      code: 'PROVIDER_REJECTED',
      providerCode: 'SYSTEM_ERROR',
      status: 502,
      retryable: true,
      raw: { code: 'SYSTEM_ERROR', message: '系统错误' },
    });
    simulator().inject('/v3/pay/transactions/app', { status: 403, code: 'NO_AUTH', message: '商户号该产品权限未开通' });
    const noAuth = await checkoutError(v3());
    expect(noAuth).toMatchObject({ code: 'PROVIDER_REJECTED', providerCode: 'NO_AUTH', retryable: false });
    expect(noAuth.message).toMatch(/APP prepay failed: 商户号该产品权限未开通 \(HTTP 403/);
    simulator().inject('/v3/pay/transactions/app', { status: 429, code: 'FREQUENCY_LIMITED', message: '频率超限' });
    expect(await checkoutError(v3())).toMatchObject({ providerCode: 'FREQUENCY_LIMITED', retryable: true });
  });

  it('a tampered answer: RESPONSE_SIGNATURE_INVALID, 502, not retryable', async () => {
    const proxy = await startProxy();
    // One space more: the same JSON, other bytes than WeChat signed.
    proxy.rewrite = (path, a) => (path.startsWith('/v3/pay/') ? { ...a, body: a.body.replace('{', '{ ') } : undefined);
    const error = await checkoutError({ ...v3(), gateway: proxy.gateway });
    expect(error).toMatchObject({ code: 'RESPONSE_SIGNATURE_INVALID', status: 502, retryable: false });
    expect(error.message).toMatch(/APP prepay: .*does not verify/);
    // The untouched answer passes the same proxy: the failure above is the tampering.
    proxy.rewrite = undefined;
    const { shop, payments } = setup({ ...v3(), gateway: proxy.gateway });
    const order = shop.addOrder({ id: orderId(), amount: 100 });
    const result = await payments.checkout({ provider: 'wechatpay', orderId: order.id, channel: 'app' });
    expect(result).toMatchObject({ type: 'app', provider: 'wechatpay' });
  });

  it('an answer without its signature headers: RESPONSE_SIGNATURE_INVALID', async () => {
    const proxy = await startProxy();
    proxy.rewrite = (path, a) =>
      path.startsWith('/v3/pay/') ? { ...a, headers: { 'content-type': 'application/json' } } : undefined;
    const error = await checkoutError({ ...v3(), gateway: proxy.gateway });
    expect(error).toMatchObject({ code: 'RESPONSE_SIGNATURE_INVALID', retryable: false });
    expect(error.message).toMatch(/missing Wechatpay-Timestamp/);
  });

  it('an unparsable answer, or a success without what the call needs: RESPONSE_MALFORMED', async () => {
    const proxy = await startProxy();
    proxy.rewrite = (path, a) => (path.startsWith('/v3/pay/') ? { ...a, body: '<html>ok</html>' } : undefined);
    expect(await checkoutError({ ...v3(), gateway: proxy.gateway })).toMatchObject({
      code: 'RESPONSE_MALFORMED',
      status: 502,
      retryable: false,
    });
    proxy.rewrite = (path, a) => (path.startsWith('/v3/pay/') ? { ...a, body: '{"h5_url":"x"}' } : undefined);
    const missing = await checkoutError({ ...v3(), gateway: proxy.gateway });
    expect(missing).toMatchObject({ code: 'RESPONSE_MALFORMED' });
    expect(missing.message).toMatch(/no prepay_id/);
  });

  it('a 5xx without a JSON body: PROVIDER_UNAVAILABLE, retryable; a bare 404: PROVIDER_REJECTED HTTP_404', async () => {
    const proxy = await startProxy();
    proxy.rewrite = (path) =>
      path.startsWith('/v3/pay/')
        ? { status: 502, headers: { 'content-type': 'text/html' }, body: '<html>502 Bad Gateway</html>' }
        : undefined;
    expect(await checkoutError({ ...v3(), gateway: proxy.gateway })).toMatchObject({
      code: 'PROVIDER_UNAVAILABLE',
      providerCode: 'HTTP_502',
      status: 503,
      retryable: true,
    });
    proxy.rewrite = (path) => (path.startsWith('/v3/pay/') ? { status: 404, headers: {}, body: '' } : undefined);
    expect(await checkoutError({ ...v3(), gateway: proxy.gateway })).toMatchObject({
      code: 'PROVIDER_REJECTED',
      providerCode: 'HTTP_404',
      retryable: false,
    });
  });

  it('202 accepted but not finished: retryable, with the same parameters', async () => {
    const proxy = await startProxy();
    proxy.rewrite = (path) => (path.startsWith('/v3/refund/') ? { status: 202, headers: {}, body: '' } : undefined);
    const { shop, payments } = await mounted({ ...v3(), gateway: proxy.gateway });
    const id = await paidOrder(shop, payments);
    const refund = { provider: 'wechatpay', orderId: id, refundId: `R${id}`, amount: 100 };
    const error = await payments.refund(refund).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'PROVIDER_REJECTED', providerCode: 'HTTP_202', retryable: true });
    expect(proxy.paths).toContain('/v3/refund/domestic/refunds');
    // retried with the same parameters once WeChat has finished
    proxy.rewrite = undefined;
    expect(await payments.refund(refund)).toMatchObject({ refundId: `R${id}`, amount: 100 });
  });

  it('close: an empty unsigned 204 is success; any other unsigned success is not', async () => {
    const proxy = await startProxy();
    const { shop, payments } = setup({ ...v3(), gateway: proxy.gateway });
    const order = shop.addOrder({ id: orderId(), amount: 100 });
    await payments.checkout({ provider: 'wechatpay', orderId: order.id, channel: 'app' });
    // the 204 the sandbox sent is replaced by one without any header: nothing to verify, nothing to trust
    proxy.rewrite = (path) => (path.endsWith('/close') ? { status: 204, headers: {}, body: '' } : undefined);
    await expect(payments.close('wechatpay', order.id)).resolves.toBeUndefined();
    expect(simulator().trade((v3() as { mchId: string }).mchId, order.id)?.state).toBe('CLOSED');
    proxy.rewrite = (path) =>
      path.startsWith('/v3/pay/transactions/out-trade-no/') && !path.endsWith('/close')
        ? { status: 200, headers: { 'content-type': 'application/json' }, body: '{"trade_state":"SUCCESS"}' }
        : undefined;
    await expect(payments.query('wechatpay', order.id)).rejects.toMatchObject({
      code: 'RESPONSE_SIGNATURE_INVALID',
    });
  });
});

describe('v2 answers → codes', () => {
  it('result_code=FAIL: PROVIDER_REJECTED, err_code in providerCode, retryable as WeChat says', async () => {
    simulator().inject('/pay/unifiedorder', { status: 200, code: 'SYSTEMERROR', message: '系统超时' });
    expect(await checkoutError(v2())).toMatchObject({
      code: 'PROVIDER_REJECTED',
      providerCode: 'SYSTEMERROR',
      status: 502,
      retryable: true,
    });
    simulator().inject('/pay/unifiedorder', { status: 200, code: 'NOAUTH', message: '商户无此接口权限' });
    const noAuth = await checkoutError(v2());
    expect(noAuth).toMatchObject({ code: 'PROVIDER_REJECTED', providerCode: 'NOAUTH', retryable: false });
    expect(noAuth.message).toMatch(/unifiedorder \(APP\) failed: 商户无此接口权限/);
    // return_code=FAIL with HTTP 500: the status says the gateway is in trouble, whatever the XML says
    simulator().inject('/pay/unifiedorder', { status: 500, code: 'FAIL', message: '系统繁忙' });
    expect(await checkoutError(v2())).toMatchObject({
      code: 'PROVIDER_UNAVAILABLE',
      providerCode: 'HTTP_500',
      retryable: true,
    });
  });

  it('return_code=FAIL at HTTP 200 is unsigned and still the provider speaking: PROVIDER_REJECTED', async () => {
    const proxy = await startProxy();
    proxy.rewrite = (path) =>
      path === '/pay/unifiedorder'
        ? {
            status: 200,
            headers: { 'content-type': 'text/xml' },
            body: '<xml><return_code><![CDATA[FAIL]]></return_code><return_msg><![CDATA[签名错误]]></return_msg></xml>',
          }
        : undefined;
    const error = await checkoutError({ ...v2(), gateway: proxy.gateway });
    expect(error).toMatchObject({ code: 'PROVIDER_REJECTED', providerCode: 'FAIL', retryable: false });
    expect(error.message).toMatch(/签名错误 \(check v2.apiKey and v2.signType\)/);
  });

  it('a tampered answer: RESPONSE_SIGNATURE_INVALID, 502, not retryable', async () => {
    const proxy = await startProxy();
    proxy.rewrite = (path, a) =>
      path === '/pay/unifiedorder' ? { ...a, body: a.body.replace('<prepay_id><![CDATA[', '$&X') } : undefined;
    const error = await checkoutError({ ...v2(), gateway: proxy.gateway });
    expect(error).toMatchObject({ code: 'RESPONSE_SIGNATURE_INVALID', status: 502, retryable: false });
    expect(error.message).toMatch(/does not verify with v2.apiKey \(MD5\)/);
  });

  it('an unparsable answer: RESPONSE_MALFORMED; a 5xx page: PROVIDER_UNAVAILABLE', async () => {
    const proxy = await startProxy();
    proxy.rewrite = (path) =>
      path === '/pay/unifiedorder' ? { status: 200, headers: {}, body: '{"return_code":"SUCCESS"}' } : undefined;
    expect(await checkoutError({ ...v2(), gateway: proxy.gateway })).toMatchObject({
      code: 'RESPONSE_MALFORMED',
      retryable: false,
    });
    proxy.rewrite = (path) =>
      path === '/pay/unifiedorder' ? { status: 503, headers: {}, body: '<html>busy</html>' } : undefined;
    expect(await checkoutError({ ...v2(), gateway: proxy.gateway })).toMatchObject({
      code: 'PROVIDER_UNAVAILABLE',
      providerCode: 'HTTP_503',
      retryable: true,
    });
  });

  it('a refund without the client certificate: CONFIG_INVALID naming v2.clientCertificate, nothing sent', async () => {
    const { clientCertificate: _certificate, ...credentials } = v2().v2!;
    const { shop, payments } = await mounted({ ...v2(), v2: credentials });
    const id = await paidOrder(shop, payments);
    const error = await payments
      .refund({ provider: 'wechatpay', orderId: id, refundId: `R${id}`, amount: 100 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ field: 'v2.clientCertificate', code: 'CONFIG_INVALID' });
    expect(simulator().trade(v2().mchId, id)?.refunds).toEqual([]);
  });
});

describe('verified answers about someone else (a signing gateway of the test)', () => {
  const fx = (name: string) => readFileSync(new URL(`./fixtures/wechatpay/${name}`, import.meta.url), 'utf8');
  const MCH = '1230000109';
  const APP_ID = 'wxd678efh567hg6787';
  const KEY_ID = 'PUB_KEY_ID_0114232134912410000000000000000001';
  const V2_KEY = '192006250b4c09247ec02edce69f6a2d';
  const platformKey = createPrivateKey(fx('platform_key.pem'));
  let answer: (path: string) => { status: number; headers: Record<string, string>; body: string };
  let gateway: string;

  /** WeChat's v3 answer signature, written here from its documentation: `ts\nnonce\nbody\n`, SHA256-RSA. */
  const signedJson = (value: unknown) => {
    const body = JSON.stringify(value);
    const ts = String(Math.floor(Date.now() / 1000));
    const nonce = randomUUID().replace(/-/g, '');
    const signature = sign('sha256', Buffer.from(`${ts}\n${nonce}\n${body}\n`), platformKey).toString('base64');
    const headers = {
      'content-type': 'application/json',
      'wechatpay-timestamp': ts,
      'wechatpay-nonce': nonce,
      'wechatpay-signature': signature,
      'wechatpay-serial': KEY_ID,
    };
    return { status: 200, headers, body };
  };

  /** WeChat's v2 MD5 sign, written here: sorted non-empty `k=v` but `sign`, `&key=`, upper-case hex. */
  const signedXml = (fields: Record<string, string>) => {
    const text = Object.keys(fields)
      .filter((k) => k !== 'sign' && fields[k] !== '')
      .sort()
      .map((k) => `${k}=${fields[k]}`)
      .join('&');
    const signature = createHash('md5').update(`${text}&key=${V2_KEY}`, 'utf8').digest('hex').toUpperCase();
    const body = Object.entries({ ...fields, sign: signature })
      .map(([k, v]) => `<${k}><![CDATA[${v}]]></${k}>`)
      .join('');
    return { status: 200, headers: { 'content-type': 'text/xml' }, body: `<xml>${body}</xml>` };
  };

  beforeAll(async () => {
    gateway = await listen(
      createServer(async (req, res) => {
        await readBody(req);
        const a = answer(new URL(req.url!, 'http://gateway').pathname);
        res.writeHead(a.status, a.headers).end(a.body);
      }),
    );
  });

  const v3Local = (): WechatpayOptions => ({
    mchId: MCH,
    appId: APP_ID,
    gateway,
    v3: {
      apiV3Key: 'K3'.repeat(16),
      privateKey: fx('merchant_key.pem'),
      certificateSerial: '444F4864EA9B34415D2A5BE1CF0A4C6B8B1B5CAB',
      platformPublicKey: fx('platform_pub.pem'),
      platformPublicKeyId: KEY_ID,
    },
  });
  const v2Local = (signType?: 'MD5' | 'HMAC-SHA256'): WechatpayOptions => ({
    mchId: MCH,
    appId: APP_ID,
    gateway,
    v2: { apiKey: V2_KEY, signType },
  });
  const success = { return_code: 'SUCCESS', result_code: 'SUCCESS', appid: APP_ID, nonce_str: 'n0nce' };

  it('v3: an order query answered about another trade number → RESPONSE_MISMATCH', async () => {
    answer = () => signedJson({ mchid: MCH, appid: APP_ID, out_trade_no: 'SOMEONEELSE1', trade_state: 'NOTPAY' });
    const { payments } = setup(v3Local());
    const error = await payments.query('wechatpay', 'GW00000001').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'RESPONSE_MISMATCH', status: 502, retryable: false });
    expect((error as Error).message).toMatch(/SOMEONEELSE1/);
    // the same answer about the right trade is read (with no record of the order, paymount also asks
    // about its retry numbers until one does not exist)
    answer = (path) =>
      path.includes('/GW00000001R')
        ? { status: 404, headers: {}, body: JSON.stringify({ code: 'ORDER_NOT_EXIST', message: '订单不存在' }) }
        : signedJson({ mchid: MCH, appid: APP_ID, out_trade_no: 'GW00000001', trade_state: 'NOTPAY' });
    expect(await payments.query('wechatpay', 'GW00000001')).toMatchObject({ status: 'pending' });
  });

  it('v2: a prepay answer for another merchant → RESPONSE_MISMATCH; an order query reports it instead', async () => {
    answer = () => signedXml({ ...success, mch_id: '1900000001', prepay_id: 'wx201410272009395522657a690389285100' });
    const { shop, payments } = setup(v2Local());
    const order = shop.addOrder({ id: orderId(), amount: 100 });
    const error = await payments
      .checkout({ provider: 'wechatpay', orderId: order.id, channel: 'app', clientIp: '203.0.113.1' })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'RESPONSE_MISMATCH', retryable: false });
    expect((error as Error).message).toMatch(/merchant 1900000001, not 1230000109/);

    answer = () => signedXml({ ...success, mch_id: '1900000001', out_trade_no: order.id, trade_state: 'NOTPAY' });
    expect(await payments.query('wechatpay', order.id)).toMatchObject({
      status: 'pending',
      mismatch: { reason: 'merchant', expected: MCH, actual: '1900000001' },
    });
  });

  it('v2: an answer whose sign_type is not the configured one → RESPONSE_SIGNATURE_INVALID', async () => {
    answer = () => signedXml({ ...success, mch_id: MCH, sign_type: 'HMAC-SHA256', prepay_id: 'wx2014102720093955' });
    const { shop, payments } = setup(v2Local('MD5'));
    const order = shop.addOrder({ id: orderId(), amount: 100 });
    const error = await payments
      .checkout({ provider: 'wechatpay', orderId: order.id, channel: 'app', clientIp: '203.0.113.1' })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'RESPONSE_SIGNATURE_INVALID', retryable: false });
    expect((error as Error).message).toMatch(/signed with HMAC-SHA256, this merchant is configured for MD5/);
  });
});

describe('a notify whose verification needs a certificate download that fails', () => {
  it('answers 503 with the v3 FAIL JSON, and the retry after the gateway recovers is fulfilled once', async () => {
    const proxy = await startProxy();
    proxy.rewrite = (path, a) =>
      path === '/v3/certificates'
        ? { ...a, headers: { ...a.headers, 'wechatpay-signature': `A${a.headers['wechatpay-signature']!.slice(1)}` } }
        : undefined;
    const options = sandbox.wechatpayV3Certificates as WechatpayOptions;
    const app = await startApp('express');
    apps.push(app);
    const shop = createShop();
    // The receiver knows no certificate yet and downloads them through the proxy.
    app.use(
      createPayments({
        publicUrl: app.publicUrl,
        providers: { wechatpay: wechatpay({ ...options, gateway: proxy.gateway }) },
        ...shop.hooks,
        store: memoryStore(),
        logger: false,
      }),
    );
    const placer = createPayments({
      publicUrl: app.publicUrl,
      providers: { wechatpay: wechatpay(options) },
      ...shop.hooks,
      logger: false,
    });
    const order = shop.addOrder({ id: orderId(), amount: 300 });
    const result = await placer.checkout({ provider: 'wechatpay', orderId: order.id, channel: 'app' });
    const paid = await fetch(`${sandbox.url}/wechatpay/app/pay`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ params: result.type === 'app' ? result.params : {}, action: 'pay' }),
    });
    expect(((await paid.json()) as { errCode: number }).errCode).toBe(0);

    const delivery = () => sandbox.deliveries.find((d) => d.orderId === order.id && d.kind === 'payment');
    const deadline = Date.now() + 10_000;
    while (!delivery()?.attempts.length) {
      if (Date.now() > deadline) throw new Error('no notify attempt');
      await new Promise((r) => setTimeout(r, 10));
    }
    const first = delivery()!.attempts[0]!;
    expect(first.status).toBe(503);
    expect(JSON.parse(first.body!)).toEqual({
      code: 'FAIL',
      message: expect.stringMatching(/downloading platform certificates: .*does not verify/),
    });
    expect(shop.paid).toHaveLength(0);
    expect(proxy.paths).toContain('/v3/certificates');

    proxy.rewrite = undefined;
    const done = await sandbox.waitForDelivery((d) => d.orderId === order.id && d.kind === 'payment', 15_000);
    expect(done.acknowledged).toBe(true);
    expect(done.attempts.at(-1)?.status).toBe(204);
    expect(shop.paid).toHaveLength(1);
  });
});
