import { createPrivateKey, createPublicKey, sign, verify, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rootCertSn as clientRootCertSn, certSn as clientCertSn } from '../src/providers/alipay/cert-sn.js';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import type { AlipaySimulator } from '../src/sandbox/alipay/index.js';
import { EC_ROOT_PEM, RSA_SHA1_ROOT_PEM } from '../src/sandbox/alipay/pki.js';
import { alipayJson, signedJson } from '../src/sandbox/alipay/response.js';
import { requestCheckString, signV1, v1CheckString, verifyRequest } from '../src/sandbox/alipay/sign.js';
import { certificateSn, rootBundleSn } from '../src/sandbox/alipay/sn.js';
import type { Delivery } from '../src/sandbox/types.js';
import { parseForms } from './helpers/html-form.js';

/*
 * The Alipay simulator over real HTTP. Requests are signed here with node:crypto directly (not with
 * paymount's client), and every answer is checked the way a careful merchant would check it.
 */

const FIXTURES = new URL('./fixtures/alipay-sim/', import.meta.url);
const fixture = (name: string) => readFileSync(new URL(name, FIXTURES), 'utf8');

// ---- a merchant written from the spec, independent of paymount's client ----------------------

let offsetMs = 0;
/** The sandbox's clock; tests move it to expire orders. */
const clock = () => new Date(Date.now() + offsetMs);
const beijing = (date: Date) => new Date(date.getTime() + 8 * 3600_000).toISOString().replace('T', ' ').slice(0, 19);

interface Merchant {
  appId: string;
  key: KeyObject;
  gateway: string;
  extra?: Record<string, string>;
}

/** §3.1: every parameter but `sign`, empties skipped, sorted, raw values; RSA-SHA256. */
function signRequest(
  merchant: Merchant,
  method: string,
  biz: object | string,
  extra: Record<string, string> = {},
): Record<string, string> {
  const params: Record<string, string> = {
    app_id: merchant.appId,
    method,
    format: 'JSON',
    charset: 'utf-8',
    sign_type: 'RSA2',
    timestamp: beijing(clock()),
    version: '1.0',
    biz_content: typeof biz === 'string' ? biz : JSON.stringify(biz),
    ...merchant.extra,
    ...extra,
  };
  const content = Object.keys(params)
    .filter((k) => params[k] !== '')
    .sort()
    .map((k) => `${k}=${params[k]}`)
    .join('&');
  params.sign = sign('sha256', Buffer.from(content, 'utf8'), merchant.key).toString('base64');
  return params;
}

const qs = (params: Record<string, string>) => new URLSearchParams(params).toString();

/** Like alipay-sdk-nodejs: system parameters in the query, biz_content in the form body. */
async function callApi(merchant: Merchant, params: Record<string, string>): Promise<string> {
  const { biz_content, ...system } = params;
  const res = await fetch(`${merchant.gateway}?${qs(system)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded;charset=utf-8' },
    body: qs({ biz_content: biz_content ?? '' }),
  });
  expect(res.status).toBe(200);
  return res.text();
}

/** §7.2: the exact text of the `*_response` value, found with a string-aware brace matcher. */
function responseSlice(body: string, node: string): string {
  const start = body.indexOf('{', body.indexOf(`"${node}"`) + node.length + 2);
  let depth = 0;
  let inString = false;
  for (let i = start; i < body.length; i++) {
    const c = body[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return body.slice(start, i + 1);
  }
  throw new Error(`no ${node} in ${body}`);
}

interface ApiAnswer {
  fields: Record<string, unknown>;
  signed: boolean;
  verified: boolean;
  raw: string;
  inner: string;
}

function readAnswer(body: string, method: string | undefined, alipayKey: KeyObject): ApiAnswer {
  const node = method ? `${method.replace(/\./g, '_')}_response` : 'error_response';
  const parsed = JSON.parse(body) as Record<string, unknown>;
  const inner = responseSlice(body, node);
  const signature = typeof parsed.sign === 'string' ? parsed.sign : '';
  return {
    fields: parsed[node] as Record<string, unknown>,
    signed: signature !== '',
    verified:
      signature !== '' && verify('sha256', Buffer.from(inner, 'utf8'), alipayKey, Buffer.from(signature, 'base64')),
    raw: body,
    inner,
  };
}

/** Decodes a form body once (`+` is a space). */
function decodeForm(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of text.split('&')) {
    const eq = pair.indexOf('=');
    const d = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
    out[d(pair.slice(0, eq))] = d(pair.slice(eq + 1));
  }
  return out;
}

/** §3.2 V1 rule: leave out `sign` and `sign_type`. */
function verifyV1(fields: Record<string, string>, key: KeyObject, withSignType = false): boolean {
  const content = Object.keys(fields)
    .filter((k) => k !== 'sign' && (withSignType || k !== 'sign_type') && fields[k] !== '')
    .sort()
    .map((k) => `${k}=${fields[k]}`)
    .join('&');
  return verify('sha256', Buffer.from(content, 'utf8'), key, Buffer.from(fields.sign ?? '', 'base64'));
}

/** A merchant notify endpoint on 127.0.0.1 that answers from a script. */
interface Receiver {
  url: string;
  received: { path: string; headers: IncomingHttpHeaders; body: string }[];
  /** Scripted answers per out_trade_no (default `success`), so concurrent notifies cannot take another's. */
  answers: Map<string, string[]>;
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const received: Receiver['received'] = [];
  const answers = new Map<string, string[]>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ path: req.url ?? '', headers: req.headers, body });
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(answers.get(new URLSearchParams(body).get('out_trade_no') ?? '')?.shift() ?? 'success');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    answers,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

let orderSeq = 0;
const newOrderId = (prefix = 'T') => `${prefix}${Date.now()}_${++orderSeq}`;

// ---- frozen vectors made with the openssl CLI (test/fixtures/alipay-sim/make-vectors.sh) ------

describe('alipay simulator: signing and SN rules against openssl vectors', () => {
  const key = createPrivateKey(fixture('rsa-key.pem'));
  const pub = createPublicKey(fixture('rsa-pub.pem'));

  it('builds the §3.1 request check string with sign_type included and verifies the openssl signature', () => {
    const params = {
      app_id: '9021000000000001',
      method: 'alipay.trade.wap.pay',
      charset: 'utf-8',
      sign_type: 'RSA2',
      timestamp: '2024-05-13 17:49:20',
      version: '1.0',
      notify_url: 'http://127.0.0.1:1/notify?a=1&b=2',
      return_url: '',
      biz_content:
        '{"out_trade_no":"T 1&2=3","total_amount":"9.00","subject":"测试/商品","product_code":"QUICK_WAP_WAY"}',
      sign: fixture('request.sig'),
    };
    expect(requestCheckString(params)).toBe(fixture('request.txt'));
    expect(verifyRequest(params, pub)).toBe(true);
    expect(verifyRequest({ ...params, sign_type: 'RSA' }, pub)).toBe(false);
  });

  it('signs notify fields under the V1 rule to the same bytes as openssl', async () => {
    const fields = {
      notify_time: '2024-05-13 17:49:25',
      notify_type: 'trade_status_sync',
      notify_id: '2024051300222174925000000001',
      app_id: '9021000000000001',
      auth_app_id: '9021000000000001',
      charset: 'utf-8',
      version: '1.0',
      trade_no: '2024051322001234567800000001',
      out_trade_no: 'T1',
      buyer_id: '2088102000009999',
      seller_id: '2088102000000001',
      trade_status: 'TRADE_SUCCESS',
      total_amount: '9.00',
      subject: '测试 商品',
      gmt_create: '2024-05-13 17:49:20',
      gmt_payment: '2024-05-13 17:49:25',
      fund_bill_list: '[{"amount":"9.00","fundChannel":"ALIPAYACCOUNT"}]',
      passback_params: 'a%3D1%26b%3D%E4%B8%AD',
      body: '',
    };
    expect(v1CheckString({ ...fields, sign: 'x', sign_type: 'RSA2' })).toBe(fixture('notify.txt'));
    const signed = await signV1(fields, key);
    expect(signed.sign).toBe(fixture('notify.sig'));
    expect(signed.sign_type).toBe('RSA2');
  });

  it('serialises responses with \\/ and raw Chinese, signed over the exact node value', async () => {
    const fields = { code: '10000', msg: 'Success', out_trade_no: 'T1', subject: 'T恤/蓝色', total_amount: '9.00' };
    expect(alipayJson(fields)).toBe(fixture('response.txt'));
    expect(alipayJson({ a: 'x\\/y' })).toBe('{"a":"x\\\\\\/y"}');
    expect(JSON.parse(alipayJson({ a: 'x\\/y' }))).toEqual({ a: 'x\\/y' });
    const body = await signedJson('alipay_trade_query_response', fields, { key });
    expect(body).toBe(`{"alipay_trade_query_response":${fixture('response.txt')},"sign":"${fixture('response.sig')}"}`);
    const cert = await signedJson('alipay_trade_query_response', fields, { key, alipayCertSn: 'abc' });
    expect(cert).toContain(`,"alipay_cert_sn":"abc","sign":"${fixture('response.sig')}"}`);
  });

  it('computes certificate SNs like the openssl-derived vectors (issuer DN RFC 2253 + decimal serial)', () => {
    const expected = Object.fromEntries(
      fixture('sns.txt')
        .trim()
        .split('\n')
        .map((line) => line.split(' ') as [string, string]),
    );
    expect(certificateSn(fixture('leaf.pem'))).toBe(expected['leaf.pem']);
    expect(certificateSn(fixture('rsa-sha1-root.pem'))).toBe(expected['rsa-sha1-root.pem']);
    expect(certificateSn(fixture('ec-root.pem'))).toBe(expected['ec-root.pem']);
    expect(rootBundleSn(fixture('root-bundle.pem'))).toBe(expected['root-bundle.pem']);
    // The frozen constants are the openssl-made files, byte for byte.
    expect(EC_ROOT_PEM).toBe(fixture('ec-root.pem'));
    expect(RSA_SHA1_ROOT_PEM).toBe(fixture('rsa-sha1-root.pem'));
  });
});

// ---- the simulator over HTTP via startSandbox() ----------------------------------------------

let sandbox: Sandbox;
let receiver: Receiver;

beforeAll(async () => {
  sandbox = await startSandbox({ timeScale: 0.0005, clock });
  receiver = await startReceiver();
});
afterAll(async () => {
  await sandbox?.close();
  await receiver?.close();
});

describe('alipay simulator over HTTP', () => {
  let merchant: Merchant;
  let alipayKey: KeyObject;

  beforeAll(() => {
    merchant = {
      appId: sandbox.alipay.appId,
      key: createPrivateKey(sandbox.alipay.privateKey),
      gateway: sandbox.alipay.gateway,
    };
    alipayKey = createPublicKey(sandbox.alipay.alipayPublicKey);
  });

  const wapBiz = (outTradeNo: string, extra: Record<string, unknown> = {}) => ({
    out_trade_no: outTradeNo,
    total_amount: '9.00',
    subject: 'T恤/蓝色 测试',
    product_code: 'QUICK_WAP_WAY',
    ...extra,
  });

  async function openCashier(
    outTradeNo: string,
    biz: Record<string, unknown> = {},
    extra: Record<string, string> = {},
  ) {
    const params = signRequest(merchant, 'alipay.trade.wap.pay', wapBiz(outTradeNo, biz), {
      notify_url: `${receiver.url}/pay/notify/alipay`,
      return_url: 'http://shop.test/pay/return/alipay?from=sandbox',
      ...extra,
    });
    const res = await fetch(`${merchant.gateway}?${qs(params)}`);
    return { status: res.status, type: res.headers.get('content-type') ?? '', html: await res.text() };
  }

  async function submitCashier(html: string, action: 'pay' | 'cancel') {
    const [form] = parseForms(html, sandbox.url);
    const res = await fetch(form!.action, {
      method: 'POST',
      body: new URLSearchParams({ ...form!.fields, action }),
      redirect: 'manual',
    });
    return { status: res.status, location: res.headers.get('location'), html: await res.text() };
  }

  async function query(outTradeNo: string) {
    return readAnswer(
      await callApi(merchant, signRequest(merchant, 'alipay.trade.query', { out_trade_no: outTradeNo })),
      'alipay.trade.query',
      alipayKey,
    );
  }

  async function paidOrder(biz: Record<string, unknown> = {}) {
    const id = newOrderId();
    const page = await openCashier(id, biz);
    const paid = await submitCashier(page.html, 'pay');
    expect(paid.status).toBe(302);
    return id;
  }

  const notifiesFor = (id: string) =>
    receiver.received.filter((r) => decodeForm(r.body).out_trade_no === id).map((r) => decodeForm(r.body));

  async function waitFor<T>(probe: () => T | undefined, what: string): Promise<T> {
    for (let i = 0; i < 500; i++) {
      const value = probe();
      if (value !== undefined) return value;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  it('renders the cashier for a signed wap.pay URL: one POST form, a token, pay and cancel, subject and amount', async () => {
    const id = newOrderId();
    const page = await openCashier(id);
    expect(page.status).toBe(200);
    expect(page.type).toMatch(/^text\/html/);
    const forms = parseForms(page.html, sandbox.url);
    expect(forms).toHaveLength(1);
    expect(forms[0]!.method).toBe('POST');
    expect(forms[0]!.action).toBe(`${sandbox.url}/alipay/cashier`);
    expect(Object.keys(forms[0]!.fields)).toEqual(['token']);
    expect(forms[0]!.fields.token).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(forms[0]!.buttons).toEqual(['pay', 'cancel']);
    expect(page.html).toContain('T恤/蓝色 测试');
    expect(page.html).toContain('9.00');
    expect(page.html).toContain('name="viewport"');
  });

  it('also takes wap.pay as a POST form (system params in the action URL, biz_content in the body)', async () => {
    const params = signRequest(merchant, 'alipay.trade.wap.pay', wapBiz(newOrderId()));
    const { biz_content, ...system } = params;
    const res = await fetch(`${merchant.gateway}?${qs(system)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: qs({ biz_content: biz_content! }),
    });
    expect(parseForms(await res.text(), sandbox.url)[0]!.buttons).toEqual(['pay', 'cancel']);
  });

  it('shows 错误代码 isv.invalid-signature with the check string on a tampered cashier URL', async () => {
    const params = signRequest(merchant, 'alipay.trade.wap.pay', wapBiz(newOrderId()));
    params.biz_content = params.biz_content!.replace('9.00', '0.01');
    const res = await fetch(`${merchant.gateway}?${qs(params)}`);
    const html = await res.text();
    expect(res.status).toBe(200);
    expect(html).toContain('错误代码 isv.invalid-signature');
    expect(html).toContain('&quot;total_amount&quot;:&quot;0.01&quot;');
    expect(parseForms(html, sandbox.url)).toHaveLength(0);
  });

  it('answers a bad API signature with isv.invalid-signature whose sub_msg holds the check string', async () => {
    const params = signRequest(merchant, 'alipay.trade.query', { out_trade_no: 'X1' });
    params.timestamp = params.timestamp!.replace(/\d$/, (d) => String((Number(d) + 1) % 10));
    const answer = readAnswer(await callApi(merchant, params), 'alipay.trade.query', alipayKey);
    expect(answer.fields).toMatchObject({ code: '40002', msg: 'Invalid Arguments', sub_code: 'isv.invalid-signature' });
    const { sign: _sign, ...rest } = params;
    const checkString = Object.keys(rest)
      .sort()
      .map((k) => `${k}=${rest[k]}`)
      .join('&');
    expect(answer.fields.sub_msg).toContain(checkString);
    expect(answer.verified).toBe(true);
  });

  it('refuses a request signed with any key but the app key', async () => {
    const genuine = readAnswer(
      await callApi(merchant, signRequest(merchant, 'alipay.trade.query', { out_trade_no: 'X2' })),
      'alipay.trade.query',
      alipayKey,
    );
    expect(genuine.fields.sub_code).toBe('ACQ.TRADE_NOT_EXIST');
    // Any other RSA-2048 key, e.g. the fixture key: well-formed, not the app's.
    const forger: Merchant = { ...merchant, key: createPrivateKey(fixture('rsa-key.pem')) };
    const forged = readAnswer(
      await callApi(forger, signRequest(forger, 'alipay.trade.query', { out_trade_no: 'X2' })),
      'alipay.trade.query',
      alipayKey,
    );
    expect(forged.fields.sub_code).toBe('isv.invalid-signature');
  });

  it('answers an unknown app id with isv.invalid-app-id, unsigned', async () => {
    const stranger: Merchant = { ...merchant, appId: '2021000000000000' };
    const answer = readAnswer(
      await callApi(stranger, signRequest(stranger, 'alipay.trade.query', { out_trade_no: 'X3' })),
      'alipay.trade.query',
      alipayKey,
    );
    expect(answer.fields).toMatchObject({ code: '40002', sub_code: 'isv.invalid-app-id' });
    expect(answer.signed).toBe(false);
    expect(answer.raw).not.toContain('"sign"');
  });

  it('answers missing public parameters with 40001 isv.missing-*', async () => {
    const cases: [string, string, string | undefined][] = [
      ['sign', 'isv.missing-signature', 'alipay.trade.query'],
      ['timestamp', 'isv.missing-timestamp', 'alipay.trade.query'],
      ['sign_type', 'isv.missing-signature-type', 'alipay.trade.query'],
      ['charset', 'isv.missing-charset', 'alipay.trade.query'],
      ['version', 'isv.missing-version', 'alipay.trade.query'],
      ['app_id', 'isv.missing-app-id', 'alipay.trade.query'],
      ['method', 'isv.missing-method', undefined],
    ];
    for (const [drop, subCode, node] of cases) {
      const params = signRequest(merchant, 'alipay.trade.query', { out_trade_no: 'X4' });
      delete params[drop];
      const answer = readAnswer(await callApi(merchant, params), node, alipayKey);
      expect(answer.fields, drop).toMatchObject({
        code: '40001',
        msg: 'Missing Required Arguments',
        sub_code: subCode,
      });
    }
  });

  it('refuses a timestamp that is not Beijing time (8 hours off) and RSA instead of RSA2', async () => {
    const utc = new Date().toISOString().replace('T', ' ').slice(0, 19);
    const late = readAnswer(
      await callApi(merchant, signRequest(merchant, 'alipay.trade.query', { out_trade_no: 'X5' }, { timestamp: utc })),
      'alipay.trade.query',
      alipayKey,
    );
    expect(late.fields.sub_code).toBe('isv.invalid-timestamp');
    const rsa1 = readAnswer(
      await callApi(
        merchant,
        signRequest(merchant, 'alipay.trade.query', { out_trade_no: 'X5' }, { sign_type: 'RSA' }),
      ),
      'alipay.trade.query',
      alipayKey,
    );
    expect(rsa1.fields.sub_code).toBe('isv.invalid-signature-type');
  });

  it('refuses a parameter sent twice (query and body), unsigned', async () => {
    const params = signRequest(merchant, 'alipay.trade.query', { out_trade_no: 'X6' });
    const res = await fetch(`${merchant.gateway}?${qs(params)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: qs({ biz_content: '{"out_trade_no":"X7"}' }),
    });
    const answer = readAnswer(await res.text(), 'alipay.trade.query', alipayKey);
    expect(answer.fields).toMatchObject({ code: '40002', sub_code: 'isv.invalid-parameter' });
    expect(answer.fields.sub_msg).toContain('biz_content');
  });

  it('refuses bad amounts, malformed biz_content and unknown methods', async () => {
    for (const amount of ['9.001', '0', '0.00', '-1', '1e2', '100000000.01', '9,00', 9.001]) {
      const page = await openCashier(newOrderId(), { total_amount: amount });
      expect(page.html, String(amount)).toContain('错误代码 isv.invalid-parameter');
      expect(page.html).toContain('total_amount');
    }
    const edge = await openCashier(newOrderId(), { total_amount: '100000000' });
    expect(parseForms(edge.html, sandbox.url)).toHaveLength(1);
    const numeric = await openCashier(newOrderId(), { total_amount: 0.01 });
    expect(numeric.html).toContain('0.01');
    expect(parseForms(numeric.html, sandbox.url)).toHaveLength(1);

    const broken = readAnswer(
      await callApi(merchant, signRequest(merchant, 'alipay.trade.query', '{"out_trade_no":')),
      'alipay.trade.query',
      alipayKey,
    );
    expect(broken.fields).toMatchObject({ code: '40002', sub_code: 'isv.invalid-parameter' });
    const unknown = readAnswer(
      await callApi(merchant, signRequest(merchant, 'alipay.trade.pay', { out_trade_no: 'X8' })),
      'alipay.trade.pay',
      alipayKey,
    );
    expect(unknown.fields.sub_code).toBe('isv.invalid-method');
    const wrongProduct = await openCashier(newOrderId(), { product_code: 'QUICK_WAP_PAY' });
    expect(wrongProduct.html).toContain('错误代码 isv.invalid-parameter');
  });

  it('pays through the cashier: 302 to return_url with params that verify under the V1 rule', async () => {
    const id = newOrderId();
    const page = await openCashier(id);
    const paid = await submitCashier(page.html, 'pay');
    expect(paid.status).toBe(302);
    const location = new URL(paid.location!);
    expect(location.origin + location.pathname).toBe('http://shop.test/pay/return/alipay');
    const params = Object.fromEntries(location.searchParams);
    expect(params.from).toBe('sandbox');
    delete params.from; // the shop's own parameter, not Alipay's
    expect(params).toMatchObject({
      method: 'alipay.trade.wap.pay.return',
      out_trade_no: id,
      total_amount: '9.00',
      app_id: merchant.appId,
      seller_id: sandbox.alipay.sellerId,
      sign_type: 'RSA2',
      charset: 'utf-8',
      version: '1.0',
    });
    expect(params.trade_no).toMatch(/^\d{8}2200\d{16}$/);
    expect(params.trade_no!.slice(0, 8)).toBe(beijing(clock()).slice(0, 10).replace(/-/g, ''));
    expect(verifyV1(params, alipayKey)).toBe(true);
    // V1, not V2: with sign_type in the content the signature does not verify.
    expect(verifyV1(params, alipayKey, true)).toBe(false);
    expect(verifyV1({ ...params, total_amount: '0.01' }, alipayKey)).toBe(false);
    expect(sandbox.alipay.sellerId).toMatch(/^2088\d{12}$/);

    const again = await submitCashier(page.html, 'pay');
    expect(again.status).toBe(404);
  });

  it('delivers the notify: malformed Content-Type, + for spaces, V1-signed, retried until "success"', async () => {
    const id = newOrderId();
    receiver.answers.set(id, ['fail']);
    const page = await openCashier(id, {
      passback_params: encodeURIComponent('order=1&note=中 文'),
      body: 'two words',
    });
    expect((await submitCashier(page.html, 'pay')).status).toBe(302);
    const delivery = await sandbox.waitForDelivery((d: Delivery) => d.orderId === id && d.kind === 'payment');
    expect(delivery.acknowledged).toBe(true);
    expect(delivery.attempts.map((a) => a.body)).toEqual(['fail', 'success']);
    expect(delivery.url).toBe(`${receiver.url}/pay/notify/alipay`);

    const raw = receiver.received.filter((r) => r.body.includes(`out_trade_no=${id}`));
    expect(raw).toHaveLength(2);
    expect(raw[0]!.headers['content-type']).toBe('application/x-www-form-urlencoded; text/html; charset=UTF-8');
    expect(raw[0]!.path).toBe('/pay/notify/alipay');
    expect(raw[0]!.body).toContain('body=two+words');
    const [first, second] = raw.map((r) => decodeForm(r.body));
    expect(second!.notify_id).toBe(first!.notify_id);
    expect(first).toMatchObject({
      notify_type: 'trade_status_sync',
      trade_status: 'TRADE_SUCCESS',
      out_trade_no: id,
      total_amount: '9.00',
      receipt_amount: '9.00',
      app_id: merchant.appId,
      seller_id: sandbox.alipay.sellerId,
      subject: 'T恤/蓝色 测试',
      sign_type: 'RSA2',
    });
    // Decoded once, passback_params is still what the merchant sent: percent-encoded.
    expect(first!.passback_params).toBe(encodeURIComponent('order=1&note=中 文'));
    expect(JSON.parse(first!.fund_bill_list!)).toEqual([{ amount: '9.00', fundChannel: 'ALIPAYACCOUNT' }]);
    expect(first!.buyer_id).toMatch(/^2088\d{12}$/);
    expect(verifyV1(first!, alipayKey)).toBe(true);
    expect(verifyV1(first!, alipayKey, true)).toBe(false);
    expect(verifyV1({ ...first!, total_amount: '0.01' }, alipayKey)).toBe(false);
  });

  it('says ACQ.TRADE_NOT_EXIST before the buyer enters the cashier, WAIT_BUYER_PAY after, TRADE_SUCCESS once paid', async () => {
    const id = newOrderId();
    const before = await query(id);
    expect(before.fields).toMatchObject({
      code: '40004',
      msg: 'Business Failed',
      sub_code: 'ACQ.TRADE_NOT_EXIST',
      out_trade_no: id,
      receipt_amount: '0.00',
    });
    expect(before.verified).toBe(true);

    const page = await openCashier(id);
    const waiting = await query(id);
    expect(waiting.fields).toMatchObject({ code: '10000', trade_status: 'WAIT_BUYER_PAY', total_amount: '9.00' });

    const cancelled = await submitCashier(page.html, 'cancel');
    expect(cancelled.status).toBe(200);
    expect(cancelled.html).toContain('支付已取消');
    expect((await query(id)).fields.trade_status).toBe('WAIT_BUYER_PAY');

    await submitCashier(page.html, 'pay');
    const after = await query(id);
    expect(after.fields).toMatchObject({
      code: '10000',
      msg: 'Success',
      trade_status: 'TRADE_SUCCESS',
      out_trade_no: id,
      total_amount: '9.00',
      seller_id: sandbox.alipay.sellerId,
      subject: 'T恤/蓝色 测试',
    });
    expect(after.fields.trade_no).toBe(waiting.fields.trade_no);
    expect(after.verified).toBe(true);
    expect(after.raw).toContain('T恤\\/蓝色 测试');
    // Re-serialising loses the \/ escapes: only the raw slice verifies.
    const reserialised = JSON.stringify(JSON.parse(after.inner));
    expect(reserialised).not.toBe(after.inner);
    const signature = (JSON.parse(after.raw) as { sign: string }).sign;
    expect(verify('sha256', Buffer.from(reserialised), alipayKey, Buffer.from(signature, 'base64'))).toBe(false);
  });

  it('goes to quit_url on cancel when the merchant gave one', async () => {
    const page = await openCashier(newOrderId(), { quit_url: 'http://shop.test/cart' });
    const cancelled = await submitCashier(page.html, 'cancel');
    expect(cancelled.status).toBe(302);
    expect(cancelled.location).toBe('http://shop.test/cart');
  });

  it('keeps a refund ledger per (trade, out_request_no) and notifies each refund', async () => {
    const id = await paidOrder({ total_amount: '10.00' });
    const refund = async (biz: Record<string, unknown>) =>
      readAnswer(
        await callApi(merchant, signRequest(merchant, 'alipay.trade.refund', { out_trade_no: id, ...biz })),
        'alipay.trade.refund',
        alipayKey,
      );

    const first = await refund({ refund_amount: '3.00', out_request_no: 'R1' });
    expect(first.fields).toMatchObject({ code: '10000', fund_change: 'Y', refund_fee: '3.00', out_trade_no: id });
    expect(first.verified).toBe(true);
    const repeat = await refund({ refund_amount: '3.00', out_request_no: 'R1' });
    expect(repeat.fields).toMatchObject({ code: '10000', fund_change: 'N', refund_fee: '3.00' });
    const discordant = await refund({ refund_amount: '4.00', out_request_no: 'R1' });
    expect(discordant.fields).toMatchObject({ code: '40004', sub_code: 'ACQ.DISCORDANT_REPEAT_REQUEST' });
    const over = await refund({ refund_amount: '7.01', out_request_no: 'R2' });
    expect(over.fields).toMatchObject({ code: '40004', sub_code: 'ACQ.REASON_TRADE_REFUND_FEE_ERR' });
    const noRequestNo = await refund({ refund_amount: '1.00' });
    expect(noRequestNo.fields.sub_code).toBe('ACQ.REFUND_AMT_NOT_EQUAL_TOTAL');
    const badAmount = await refund({ refund_amount: '1.001', out_request_no: 'R3' });
    expect(badAmount.fields).toMatchObject({ code: '40004', sub_code: 'ACQ.INVALID_PARAMETER' });
    expect((await query(id)).fields.trade_status).toBe('TRADE_SUCCESS');

    const rest = await refund({ refund_amount: '7.00', out_request_no: 'R2' });
    expect(rest.fields).toMatchObject({ code: '10000', fund_change: 'Y', refund_fee: '10.00' });
    expect((await query(id)).fields.trade_status).toBe('TRADE_CLOSED');
    const afterClose = await refund({ refund_amount: '0.01', out_request_no: 'R4' });
    expect(afterClose.fields.sub_code).toBe('ACQ.TRADE_STATUS_ERROR');

    const refundQuery = async (requestNo: string) =>
      readAnswer(
        await callApi(
          merchant,
          signRequest(merchant, 'alipay.trade.fastpay.refund.query', { out_trade_no: id, out_request_no: requestNo }),
        ),
        'alipay.trade.fastpay.refund.query',
        alipayKey,
      );
    expect((await refundQuery('R1')).fields).toMatchObject({
      code: '10000',
      out_request_no: 'R1',
      refund_amount: '3.00',
      total_amount: '10.00',
      refund_status: 'REFUND_SUCCESS',
    });
    const none = await refundQuery('R9');
    expect(none.fields).toEqual({ code: '10000', msg: 'Success' });
    expect(none.verified).toBe(true);

    const notes = await waitFor(() => {
      const list = notifiesFor(id).filter((n) => n.out_biz_no);
      return list.length >= 2 ? list : undefined;
    }, 'two refund notifies');
    const partial = notes.find((n) => n.out_biz_no === 'R1')!;
    expect(partial).toMatchObject({ trade_status: 'TRADE_SUCCESS', refund_fee: '3.00' });
    expect(partial.gmt_refund).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    const full = notes.find((n) => n.out_biz_no === 'R2')!;
    expect(full).toMatchObject({ trade_status: 'TRADE_CLOSED', refund_fee: '10.00' });
    expect(verifyV1(partial, alipayKey) && verifyV1(full, alipayKey)).toBe(true);
    expect(notes.filter((n) => n.out_biz_no === 'R1')).toHaveLength(1); // the fund_change=N repeat sends nothing
  });

  it('refuses to refund an unpaid trade and to refund one that does not exist', async () => {
    const id = newOrderId();
    const missingTrade = readAnswer(
      await callApi(
        merchant,
        signRequest(merchant, 'alipay.trade.refund', { out_trade_no: id, refund_amount: '1.00', out_request_no: 'R1' }),
      ),
      'alipay.trade.refund',
      alipayKey,
    );
    expect(missingTrade.fields.sub_code).toBe('ACQ.TRADE_NOT_EXIST');
    await openCashier(id);
    const unpaid = readAnswer(
      await callApi(
        merchant,
        signRequest(merchant, 'alipay.trade.refund', { out_trade_no: id, refund_amount: '1.00', out_request_no: 'R1' }),
      ),
      'alipay.trade.refund',
      alipayKey,
    );
    expect(unpaid.fields.sub_code).toBe('ACQ.TRADE_STATUS_ERROR');
  });

  it('closes only a waiting trade, and notifies TRADE_CLOSED', async () => {
    const close = async (outTradeNo: string) =>
      readAnswer(
        await callApi(merchant, signRequest(merchant, 'alipay.trade.close', { out_trade_no: outTradeNo })),
        'alipay.trade.close',
        alipayKey,
      );
    const id = newOrderId();
    expect((await close(id)).fields.sub_code).toBe('ACQ.TRADE_NOT_EXIST');
    const page = await openCashier(id);
    const closed = await close(id);
    expect(closed.fields).toMatchObject({ code: '10000', out_trade_no: id });
    expect(closed.verified).toBe(true);
    expect((await query(id)).fields.trade_status).toBe('TRADE_CLOSED');
    const payClosed = await submitCashier(page.html, 'pay');
    expect(payClosed.html).toContain('错误代码 ACQ.TRADE_HAS_CLOSE');
    const note = await waitFor(() => notifiesFor(id)[0], 'close notify');
    expect(note).toMatchObject({ trade_status: 'TRADE_CLOSED' });
    expect(note.gmt_close).toBeTruthy();
    expect(verifyV1(note, alipayKey)).toBe(true);

    const paid = await paidOrder();
    expect((await close(paid)).fields.sub_code).toBe('ACQ.TRADE_STATUS_ERROR');
  });

  it('refuses the same out_trade_no with another amount, and a paid one', async () => {
    const id = await paidOrder();
    expect((await openCashier(id)).html).toContain('错误代码 ACQ.TRADE_HAS_SUCCESS');
    const other = newOrderId();
    await openCashier(other);
    expect((await openCashier(other, { total_amount: '1.00' })).html).toContain('错误代码 ACQ.CONTEXT_INCONSISTENT');
  });

  it('respects time_expire and timeout_express: an expired order cannot be paid', async () => {
    const past = beijing(new Date(clock().getTime() - 60_000));
    expect((await openCashier(newOrderId(), { time_expire: past })).html).toContain('错误代码 ACQ.TRADE_HAS_CLOSE');
    expect((await openCashier(newOrderId(), { time_expire: '2030-13-01 00:00:00' })).html).toContain(
      '错误代码 isv.invalid-parameter',
    );
    expect((await openCashier(newOrderId(), { timeout_express: '1.5h' })).html).toContain(
      '错误代码 isv.invalid-parameter',
    );

    const id = newOrderId();
    const page = await openCashier(id, { timeout_express: '5m' });
    const soon = newOrderId();
    const soonPage = await openCashier(soon, { time_expire: beijing(new Date(clock().getTime() + 120_000)) });
    offsetMs += 6 * 60_000;
    try {
      expect((await submitCashier(page.html, 'pay')).html).toContain('错误代码 ACQ.TRADE_HAS_CLOSE');
      expect((await submitCashier(soonPage.html, 'pay')).html).toContain('错误代码 ACQ.TRADE_HAS_CLOSE');
      expect((await query(id)).fields.trade_status).toBe('TRADE_CLOSED');
      const note = await waitFor(() => notifiesFor(id)[0], 'expiry close notify');
      expect(note.trade_status).toBe('TRADE_CLOSED');
    } finally {
      offsetMs -= 6 * 60_000;
    }
  });

  it('finishes a paid trade when the refund window is over (TRADE_FINISHED, notified, no more refunds)', async () => {
    const id = await paidOrder();
    offsetMs += 91 * 24 * 3600_000;
    try {
      expect((await query(id)).fields.trade_status).toBe('TRADE_FINISHED');
      const refund = readAnswer(
        await callApi(
          merchant,
          signRequest(merchant, 'alipay.trade.refund', {
            out_trade_no: id,
            refund_amount: '1.00',
            out_request_no: 'R1',
          }),
        ),
        'alipay.trade.refund',
        alipayKey,
      );
      expect(refund.fields.sub_code).toBe('ACQ.TRADE_HAS_FINISHED');
      const note = await waitFor(
        () => notifiesFor(id).find((n) => n.trade_status === 'TRADE_FINISHED'),
        'finish notify',
      );
      expect(verifyV1(note, alipayKey)).toBe(true);
    } finally {
      offsetMs -= 91 * 24 * 3600_000;
    }
  });

  it('keeps the return_url fragment after the signed query', async () => {
    const id = newOrderId();
    const page = await openCashier(id, {}, { return_url: 'http://shop.test/done#top' });
    const paid = await submitCashier(page.html, 'pay');
    expect(paid.location).toMatch(/^http:\/\/shop\.test\/done\?charset=utf-8&.*#top$/);
    expect(verifyV1(Object.fromEntries(new URL(paid.location!).searchParams), alipayKey)).toBe(true);
  });

  it('refuses an unknown cashier token and an unknown action', async () => {
    const res = await fetch(`${sandbox.url}/alipay/cashier`, {
      method: 'POST',
      body: new URLSearchParams({ token: 'forged', action: 'pay' }),
    });
    expect(res.status).toBe(404);
    const page = await openCashier(newOrderId());
    const [form] = parseForms(page.html, sandbox.url);
    const odd = await fetch(form!.action, {
      method: 'POST',
      body: new URLSearchParams({ ...form!.fields, action: 'steal' }),
    });
    expect(odd.status).toBe(400);
    const get = await fetch(form!.action);
    expect(get.status).toBe(405);
  });

  describe('app SDK stand-in (POST /app/pay)', () => {
    const orderString = (biz: Record<string, unknown>, tamper = false) => {
      const params = signRequest(
        merchant,
        'alipay.trade.app.pay',
        { total_amount: '0.01', subject: '会员/月卡', product_code: 'QUICK_MSECURITY_PAY', ...biz },
        { notify_url: `${receiver.url}/pay/notify/alipay` },
      );
      if (tamper) params.biz_content = params.biz_content!.replace('0.01', '0.02');
      // Java's URLEncoder style: spaces as "+".
      return Object.entries(params)
        .map(([k, v]) => `${k}=${encodeURIComponent(v).replace(/%20/g, '+')}`)
        .join('&');
    };
    const play = async (order: string, action: string) => {
      const res = await fetch(`${sandbox.url}/alipay/app/pay`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ params: { orderString: order }, action }),
      });
      return { status: res.status, body: (await res.json()) as { resultStatus: string; result: string; memo: string } };
    };

    it('pays (9000) with a signed result and sends the notify', async () => {
      const id = newOrderId('A');
      const { status, body } = await play(orderString({ out_trade_no: id }), 'pay');
      expect(status).toBe(200);
      expect(body.resultStatus).toBe('9000');
      const result = JSON.parse(body.result) as {
        alipay_trade_app_pay_response: Record<string, string>;
        sign: string;
        sign_type: string;
      };
      expect(result.sign_type).toBe('RSA2');
      expect(result.alipay_trade_app_pay_response).toMatchObject({
        code: '10000',
        out_trade_no: id,
        total_amount: '0.01',
        seller_id: sandbox.alipay.sellerId,
        app_id: merchant.appId,
      });
      const inner = responseSlice(body.result, 'alipay_trade_app_pay_response');
      expect(verify('sha256', Buffer.from(inner), alipayKey, Buffer.from(result.sign, 'base64'))).toBe(true);
      expect((await query(id)).fields.trade_status).toBe('TRADE_SUCCESS');
      const note = await waitFor(() => notifiesFor(id)[0], 'app notify');
      expect(note).toMatchObject({ trade_status: 'TRADE_SUCCESS', subject: '会员/月卡' });
      expect(verifyV1(note, alipayKey)).toBe(true);
    });

    it('cancels (6001) leaving the trade unpaid, fails (4000), and refuses a tampered order string with ALIN10070', async () => {
      const id = newOrderId('A');
      const cancel = await play(orderString({ out_trade_no: id }), 'cancel');
      expect(cancel.body).toMatchObject({ resultStatus: '6001', result: '' });
      expect((await query(id)).fields.trade_status).toBe('WAIT_BUYER_PAY');
      const failed = await play(orderString({ out_trade_no: newOrderId('A') }), 'fail');
      expect(failed.body.resultStatus).toBe('4000');
      const forged = newOrderId('A');
      const tampered = await play(orderString({ out_trade_no: forged }, true), 'pay');
      expect(tampered.body.resultStatus).toBe('4000');
      expect(tampered.body.memo).toContain('ALIN10070');
      expect((await query(forged)).fields.sub_code).toBe('ACQ.TRADE_NOT_EXIST');
      const garbage = await play('app_id=1&app_id=2', 'pay');
      expect(garbage.body.resultStatus).toBe('4000');
      expect(garbage.body.memo).toContain('ALIN38173');
      const badInput = await fetch(`${sandbox.url}/alipay/app/pay`, { method: 'POST', body: 'not json' });
      expect(badInput.status).toBe(400);
    });

    it('plays the ambiguous outcomes: 8000 and 6004 paid without a result, 6002 nothing happened', async () => {
      const processing = newOrderId('A');
      expect((await play(orderString({ out_trade_no: processing }), 'processing')).body).toMatchObject({
        resultStatus: '8000',
        result: '',
      });
      expect((await query(processing)).fields.trade_status).toBe('TRADE_SUCCESS');
      const unknown = newOrderId('A');
      expect((await play(orderString({ out_trade_no: unknown }), 'unknown')).body.resultStatus).toBe('6004');
      expect((await query(unknown)).fields.trade_status).toBe('TRADE_SUCCESS');
      const offline = newOrderId('A');
      expect((await play(orderString({ out_trade_no: offline }), 'network-error')).body.resultStatus).toBe('6002');
      expect((await query(offline)).fields.sub_code).toBe('ACQ.TRADE_NOT_EXIST');
    });
  });
});

// ---- certificate mode and fault injection, through the simulator the sandbox exposes ------------

describe('alipay simulator: certificate mode and fault injection', () => {
  let simulator: AlipaySimulator;
  let base: string;
  let merchant: Merchant;
  let alipayCertKey: KeyObject;

  beforeAll(() => {
    simulator = sandbox.simulators.alipay;
    base = sandbox.url;
    expect(sandbox.alipayCertificates).toBe(simulator.certificateOptions);
    const certs = simulator.certificateOptions.certificates;
    // SNs computed by paymount's client helper: an implementation apart from the simulator's.
    merchant = {
      appId: simulator.certificateOptions.appId,
      key: createPrivateKey(simulator.certificateOptions.privateKey),
      gateway: simulator.certificateOptions.gateway,
      extra: { app_cert_sn: clientCertSn(certs.appCert), alipay_root_cert_sn: clientRootCertSn(certs.alipayRootCert) },
    };
    alipayCertKey = new X509Certificate(certs.alipayCert).publicKey;
  });

  const queryWith = async (who: Merchant, outTradeNo: string) =>
    readAnswer(
      await callApi(who, signRequest(who, 'alipay.trade.query', { out_trade_no: outTradeNo })),
      'alipay.trade.query',
      alipayCertKey,
    );

  it('issues a real chain: root bundle with a non-RSA root, Alipay and app certificates issued by the RSA root', () => {
    const { certificates, appId, sellerId } = simulator.certificateOptions;
    expect(appId).not.toBe(simulator.options.appId);
    expect(sellerId).toMatch(/^2088\d{12}$/);
    const bundle = certificates.alipayRootCert.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)!;
    expect(bundle).toHaveLength(3);
    expect(bundle[0]).toBe(EC_ROOT_PEM.trim());
    const root = new X509Certificate(bundle[1]!);
    for (const pem of [certificates.alipayCert, certificates.appCert]) {
      const cert = new X509Certificate(pem);
      expect(cert.checkIssued(root)).toBe(true);
      expect(cert.verify(root.publicKey)).toBe(true);
    }
    expect(new X509Certificate(certificates.appCert).subject).toContain(`CN=${appId}`);
    // Two RSA-signed roots kept, the EC root skipped.
    expect(merchant.extra!.alipay_root_cert_sn!.split('_')).toHaveLength(2);
    expect(merchant.extra!.alipay_root_cert_sn).toBe(rootBundleSn(certificates.alipayRootCert));
    // The private key matches the app certificate.
    expect(createPublicKey(merchant.key).export({ format: 'der', type: 'spki' })).toEqual(
      new X509Certificate(certificates.appCert).publicKey.export({ format: 'der', type: 'spki' }),
    );
  });

  it('accepts correct SNs and signs its answers with the Alipay certificate key, naming its SN', async () => {
    const answer = await queryWith(merchant, 'C1');
    expect(answer.fields.sub_code).toBe('ACQ.TRADE_NOT_EXIST');
    expect(answer.verified).toBe(true);
    expect((JSON.parse(answer.raw) as { alipay_cert_sn: string }).alipay_cert_sn).toBe(
      clientCertSn(simulator.certificateOptions.certificates.alipayCert),
    );
    // The public-key mode app's Alipay key does not verify certificate-mode answers.
    const other = readAnswer(answer.raw, 'alipay.trade.query', createPublicKey(simulator.options.alipayPublicKey));
    expect(other.verified).toBe(false);
  });

  it('refuses a wrong or missing app_cert_sn and a wrong alipay_root_cert_sn', async () => {
    const wrongApp = await queryWith(
      {
        ...merchant,
        extra: { ...merchant.extra, app_cert_sn: clientCertSn(simulator.certificateOptions.certificates.alipayCert) },
      },
      'C2',
    );
    expect(wrongApp.fields).toMatchObject({ code: '40002', sub_code: 'isv.app-cert-not-exist' });
    const noApp = await queryWith(
      { ...merchant, extra: { alipay_root_cert_sn: merchant.extra!.alipay_root_cert_sn! } },
      'C2',
    );
    expect(noApp.fields).toMatchObject({ code: '40001', sub_code: 'isv.missing-app-cert-sn' });
    const allRoots = [EC_ROOT_PEM, RSA_SHA1_ROOT_PEM].map((pem) => clientCertSn(pem)).join('_');
    const wrongRoot = await queryWith(
      { ...merchant, extra: { ...merchant.extra, alipay_root_cert_sn: allRoots } },
      'C2',
    );
    expect(wrongRoot.fields).toMatchObject({ code: '40002', sub_code: 'isv.invalid-alipay-root-cert-sn' });
    // A cert-mode app signing with the public-key mode app's key is refused.
    const wrongKey = await queryWith({ ...merchant, key: createPrivateKey(simulator.options.privateKey) }, 'C2');
    expect(wrongKey.fields.sub_code).toBe('isv.invalid-signature');
  });

  it('pays a cert-mode order: return params verify with the Alipay certificate key', async () => {
    const params = signRequest(
      merchant,
      'alipay.trade.wap.pay',
      { out_trade_no: 'C3', total_amount: '1.00', subject: 'cert', product_code: 'QUICK_WAP_WAY' },
      { return_url: 'http://shop.test/r' },
    );
    const html = await (await fetch(`${merchant.gateway}?${qs(params)}`)).text();
    const [form] = parseForms(html, base);
    const paid = await fetch(form!.action, {
      method: 'POST',
      body: new URLSearchParams({ ...form!.fields, action: 'pay' }),
      redirect: 'manual',
    });
    const returned = Object.fromEntries(new URL(paid.headers.get('location')!).searchParams);
    expect(returned.app_id).toBe(merchant.appId);
    expect(verifyV1(returned, alipayCertKey)).toBe(true);
    expect(simulator.trades.get('C3')).toMatchObject({
      status: 'TRADE_SUCCESS',
      totalAmount: '1.00',
      refunded: '0.00',
    });
    expect(simulator.trades.get('C3')!.tradeNo).toBe(returned.trade_no);
    // Another app of the same seller does not see this app's trade.
    const keyApp: Merchant = {
      appId: sandbox.alipay.appId,
      key: createPrivateKey(sandbox.alipay.privateKey),
      gateway: sandbox.alipay.gateway,
    };
    const foreign = readAnswer(
      await callApi(keyApp, signRequest(keyApp, 'alipay.trade.query', { out_trade_no: 'C3' })),
      'alipay.trade.query',
      createPublicKey(sandbox.alipay.alipayPublicKey),
    );
    expect(foreign.fields).toMatchObject({ sub_code: 'ACQ.TRADE_NOT_EXIST' });
    expect(foreign.verified).toBe(true);
  });

  it('injects faults for the next calls of a method only', async () => {
    simulator.inject('alipay.trade.query', { code: '20000', subCode: 'aop.unknow-error' }, 2);
    simulator.inject('alipay.trade.refund', { code: '40004', subCode: 'ACQ.SYSTEM_ERROR', subMsg: '系统错误' });
    for (let i = 0; i < 2; i++) {
      const answer = await queryWith(merchant, 'C1');
      expect(answer.fields).toMatchObject({
        code: '20000',
        msg: 'Service Currently Unavailable',
        sub_code: 'aop.unknow-error',
      });
      expect(answer.verified).toBe(true);
    }
    expect((await queryWith(merchant, 'C1')).fields.sub_code).toBe('ACQ.TRADE_NOT_EXIST');
    const refund = readAnswer(
      await callApi(
        merchant,
        signRequest(merchant, 'alipay.trade.refund', {
          out_trade_no: 'C3',
          refund_amount: '1.00',
          out_request_no: 'R1',
        }),
      ),
      'alipay.trade.refund',
      alipayCertKey,
    );
    expect(refund.fields).toMatchObject({ code: '40004', sub_code: 'ACQ.SYSTEM_ERROR', sub_msg: '系统错误' });
    expect(simulator.trades.get('C3')!.refunded).toBe('0.00');
    // Retried with the same out_request_no, the refund goes through once.
    const retried = readAnswer(
      await callApi(
        merchant,
        signRequest(merchant, 'alipay.trade.refund', {
          out_trade_no: 'C3',
          refund_amount: '1.00',
          out_request_no: 'R1',
        }),
      ),
      'alipay.trade.refund',
      alipayCertKey,
    );
    expect(retried.fields).toMatchObject({ code: '10000', fund_change: 'Y' });
    expect(simulator.trades.get('C3')).toMatchObject({ status: 'TRADE_CLOSED', refunded: '1.00' });
    expect(() => simulator.inject('alipay.trade.query', { code: '20000', subCode: 'x' }, 0)).toThrow(RangeError);
  });

  it('injects a fault into the app SDK and the cashier', async () => {
    simulator.inject('alipay.trade.app.pay', { code: '20000', subCode: 'aop.unknow-error' });
    const params = signRequest(merchant, 'alipay.trade.app.pay', {
      out_trade_no: 'C4',
      total_amount: '1.00',
      subject: 'app',
    });
    const order = Object.entries(params)
      .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
      .join('&');
    const res = await fetch(`${base}/alipay/app/pay`, {
      method: 'POST',
      body: JSON.stringify({ params: { orderString: order }, action: 'pay' }),
    });
    const body = (await res.json()) as { resultStatus: string; memo: string };
    expect(body.resultStatus).toBe('4000');
    expect(body.memo).toContain('aop.unknow-error');
    simulator.inject('alipay.trade.wap.pay', { code: '40004', subCode: 'ACQ.SYSTEM_ERROR' });
    const wap = signRequest(merchant, 'alipay.trade.wap.pay', {
      out_trade_no: 'C5',
      total_amount: '1.00',
      subject: 'wap',
      product_code: 'QUICK_WAP_WAY',
    });
    expect(await (await fetch(`${merchant.gateway}?${qs(wap)}`)).text()).toContain('错误代码 ACQ.SYSTEM_ERROR');
  });
});
