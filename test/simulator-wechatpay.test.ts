import {
  createDecipheriv,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  randomBytes,
  sign,
  verify,
  X509Certificate,
  type KeyObject,
} from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import { createNotifier } from '../src/sandbox/notifier.js';
import { createSandboxServer } from '../src/sandbox/server.js';
import type { Delivery, Simulator } from '../src/sandbox/types.js';
import { v2Sign } from '../src/sandbox/wechatpay/crypto.js';
import {
  createWechatpaySimulator,
  type WechatpaySandboxOptions,
  type WechatpaySimulator,
} from '../src/sandbox/wechatpay/index.js';
import { parseFlatXml, XmlError } from '../src/sandbox/wechatpay/xml.js';
import { parseForms } from './helpers/html-form.js';

// ---------------------------------------------------------------------------------------------
// What a merchant does, written here with node:crypto directly (not with paymount's client), so a
// mistake shared by client and simulator cannot pass.
// ---------------------------------------------------------------------------------------------

let clockOffset = 0;
const clock = () => new Date(Date.now() + clockOffset);
const TIME_SCALE = 0.0005;

interface Reply {
  status: number;
  headers: Record<string, string>;
  text: string;
}

async function send(
  url: string,
  init: { method: string; headers?: Record<string, string>; body?: string; dispatcher?: Agent },
): Promise<Reply> {
  const res = await request(url, {
    method: init.method as 'GET',
    headers: init.headers,
    body: init.body,
    dispatcher: init.dispatcher,
  });
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') headers[k] = v;
  return { status: res.statusCode, headers, text: await res.body.text() };
}

const appIds = (o: WechatpaySandboxOptions) => o.appId as { wap: string; app: string };

/** A v3 call signed as the spec says: METHOD\nPATH?QUERY\nTIMESTAMP\nNONCE\nBODY\n, SHA256withRSA. */
async function v3Call(
  o: WechatpaySandboxOptions,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  tweak: {
    signature?: string;
    serial?: string;
    timestamp?: string;
    nonce?: string;
    signedTarget?: string;
    mchid?: string;
  } = {},
): Promise<Reply> {
  const url = new URL(`${o.gateway}${path}`);
  const text = body === undefined ? '' : JSON.stringify(body);
  const timestamp = tweak.timestamp ?? String(Math.floor(clock().getTime() / 1000));
  const nonce = tweak.nonce ?? randomBytes(16).toString('hex');
  const message = `${method}\n${tweak.signedTarget ?? url.pathname + url.search}\n${timestamp}\n${nonce}\n${text}\n`;
  const signature =
    tweak.signature ?? sign('sha256', Buffer.from(message), createPrivateKey(o.v3!.privateKey)).toString('base64');
  const authorization = `WECHATPAY2-SHA256-RSA2048 mchid="${tweak.mchid ?? o.mchId}",nonce_str="${nonce}",timestamp="${timestamp}",serial_no="${tweak.serial ?? o.v3!.certificateSerial}",signature="${signature}"`;
  const headers: Record<string, string> = {
    authorization,
    accept: 'application/json',
    'user-agent': 'sandbox-test/1.0',
  };
  if (body !== undefined) headers['content-type'] = 'application/json';
  return send(url.href, { method, headers, body: body === undefined ? undefined : text });
}

/** Checks Wechatpay-* headers over TIMESTAMP\nNONCE\nBODY\n with the given key. */
function verifiesV3(headers: Record<string, string | undefined>, body: string, key: KeyObject): boolean {
  const ts = headers['wechatpay-timestamp'];
  const nonce = headers['wechatpay-nonce'];
  const signature = headers['wechatpay-signature'];
  if (!ts || !nonce || !signature) return false;
  return verify('sha256', Buffer.from(`${ts}\n${nonce}\n${body}\n`), key, Buffer.from(signature, 'base64'));
}

function gcmDecrypt(
  apiV3Key: string,
  resource: { ciphertext: string; nonce: string; associated_data: string },
): string {
  const data = Buffer.from(resource.ciphertext, 'base64');
  const decipher = createDecipheriv('aes-256-gcm', Buffer.from(apiV3Key), Buffer.from(resource.nonce));
  decipher.setAAD(Buffer.from(resource.associated_data));
  decipher.setAuthTag(data.subarray(data.length - 16));
  return Buffer.concat([decipher.update(data.subarray(0, data.length - 16)), decipher.final()]).toString('utf8');
}

/** v2 signature, independently: sorted non-empty k=v except sign, &key=, MD5 or HMAC-SHA256, upper hex. */
function mySign(fields: Record<string, string>, key: string, type: 'MD5' | 'HMAC-SHA256'): string {
  const text = `${Object.keys(fields)
    .filter((k) => k !== 'sign' && fields[k] !== '')
    .sort()
    .map((k) => `${k}=${fields[k]}`)
    .join('&')}&key=${key}`;
  return (type === 'MD5' ? createHash('md5').update(text) : createHmac('sha256', key).update(text))
    .digest('hex')
    .toUpperCase();
}

function toXml(fields: Record<string, string>): string {
  return `<xml>${Object.entries(fields)
    .map(([k, v]) => `<${k}><![CDATA[${v}]]></${k}>`)
    .join('')}</xml>`;
}

function v2Agent(o: WechatpaySandboxOptions, withCertificate: boolean, other?: WechatpaySandboxOptions): Agent {
  const cert = (other ?? o).v2!.clientCertificate!;
  return new Agent({
    connect: withCertificate ? { ca: o.ca, pfx: cert.pfx, passphrase: cert.passphrase } : { ca: o.ca },
  });
}

async function v2Call(
  o: WechatpaySandboxOptions,
  path: string,
  fields: Record<string, string>,
  options: { agent?: Agent; signWith?: string; base?: string } = {},
): Promise<{ status: number; fields: Record<string, string>; text: string }> {
  const type = o.v2!.signType ?? 'MD5';
  const all: Record<string, string> = {
    appid: appIds(o).wap,
    mch_id: o.mchId,
    nonce_str: randomBytes(8).toString('hex'),
    ...fields,
  };
  if (type === 'HMAC-SHA256') all.sign_type = 'HMAC-SHA256';
  all.sign = mySign(all, options.signWith ?? o.v2!.apiKey, type);
  const agent = options.agent ?? v2Agent(o, false);
  try {
    const reply = await send(`${options.base ?? o.gateway}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'text/xml' },
      body: toXml(all),
      dispatcher: agent,
    });
    let parsed: Record<string, string> = {};
    try {
      parsed = parseFlatXml(reply.text);
    } catch {
      // not XML (TLS front-end refusals are plain text)
    }
    return { status: reply.status, fields: parsed, text: reply.text };
  } finally {
    if (!options.agent) await agent.close();
  }
}

function v2ResponseVerifies(fields: Record<string, string>, o: WechatpaySandboxOptions): boolean {
  return fields.sign === mySign(fields, o.v2!.apiKey, o.v2!.signType ?? 'MD5');
}

/** A merchant's notify endpoint on 127.0.0.1:0 that answers from a script and records everything. */
interface Receiver {
  url: string;
  origin: string;
  hits: { headers: IncomingHttpHeaders; body: string }[];
  close(): Promise<void>;
}

async function receiver(answers: { status: number; body?: string }[]): Promise<Receiver> {
  const hits: Receiver['hits'] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      hits.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const answer = answers[Math.min(hits.length - 1, answers.length - 1)]!;
      res.writeHead(answer.status, { 'content-type': 'text/plain' });
      res.end(answer.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${origin}/notify`,
    origin,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function until<T>(probe: () => T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

let seq = 0;
const orderNo = () => `WXT${Date.now()}${++seq}`;

function h5Body(o: WechatpaySandboxOptions, notifyUrl: string, extra: Record<string, unknown> = {}) {
  return {
    appid: appIds(o).wap,
    mchid: o.mchId,
    description: 'Sandbox tea 1 cup',
    out_trade_no: orderNo(),
    notify_url: notifyUrl,
    amount: { total: 1234, currency: 'CNY' },
    scene_info: { payer_client_ip: '203.0.113.7', h5_info: { type: 'Wap' } },
    ...extra,
  };
}

// ---------------------------------------------------------------------------------------------

let sandbox: Sandbox;
const receivers: Receiver[] = [];
async function newReceiver(answers: { status: number; body?: string }[]): Promise<Receiver> {
  const r = await receiver(answers);
  receivers.push(r);
  return r;
}

beforeAll(async () => {
  sandbox = await startSandbox({ timeScale: TIME_SCALE, clock });
});
afterAll(async () => {
  await sandbox?.close();
  for (const r of receivers) await r.close();
});
afterEach(() => {
  clockOffset = 0;
});

const platformKey = () => createPublicKey(sandbox.wechatpay.v3!.platformPublicKey!);

describe('v2 signing (the official example of docs/providers/wechatpay.md#v2-signing)', () => {
  it('matches the MD5 and HMAC-SHA256 values of the official page', () => {
    const fields = {
      appid: 'wxd930ea5d5a258f4f',
      mch_id: '10000100',
      device_info: '1000',
      body: 'test',
      nonce_str: 'ibuaiVcKdpRxkhJA',
    };
    expect(v2Sign(fields, '192006250b4c09247ec02edce69f6a2d', 'MD5')).toBe('9A0A8659F005D6984697E2CA0A9CF3B7');
    expect(v2Sign(fields, '192006250b4c09247ec02edce69f6a2d', 'HMAC-SHA256')).toBe(
      '6A9AE1657590FD6257D693A078E1C3E4BB6BA4DC30B23E0EE2496E54170DACD6',
    );
  });

  it('matches the APP client vector (docs/providers/wechatpay.md#app-checkout)', () => {
    const fields = {
      appid: 'wxd930ea5d5a258f4f',
      partnerid: '1900000109',
      prepayid: '1101000000140415649af9fc314aa427',
      package: 'Sign=WXPay',
      noncestr: '1101000000140429eb40476f8896f4c9',
      timestamp: '1398746574',
    };
    expect(v2Sign(fields, '192006250b4c09247ec02edce69f6a2d', 'MD5')).toBe('5D072367671D5598B65829D2EB113643');
  });

  it('the XML reader refuses DOCTYPE, nesting, duplicates and prototype keys and keeps strings', () => {
    expect(() => parseFlatXml('<!DOCTYPE x [<!ENTITY a "b">]><xml><a>&a;</a></xml>')).toThrow(XmlError);
    expect(() => parseFlatXml('<xml><scene_info><h5_info>x</h5_info></scene_info></xml>')).toThrow(/nested/);
    expect(() => parseFlatXml('<xml><a>1</a><a>2</a></xml>')).toThrow(/more than once/);
    expect(() => parseFlatXml('<xml><__proto__>1</__proto__></xml>')).toThrow(XmlError);
    const parsed = parseFlatXml(
      '<xml><transaction_id>4200000540202005267407409907</transaction_id><b><![CDATA[a]]]]><![CDATA[>b]]></b></xml>',
    );
    expect(parsed.transaction_id).toBe('4200000540202005267407409907');
    expect(parsed.b).toBe('a]]>b');
  });
});

describe('v3 gateway: Authorization and signed responses', () => {
  it('answers a correctly signed H5 prepay with a signed 200 that verifies with the WeChat Pay public key', async () => {
    const o = sandbox.wechatpay;
    const res = await v3Call(
      o,
      'POST',
      '/v3/pay/transactions/h5',
      h5Body(o, 'https://shop.example/pay/notify/wechatpay'),
    );
    expect(res.status).toBe(200);
    expect(res.headers['wechatpay-serial']).toBe(o.v3!.platformPublicKeyId);
    expect(o.v3!.platformPublicKeyId).toMatch(/^PUB_KEY_ID_\d{34}$/);
    expect(res.headers['request-id']).toBeTruthy();
    expect(verifiesV3(res.headers, res.text, platformKey())).toBe(true);
    expect(verifiesV3(res.headers, res.text.replace('prepay_id', 'prepay_iD'), platformKey())).toBe(false);
    const { h5_url: h5Url } = JSON.parse(res.text) as { h5_url: string };
    expect(h5Url.startsWith(`${sandbox.url}/wechatpay/cashier?prepay_id=wx`)).toBe(true);
  });

  it('refuses a bad signature with 401 SIGN_ERROR and no Wechatpay-* headers', async () => {
    const o = sandbox.wechatpay;
    const body = h5Body(o, 'https://shop.example/n');
    const forged = sign('sha256', Buffer.from('something else'), createPrivateKey(o.v3!.privateKey)).toString('base64');
    const res = await v3Call(o, 'POST', '/v3/pay/transactions/h5', body, { signature: forged });
    expect(res.status).toBe(401);
    expect(JSON.parse(res.text).code).toBe('SIGN_ERROR');
    expect(res.headers['wechatpay-signature']).toBeUndefined();
    // Another key entirely (e.g. the platform's or a different merchant's) fails the same way.
    const other = await v3Call(o, 'POST', '/v3/pay/transactions/h5', body, {
      signature: sign(
        'sha256',
        Buffer.from('x'),
        createPrivateKey(sandbox.wechatpayV3Certificates.v3!.privateKey),
      ).toString('base64'),
    });
    expect(other.status).toBe(401);
    // A signature over the path without the gateway prefix is refused, and the error says why.
    const bare = await v3Call(o, 'POST', '/v3/pay/transactions/h5', h5Body(o, 'https://shop.example/n'), {
      signedTarget: '/v3/pay/transactions/h5',
    });
    expect(bare.status).toBe(401);
    expect(bare.text).toContain('gateway prefix');
  });

  it('refuses a missing header, the platform serial, a stale timestamp, a replayed nonce and a foreign mchid', async () => {
    const o = sandbox.wechatpay;
    const missing = await send(`${o.gateway}/v3/pay/transactions/out-trade-no/ABCDEF123?mchid=${o.mchId}`, {
      method: 'GET',
      headers: { accept: 'application/json', 'user-agent': 't' },
    });
    expect(missing.status).toBe(401);
    expect(JSON.parse(missing.text).code).toBe('SIGN_ERROR');

    const platformSerial = await v3Call(
      o,
      'GET',
      `/v3/pay/transactions/out-trade-no/ABCDEF123?mchid=${o.mchId}`,
      undefined,
      { serial: o.v3!.platformPublicKeyId },
    );
    expect(platformSerial.status).toBe(401);
    expect(platformSerial.text).toContain('MERCHANT certificate');

    const stale = await v3Call(o, 'GET', `/v3/pay/transactions/out-trade-no/ABCDEF123?mchid=${o.mchId}`, undefined, {
      timestamp: String(Math.floor(Date.now() / 1000) - 301),
    });
    expect(stale.status).toBe(401);
    expect(JSON.parse(stale.text).message).toContain('5分钟');

    const nonce = randomBytes(16).toString('hex');
    const first = await v3Call(o, 'GET', `/v3/pay/transactions/out-trade-no/ABCDEF123?mchid=${o.mchId}`, undefined, {
      nonce,
    });
    expect(first.status).toBe(404);
    expect(JSON.parse(first.text).code).toBe('ORDER_NOT_EXIST');
    const replay = await v3Call(o, 'GET', `/v3/pay/transactions/out-trade-no/ABCDEF123?mchid=${o.mchId}`, undefined, {
      nonce,
    });
    expect(replay.status).toBe(401);

    const unknownMerchant = await v3Call(
      o,
      'GET',
      `/v3/pay/transactions/out-trade-no/ABCDEF123?mchid=1234567890`,
      undefined,
      { mchid: '1234567890' },
    );
    expect(JSON.parse(unknownMerchant.text).code).toBe('MCH_NOT_EXISTS');

    const foreign = await v3Call(o, 'POST', '/v3/pay/transactions/h5', {
      ...h5Body(o, 'https://shop.example/n'),
      mchid: sandbox.wechatpayV3Certificates.mchId,
    });
    expect(foreign.status).toBe(400);
    expect(JSON.parse(foreign.text).code).toBe('INVALID_REQUEST');
  });

  it('checks prepay parameters: OUT_TRADE_NO_USED, fen amounts, APP app id, queries', async () => {
    const o = sandbox.wechatpay;
    const body = h5Body(o, 'https://shop.example/n');
    expect((await v3Call(o, 'POST', '/v3/pay/transactions/h5', body)).status).toBe(200);
    expect((await v3Call(o, 'POST', '/v3/pay/transactions/h5', body)).status).toBe(200); // same parameters: allowed
    const changed = await v3Call(o, 'POST', '/v3/pay/transactions/h5', {
      ...body,
      amount: { total: 999, currency: 'CNY' },
    });
    expect(changed.status).toBe(400);
    expect(JSON.parse(changed.text)).toMatchObject({ code: 'INVALID_REQUEST', message: '201 商户订单号重复' });
    const yuan = await v3Call(o, 'POST', '/v3/pay/transactions/h5', {
      ...h5Body(o, 'https://shop.example/n'),
      amount: { total: 12.34 },
    });
    expect(JSON.parse(yuan.text)).toMatchObject({ code: 'PARAM_ERROR', detail: { field: '/amount/total' } });
    const noIp = await v3Call(o, 'POST', '/v3/pay/transactions/h5', {
      ...h5Body(o, 'https://shop.example/n'),
      scene_info: { h5_info: { type: 'Wap' } },
    });
    expect(JSON.parse(noIp.text).detail.field).toBe('/scene_info/payer_client_ip');
    const appWithWapId = await v3Call(o, 'POST', '/v3/pay/transactions/app', {
      ...h5Body(o, 'https://shop.example/n'),
      scene_info: undefined,
    });
    expect(appWithWapId.status).toBe(400);
    const query = await v3Call(o, 'GET', `/v3/pay/transactions/out-trade-no/${body.out_trade_no}?mchid=${o.mchId}`);
    expect(query.status).toBe(200);
    expect(verifiesV3(query.headers, query.text, platformKey())).toBe(true);
    expect(JSON.parse(query.text)).toMatchObject({
      trade_state: 'NOTPAY',
      trade_type: 'MWEB',
      amount: { total: 1234 },
    });
    const closed = await v3Call(o, 'POST', `/v3/pay/transactions/out-trade-no/${body.out_trade_no}/close`, {
      mchid: o.mchId,
    });
    expect(closed.status).toBe(204);
    expect(verifiesV3(closed.headers, '', platformKey())).toBe(true);
    const after = await v3Call(o, 'GET', `/v3/pay/transactions/out-trade-no/${body.out_trade_no}?mchid=${o.mchId}`);
    expect(JSON.parse(after.text).trade_state).toBe('CLOSED');
  });
});

describe('v2 gateway: XML, MD5 and HMAC-SHA256', () => {
  const mweb = (o: WechatpaySandboxOptions, notifyUrl: string) => ({
    body: '沙箱-茶',
    out_trade_no: orderNo(),
    total_fee: '1234',
    spbill_create_ip: '203.0.113.7',
    notify_url: notifyUrl,
    trade_type: 'MWEB',
    scene_info: JSON.stringify({ h5_info: { type: 'Wap', wap_url: 'https://shop.example', wap_name: 'shop' } }),
  });

  for (const which of ['wechatpayV2', 'wechatpayV2Hmac'] as const) {
    it(`${which}: a good sign gets a signed SUCCESS with mweb_url; a bad sign gets FAIL 签名错误`, async () => {
      const o = sandbox[which];
      const good = await v2Call(o, '/pay/unifiedorder', mweb(o, 'https://shop.example/notify'));
      expect(good.status).toBe(200);
      expect(good.fields).toMatchObject({ return_code: 'SUCCESS', result_code: 'SUCCESS', trade_type: 'MWEB' });
      expect(good.fields.mweb_url).toContain('/wechatpay/cashier?prepay_id=');
      expect(v2ResponseVerifies(good.fields, o)).toBe(true);
      expect(good.fields.sign).toHaveLength(which === 'wechatpayV2' ? 32 : 64);

      const bad = await v2Call(o, '/pay/unifiedorder', mweb(o, 'https://shop.example/notify'), {
        signWith: 'x'.repeat(32),
      });
      expect(bad.fields).toEqual({ return_code: 'FAIL', return_msg: '签名错误' });
    });
  }

  it('refuses the other algorithm than the configured one, DOCTYPE, nested scene_info, a changed repeat', async () => {
    const o = sandbox.wechatpayV2Hmac;
    // HMAC merchant signing MD5 without sign_type: WeChat assumes MD5, which is not this merchant's setting.
    const all: Record<string, string> = {
      appid: appIds(o).wap,
      mch_id: o.mchId,
      nonce_str: 'abc',
      out_trade_no: 'ABCDEF1',
    };
    all.sign = mySign(all, o.v2!.apiKey, 'MD5');
    const agent = v2Agent(o, false);
    const md5 = await send(`${o.gateway}/pay/orderquery`, { method: 'POST', body: toXml(all), dispatcher: agent });
    expect(parseFlatXml(md5.text).return_code).toBe('FAIL');
    expect(parseFlatXml(md5.text).return_msg).toContain('HMAC-SHA256');
    const xxe = await send(`${o.gateway}/pay/orderquery`, {
      method: 'POST',
      body: `<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY k SYSTEM "file:///etc/passwd">]><xml><mch_id>&k;</mch_id></xml>`,
      dispatcher: agent,
    });
    expect(parseFlatXml(xxe.text).return_msg).toContain('XML格式错误');
    await agent.close();

    const v2 = sandbox.wechatpayV2;
    const nested = await send(`${v2.gateway}/pay/unifiedorder`, {
      method: 'POST',
      body: '<xml><scene_info><h5_info>1</h5_info></scene_info></xml>',
      dispatcher: v2Agent(v2, false),
    });
    expect(parseFlatXml(nested.text).return_msg).toContain('JSON.stringify');

    const order = mweb(v2, 'https://shop.example/notify');
    expect((await v2Call(v2, '/pay/unifiedorder', order)).fields.result_code).toBe('SUCCESS');
    const changed = await v2Call(v2, '/pay/unifiedorder', { ...order, total_fee: '1' });
    expect(changed.fields).toMatchObject({
      return_code: 'SUCCESS',
      result_code: 'FAIL',
      err_code: 'OUT_TRADE_NO_USED',
    });
    expect(v2ResponseVerifies(changed.fields, v2)).toBe(true);
    const unknown = await v2Call(v2, '/pay/orderquery', { out_trade_no: 'NOSUCHORDER' });
    expect(unknown.fields).toMatchObject({ result_code: 'FAIL', err_code: 'ORDERNOTEXIST' });
    const strangerMchId = await v2Call({ ...v2, mchId: '1234567890' }, '/pay/orderquery', { out_trade_no: 'ABCDEF1' });
    expect(strangerMchId.fields).toEqual({ return_code: 'FAIL', return_msg: '签名错误' });
    const otherAppId = await v2Call(v2, '/pay/orderquery', {
      out_trade_no: 'ABCDEF1',
      appid: appIds(sandbox.wechatpayV2Hmac).wap,
    });
    expect(otherAppId.fields).toMatchObject({ result_code: 'FAIL', err_code: 'APPID_MCHID_NOT_MATCH' });
    const noScene = await v2Call(v2, '/pay/unifiedorder', {
      ...mweb(v2, 'https://shop.example/notify'),
      scene_info: '',
    });
    expect(noScene.fields).toMatchObject({ result_code: 'FAIL', err_code: 'LACK_PARAMS' });
  });
});

/** Opens the cashier as a browser would, submits `action`, returns the 302. */
async function cashier(h5Url: string, redirect: string | undefined, action: string): Promise<Reply> {
  const url = redirect === undefined ? h5Url : `${h5Url}&redirect_url=${encodeURIComponent(redirect)}`;
  const pageRes = await send(url, { method: 'GET' });
  expect(pageRes.status).toBe(200);
  const forms = parseForms(pageRes.text, url);
  expect(forms).toHaveLength(1);
  const form = forms[0]!;
  expect(form.method).toBe('POST');
  expect(form.action).toBe(`${sandbox.url}/wechatpay/cashier`);
  expect(form.buttons).toEqual(expect.arrayContaining(['pay', 'cancel']));
  const body = new URLSearchParams({ ...form.fields, action }).toString();
  return send(form.action, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
}

describe('H5 cashier and notifies', () => {
  it('v3: pay → 302 to redirect_url, notify verified and decrypted, retried after a 500 with a fresh signature', async () => {
    const o = sandbox.wechatpay;
    const merchant = await newReceiver([{ status: 500, body: '{"code":"FAIL","message":"busy"}' }, { status: 204 }]);
    const body = h5Body(o, merchant.url);
    const prepay = await v3Call(o, 'POST', '/v3/pay/transactions/h5', body);
    const { h5_url: h5Url } = JSON.parse(prepay.text) as { h5_url: string };
    const page = await send(h5Url, { method: 'GET' });
    expect(page.text).toContain('¥12.34');
    expect(page.text).toContain('Sandbox tea 1 cup');

    const redirect = `${merchant.origin}/pay/return/wechatpay?orderId=${body.out_trade_no}`;
    const paid = await cashier(h5Url, redirect, 'pay');
    expect(paid.status).toBe(302);
    expect(paid.headers.location).toBe(redirect);

    const delivery = await sandbox.waitForDelivery(
      (d) => d.provider === 'wechatpay' && d.orderId === body.out_trade_no,
    );
    expect(delivery.acknowledged).toBe(true);
    expect(delivery.attempts.map((a) => a.status)).toEqual([500, 204]);
    expect(merchant.hits).toHaveLength(2);
    for (const hit of merchant.hits) {
      expect(hit.headers['wechatpay-serial']).toBe(o.v3!.platformPublicKeyId);
      expect(verifiesV3(hit.headers as Record<string, string>, hit.body, platformKey())).toBe(true);
    }
    expect(merchant.hits[0]!.headers['wechatpay-nonce']).not.toBe(merchant.hits[1]!.headers['wechatpay-nonce']);
    expect(merchant.hits[0]!.headers['wechatpay-signature']).not.toBe(merchant.hits[1]!.headers['wechatpay-signature']);
    const envelope = JSON.parse(merchant.hits[1]!.body) as {
      event_type: string;
      resource: { ciphertext: string; nonce: string; associated_data: string };
    };
    expect(envelope.event_type).toBe('TRANSACTION.SUCCESS');
    const transaction = JSON.parse(gcmDecrypt(o.v3!.apiV3Key, envelope.resource));
    expect(transaction).toMatchObject({
      mchid: o.mchId,
      appid: appIds(o).wap,
      out_trade_no: body.out_trade_no,
      trade_state: 'SUCCESS',
      amount: { total: 1234 },
    });
    expect(transaction.transaction_id).toMatch(/^\d{28}$/);
    expect(() => gcmDecrypt('k'.repeat(32), envelope.resource)).toThrow();

    const query = await v3Call(o, 'GET', `/v3/pay/transactions/out-trade-no/${body.out_trade_no}?mchid=${o.mchId}`);
    expect(JSON.parse(query.text)).toMatchObject({
      trade_state: 'SUCCESS',
      transaction_id: transaction.transaction_id,
    });
    const again = await v3Call(o, 'POST', '/v3/pay/transactions/h5', body);
    expect(JSON.parse(again.text).code).toBe('ORDERPAID');
    const close = await v3Call(o, 'POST', `/v3/pay/transactions/out-trade-no/${body.out_trade_no}/close`, {
      mchid: o.mchId,
    });
    expect(JSON.parse(close.text).code).toBe('ORDERPAID');
  });

  it('v2: pay → notify signed with the API key; a plain "success" ack is not an ack', async () => {
    const o = sandbox.wechatpayV2;
    const ok = '<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>';
    const merchant = await newReceiver([
      { status: 200, body: 'success' },
      { status: 200, body: ok },
    ]);
    const outTradeNo = orderNo();
    const prepay = await v2Call(o, '/pay/unifiedorder', {
      body: 'v2 tea',
      out_trade_no: outTradeNo,
      total_fee: '88',
      spbill_create_ip: '203.0.113.7',
      notify_url: merchant.url,
      trade_type: 'MWEB',
      scene_info: JSON.stringify({ h5_info: { type: 'Wap', wap_url: merchant.origin, wap_name: 'shop' } }),
    });
    const paid = await cashier(prepay.fields.mweb_url!, `${merchant.origin}/return`, 'pay');
    expect(paid.status).toBe(302);
    const delivery = await sandbox.waitForDelivery((d) => d.orderId === outTradeNo);
    expect(delivery.attempts).toHaveLength(2);
    expect(delivery.acknowledged).toBe(true);
    const notify = parseFlatXml(merchant.hits[0]!.body);
    expect(notify).toMatchObject({
      return_code: 'SUCCESS',
      result_code: 'SUCCESS',
      out_trade_no: outTradeNo,
      total_fee: '88',
      mch_id: o.mchId,
    });
    expect(notify.transaction_id).toMatch(/^\d{28}$/);
    expect(notify.sign_type).toBeUndefined();
    expect(v2ResponseVerifies(notify, o)).toBe(true);
    expect(mySign({ ...notify, total_fee: '1' }, o.v2!.apiKey, 'MD5')).not.toBe(notify.sign);
  });

  it('enforces the redirect_url domain, its encoding, the 5-minute URL life and time_expire; cancel still redirects', async () => {
    const o = sandbox.wechatpay;
    const merchant = await newReceiver([{ status: 204 }]);
    const body = h5Body(o, merchant.url);
    const { h5_url: h5Url } = JSON.parse((await v3Call(o, 'POST', '/v3/pay/transactions/h5', body)).text) as {
      h5_url: string;
    };
    const evil = await send(`${h5Url}&redirect_url=${encodeURIComponent('https://evil.example/steal')}`, {
      method: 'GET',
    });
    expect(evil.status).toBe(403);
    expect(evil.text).toContain('商家存在未配置的参数');
    const unencoded = await send(`${h5Url}&redirect_url=${merchant.origin}/return?orderId=1&lang=zh`, {
      method: 'GET',
    });
    expect(unencoded.status).toBe(400);
    const referer = await send(h5Url, { method: 'GET', headers: { referer: 'https://other.example/checkout' } });
    expect(referer.status).toBe(403);
    expect((await send(h5Url, { method: 'GET', headers: { referer: `${merchant.origin}/shop/cart` } })).status).toBe(
      200,
    );
    const forgedTicket = await send(h5Url.replace(/package=\d+/, 'package=1234567890'), { method: 'GET' });
    expect(forgedTicket.status).toBe(400);

    const cancelled = await cashier(h5Url, `${merchant.origin}/return`, 'cancel');
    expect(cancelled.status).toBe(302);
    expect(sandbox.deliveries.some((d) => d.orderId === body.out_trade_no)).toBe(false);

    clockOffset = 5 * 60_000 + 1000;
    const late = await send(h5Url, { method: 'GET' });
    expect(late.status).toBe(410);
    expect(late.text).toContain('支付请求已失效');
    clockOffset = 0;

    const expiring = h5Body(o, merchant.url, {
      time_expire: new Date(Date.now() + 60_000).toISOString().replace('Z', '+00:00').replace(/\.\d+/, ''),
    });
    const second = JSON.parse((await v3Call(o, 'POST', '/v3/pay/transactions/h5', expiring)).text) as {
      h5_url: string;
    };
    clockOffset = 2 * 60_000;
    const expired = await send(second.h5_url, { method: 'GET' });
    expect(expired.status).toBe(410);
    expect(expired.text).toContain('订单已关闭');
    const query = await v3Call(o, 'GET', `/v3/pay/transactions/out-trade-no/${expiring.out_trade_no}?mchid=${o.mchId}`);
    expect(JSON.parse(query.text).trade_state).toBe('CLOSED');
  });
});

describe('APP SDK stand-in', () => {
  const post = (params: Record<string, string>, action: string) =>
    send(`${sandbox.url}/wechatpay/app/pay`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ params, action }),
    }).then((r) => JSON.parse(r.text) as { errCode: number; errStr: string });

  it('v3: RSA client signature → errCode 0 (and the notify), -2 on cancel, -1 on a bad signature', async () => {
    const o = sandbox.wechatpay;
    const merchant = await newReceiver([{ status: 200 }]);
    const body = { ...h5Body(o, merchant.url), appid: appIds(o).app, scene_info: undefined };
    const prepay = await v3Call(o, 'POST', '/v3/pay/transactions/app', body);
    expect(prepay.status).toBe(200);
    const { prepay_id: prepayId } = JSON.parse(prepay.text) as { prepay_id: string };
    const timestamp = String(Math.floor(Date.now() / 1000));
    const noncestr = randomBytes(16).toString('hex');
    const signed = sign(
      'sha256',
      Buffer.from(`${appIds(o).app}\n${timestamp}\n${noncestr}\n${prepayId}\n`),
      createPrivateKey(o.v3!.privateKey),
    ).toString('base64');
    const params = {
      appid: appIds(o).app,
      partnerid: o.mchId,
      prepayid: prepayId,
      package: 'Sign=WXPay',
      noncestr,
      timestamp,
      sign: signed,
    };
    expect((await post(params, 'cancel')).errCode).toBe(-2);
    // The JSAPI-style fourth line ("prepay_id=…") is the classic APP mistake (P10).
    const jsapi = sign(
      'sha256',
      Buffer.from(`${appIds(o).app}\n${timestamp}\n${noncestr}\nprepay_id=${prepayId}\n`),
      createPrivateKey(o.v3!.privateKey),
    ).toString('base64');
    expect((await post({ ...params, sign: jsapi }, 'pay')).errCode).toBe(-1);
    expect((await post({ ...params, timestamp: `${timestamp}000` }, 'pay')).errCode).toBe(-1);
    expect((await post({ ...params, appid: appIds(o).wap }, 'pay')).errCode).toBe(-1);
    expect((await post(params, 'pay')).errCode).toBe(0);
    const delivery = await sandbox.waitForDelivery((d) => d.orderId === body.out_trade_no);
    expect(delivery.acknowledged).toBe(true);
    const transaction = JSON.parse(
      gcmDecrypt(
        o.v3!.apiV3Key,
        (
          JSON.parse(merchant.hits[0]!.body) as {
            resource: { ciphertext: string; nonce: string; associated_data: string };
          }
        ).resource,
      ),
    );
    expect(transaction).toMatchObject({ trade_type: 'APP', appid: appIds(o).app, trade_state: 'SUCCESS' });
  });

  it('v2: MD5 client signature over the six fields', async () => {
    const o = sandbox.wechatpayV2;
    const merchant = await newReceiver([{ status: 200, body: '<xml><return_code>SUCCESS</return_code></xml>' }]);
    const outTradeNo = orderNo();
    const prepay = await v2Call(o, '/pay/unifiedorder', {
      appid: appIds(o).app,
      body: 'app tea',
      out_trade_no: outTradeNo,
      total_fee: '5',
      spbill_create_ip: '203.0.113.7',
      notify_url: merchant.url,
      trade_type: 'APP',
    });
    expect(prepay.fields.result_code).toBe('SUCCESS');
    const params: Record<string, string> = {
      appid: appIds(o).app,
      partnerid: o.mchId,
      prepayid: prepay.fields.prepay_id!,
      package: 'Sign=WXPay',
      noncestr: 'n0nce',
      timestamp: String(Math.floor(Date.now() / 1000)),
    };
    params.sign = mySign(params, o.v2!.apiKey, 'MD5');
    expect((await post({ ...params, sign: params.sign.toLowerCase() }, 'pay')).errCode).toBe(-1);
    expect((await post(params, 'fail')).errCode).toBe(-1);
    expect((await post(params, 'pay')).errCode).toBe(0);
    expect((await sandbox.waitForDelivery((d) => d.orderId === outTradeNo)).acknowledged).toBe(true);
  });
});

/** Pays a v2 APP order through the SDK stand-in; returns its out_trade_no. */
async function paidV2Order(o: WechatpaySandboxOptions, total: number, notifyUrl: string): Promise<string> {
  const outTradeNo = orderNo();
  const prepay = await v2Call(o, '/pay/unifiedorder', {
    appid: appIds(o).app,
    body: 'refundable',
    out_trade_no: outTradeNo,
    total_fee: String(total),
    spbill_create_ip: '203.0.113.7',
    notify_url: notifyUrl,
    trade_type: 'APP',
  });
  const params: Record<string, string> = {
    appid: appIds(o).app,
    partnerid: o.mchId,
    prepayid: prepay.fields.prepay_id!,
    package: 'Sign=WXPay',
    noncestr: 'abc',
    timestamp: String(Math.floor(Date.now() / 1000)),
  };
  params.sign = mySign(params, o.v2!.apiKey, o.v2!.signType ?? 'MD5');
  const res = await send(`${sandbox.url}/wechatpay/app/pay`, {
    method: 'POST',
    body: JSON.stringify({ params, action: 'pay' }),
  });
  expect(JSON.parse(res.text).errCode).toBe(0);
  return outTradeNo;
}

describe('refunds', () => {
  it('v2 /secapi/pay/refund: refused without the client certificate, accepted with it; PROCESSING → SUCCESS; req_info decrypts', async () => {
    const o = sandbox.wechatpayV2;
    const ok = '<xml><return_code><![CDATA[SUCCESS]]></return_code></xml>';
    const merchant = await newReceiver([{ status: 200, body: ok }]);
    const outTradeNo = await paidV2Order(o, 300, merchant.url);
    const refund = {
      out_trade_no: outTradeNo,
      out_refund_no: `R${outTradeNo}`,
      total_fee: '300',
      refund_fee: '100',
      notify_url: `${merchant.origin}/refund`,
    };

    const noCert = await v2Call(o, '/secapi/pay/refund', refund);
    expect(noCert.status).toBe(400);
    expect(noCert.text).toContain('No required SSL certificate');
    const plainHttp = await v2Call(o, '/secapi/pay/refund', refund, { base: `${sandbox.url}/wechatpay` });
    expect(plainHttp.status).toBe(400);
    const otherMerchantCert = v2Agent(o, true, sandbox.wechatpayV2Hmac);
    const wrongCert = await v2Call(o, '/secapi/pay/refund', refund, { agent: otherMerchantCert });
    expect(wrongCert.fields.return_code).toBe('FAIL');
    await otherMerchantCert.close();

    const agent = v2Agent(o, true);
    const accepted = await v2Call(o, '/secapi/pay/refund', refund, { agent });
    expect(accepted.fields).toMatchObject({
      return_code: 'SUCCESS',
      result_code: 'SUCCESS',
      refund_fee: '100',
      out_refund_no: refund.out_refund_no,
    });
    expect(v2ResponseVerifies(accepted.fields, o)).toBe(true);
    const over = await v2Call(
      o,
      '/secapi/pay/refund',
      { ...refund, out_refund_no: `S${outTradeNo}`, refund_fee: '201' },
      { agent },
    );
    expect(over.fields).toMatchObject({ result_code: 'FAIL', err_code: 'INVALID_REQUEST' });
    const changedRepeat = await v2Call(o, '/secapi/pay/refund', { ...refund, refund_fee: '99' }, { agent });
    expect(changedRepeat.fields.result_code).toBe('FAIL');
    await agent.close();

    const delivery = await sandbox.waitForDelivery((d) => d.orderId === outTradeNo && d.kind === 'refund');
    expect(delivery.acknowledged).toBe(true);
    const refundHit = merchant.hits.find((h) => h.body.includes('req_info'))!;
    const outer = parseFlatXml(refundHit.body);
    expect(outer.sign).toBeUndefined();
    const key = Buffer.from(createHash('md5').update(o.v2!.apiKey).digest('hex'));
    const decipher = createDecipheriv('aes-256-ecb', key, null);
    const inner = parseFlatXml(
      Buffer.concat([decipher.update(Buffer.from(outer.req_info!, 'base64')), decipher.final()]).toString('utf8'),
      'root',
    );
    expect(inner).toMatchObject({
      out_trade_no: outTradeNo,
      out_refund_no: refund.out_refund_no,
      refund_fee: '100',
      total_fee: '300',
      refund_status: 'SUCCESS',
    });

    const query = await v2Call(o, '/pay/refundquery', { out_refund_no: refund.out_refund_no });
    expect(query.fields).toMatchObject({ result_code: 'SUCCESS', refund_status_0: 'SUCCESS', refund_fee_0: '100' });
  });

  it('v3: PROCESSING then SUCCESS with a REFUND.SUCCESS notify; amount checks', async () => {
    const o = sandbox.wechatpay;
    const merchant = await newReceiver([{ status: 204 }]);
    const body = { ...h5Body(o, merchant.url), appid: appIds(o).app, scene_info: undefined };
    const { prepay_id: prepayId } = JSON.parse((await v3Call(o, 'POST', '/v3/pay/transactions/app', body)).text) as {
      prepay_id: string;
    };
    const ts = String(Math.floor(Date.now() / 1000));
    const signed = sign(
      'sha256',
      Buffer.from(`${appIds(o).app}\n${ts}\nn\n${prepayId}\n`),
      createPrivateKey(o.v3!.privateKey),
    ).toString('base64');
    await send(`${sandbox.url}/wechatpay/app/pay`, {
      method: 'POST',
      body: JSON.stringify({
        params: {
          appid: appIds(o).app,
          partnerid: o.mchId,
          prepayid: prepayId,
          package: 'Sign=WXPay',
          noncestr: 'n',
          timestamp: ts,
          sign: signed,
        },
        action: 'pay',
      }),
    });

    const unpaid = await v3Call(o, 'POST', '/v3/refund/domestic/refunds', {
      out_trade_no: 'NEVERPAID1',
      out_refund_no: 'RN1',
      amount: { refund: 1, total: 1, currency: 'CNY' },
    });
    expect(unpaid.status).toBe(404);
    const wrongTotal = await v3Call(o, 'POST', '/v3/refund/domestic/refunds', {
      out_trade_no: body.out_trade_no,
      out_refund_no: `R${body.out_trade_no}`,
      amount: { refund: 100, total: 1, currency: 'CNY' },
    });
    expect(JSON.parse(wrongTotal.text).code).toBe('INVALID_REQUEST');
    const refund = {
      out_trade_no: body.out_trade_no,
      out_refund_no: `R${body.out_trade_no}`,
      notify_url: `${merchant.origin}/refund`,
      amount: { refund: 1000, total: 1234, currency: 'CNY' },
    };
    const created = await v3Call(o, 'POST', '/v3/refund/domestic/refunds', refund);
    expect(created.status).toBe(200);
    expect(verifiesV3(created.headers, created.text, platformKey())).toBe(true);
    expect(JSON.parse(created.text)).toMatchObject({
      status: 'PROCESSING',
      out_refund_no: refund.out_refund_no,
      amount: { refund: 1000, total: 1234 },
    });
    const over = await v3Call(o, 'POST', '/v3/refund/domestic/refunds', {
      ...refund,
      out_refund_no: `S${body.out_trade_no}`,
      amount: { refund: 235, total: 1234, currency: 'CNY' },
    });
    expect(over.status).toBe(400);

    const delivery = await sandbox.waitForDelivery((d) => d.orderId === body.out_trade_no && d.kind === 'refund');
    expect(delivery.acknowledged).toBe(true);
    const hit = merchant.hits.find((h) => h.body.includes('REFUND.SUCCESS'))!;
    expect(verifiesV3(hit.headers as Record<string, string>, hit.body, platformKey())).toBe(true);
    const payload = JSON.parse(
      gcmDecrypt(
        o.v3!.apiV3Key,
        (JSON.parse(hit.body) as { resource: { ciphertext: string; nonce: string; associated_data: string } }).resource,
      ),
    );
    expect(payload).toMatchObject({
      refund_status: 'SUCCESS',
      out_refund_no: refund.out_refund_no,
      amount: { refund: 1000, total: 1234 },
    });
    const query = await v3Call(o, 'GET', `/v3/refund/domestic/refunds/${refund.out_refund_no}`);
    expect(JSON.parse(query.text).status).toBe('SUCCESS');
  });
});

describe('/v3/certificates', () => {
  it('lists the platform certificate encrypted with the APIv3 key, and signs with it', async () => {
    const o = sandbox.wechatpayV3Certificates;
    expect(o.v3!.platformCertificates).toBe('download');
    const res = await v3Call(o, 'GET', '/v3/certificates');
    expect(res.status).toBe(200);
    const { data } = JSON.parse(res.text) as {
      data: {
        serial_no: string;
        encrypt_certificate: { ciphertext: string; nonce: string; associated_data: string };
      }[];
    };
    expect(data).toHaveLength(1);
    expect(data[0]!.encrypt_certificate.associated_data).toBe('certificate');
    const cert = new X509Certificate(gcmDecrypt(o.v3!.apiV3Key, data[0]!.encrypt_certificate));
    expect(cert.serialNumber.toUpperCase()).toBe(data[0]!.serial_no);
    expect(res.headers['wechatpay-serial']).toBe(data[0]!.serial_no);
    expect(verifiesV3(res.headers, res.text, cert.publicKey)).toBe(true);
    expect(data[0]!.serial_no).not.toBe(o.v3!.certificateSerial);
  });

  it('answers a public-key merchant with RESOURCE_NOT_EXISTS (no platform certificate)', async () => {
    const res = await v3Call(sandbox.wechatpay, 'GET', '/v3/certificates');
    expect(res.status).toBe(404);
    expect(JSON.parse(res.text).code).toBe('RESOURCE_NOT_EXISTS');
  });
});

// A second simulator on the building blocks startSandbox uses (its own CA, so a foreign client
// certificate can be tried), driven through its controls: rotation, fault injection, probes.
describe('simulator controls (standalone on 127.0.0.1)', () => {
  let sim: WechatpaySimulator;
  let deliveries: Delivery[];
  let close: () => Promise<void>;

  beforeAll(async () => {
    deliveries = [];
    const notifier = createNotifier(TIME_SCALE, clock, deliveries);
    const simulators = new Map<string, Simulator<unknown>>();
    const server = createSandboxServer(simulators);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    sim = await createWechatpaySimulator({ baseUrl: `${url}/wechatpay`, clock, timeScale: TIME_SCALE, notifier });
    simulators.set('wechatpay', sim);
    close = async () => {
      notifier.close();
      await sim.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    };
  });
  afterAll(async () => close?.());

  it('rotation: a new serial signs, the old certificate stays listed', async () => {
    const o = sim.v3CertificateOptions;
    const before = await v3Call(o, 'GET', '/v3/certificates');
    const oldSerial = before.headers['wechatpay-serial'];
    sim.rotatePlatformCertificate();
    const after = await v3Call(o, 'GET', '/v3/certificates');
    const newSerial = after.headers['wechatpay-serial'];
    expect(newSerial).toBeTruthy();
    expect(newSerial).not.toBe(oldSerial);
    const { data } = JSON.parse(after.text) as {
      data: {
        serial_no: string;
        encrypt_certificate: { ciphertext: string; nonce: string; associated_data: string };
      }[];
    };
    expect(data.map((d) => d.serial_no).sort()).toEqual([oldSerial, newSerial].sort());
    const current = data.find((d) => d.serial_no === newSerial)!;
    expect(
      verifiesV3(
        after.headers,
        after.text,
        new X509Certificate(gcmDecrypt(o.v3!.apiV3Key, current.encrypt_certificate)).publicKey,
      ),
    ).toBe(true);
  });

  it("/secapi/* refuses a client certificate from another CA (another sandbox's)", async () => {
    const foreignCert = v2Agent(sandbox.wechatpayV2, true, sim.v2Options);
    const res = await v2Call(
      sandbox.wechatpayV2,
      '/secapi/pay/refund',
      { out_trade_no: 'ABCDEF1', out_refund_no: 'R1', total_fee: '1', refund_fee: '1' },
      { agent: foreignCert },
    );
    await foreignCert.close();
    expect(res.status).toBe(400);
    expect(res.text).toContain('SSL certificate error');
  });

  it('inject: the next call answers with the fault, then normal service resumes', async () => {
    const o = sim.options;
    sim.inject('/v3/pay/transactions/h5', { status: 500, code: 'SYSTEM_ERROR', message: '系统错误' });
    const body = h5Body(o, 'https://shop.example/n');
    const faulted = await v3Call(o, 'POST', '/v3/pay/transactions/h5', body);
    expect(faulted.status).toBe(500);
    expect(JSON.parse(faulted.text).code).toBe('SYSTEM_ERROR');
    expect((await v3Call(o, 'POST', '/v3/pay/transactions/h5', body)).status).toBe(200);
  });

  it('a WECHATPAY/SIGNTEST/ probe is sent first, and a correctly signed retry follows a 4xx', async () => {
    const o = sim.options;
    const merchant = await newReceiver([{ status: 401 }, { status: 204 }]);
    sim.injectSignatureProbe();
    const body = { ...h5Body(o, merchant.url), appid: appIds(o).app, scene_info: undefined };
    const { prepay_id: prepayId } = JSON.parse((await v3Call(o, 'POST', '/v3/pay/transactions/app', body)).text) as {
      prepay_id: string;
    };
    const ts = String(Math.floor(Date.now() / 1000));
    const signed = sign(
      'sha256',
      Buffer.from(`${appIds(o).app}\n${ts}\nn\n${prepayId}\n`),
      createPrivateKey(o.v3!.privateKey),
    ).toString('base64');
    const base = o.gateway!;
    const res = await send(`${base}/app/pay`, {
      method: 'POST',
      body: JSON.stringify({
        params: {
          appid: appIds(o).app,
          partnerid: o.mchId,
          prepayid: prepayId,
          package: 'Sign=WXPay',
          noncestr: 'n',
          timestamp: ts,
          sign: signed,
        },
        action: 'pay',
      }),
    });
    expect(JSON.parse(res.text).errCode).toBe(0);
    await until(() => deliveries.find((d) => d.orderId === body.out_trade_no && d.finished), 'the delivery');
    expect(merchant.hits[0]!.headers['wechatpay-signature']).toMatch(/^WECHATPAY\/SIGNTEST\//);
    const key = createPublicKey(o.v3!.platformPublicKey!);
    expect(verifiesV3(merchant.hits[1]!.headers as Record<string, string>, merchant.hits[1]!.body, key)).toBe(true);
  });

  it('a refund made in the merchant platform notifies a v3 merchant in v2 XML (P12)', async () => {
    const o = sim.options;
    const merchant = await newReceiver([{ status: 200, body: '<xml><return_code>SUCCESS</return_code></xml>' }]);
    const body = { ...h5Body(o, merchant.url), appid: appIds(o).app, scene_info: undefined };
    const { prepay_id: prepayId } = JSON.parse((await v3Call(o, 'POST', '/v3/pay/transactions/app', body)).text) as {
      prepay_id: string;
    };
    const ts = String(Math.floor(Date.now() / 1000));
    const signed = sign(
      'sha256',
      Buffer.from(`${appIds(o).app}\n${ts}\nn\n${prepayId}\n`),
      createPrivateKey(o.v3!.privateKey),
    ).toString('base64');
    await send(`${o.gateway}/app/pay`, {
      method: 'POST',
      body: JSON.stringify({
        params: {
          appid: appIds(o).app,
          partnerid: o.mchId,
          prepayid: prepayId,
          package: 'Sign=WXPay',
          noncestr: 'n',
          timestamp: ts,
          sign: signed,
        },
        action: 'pay',
      }),
    });
    sim.platformRefund({
      mchId: o.mchId,
      outTradeNo: body.out_trade_no,
      outRefundNo: 'PLATFORM1',
      amount: 34,
      notifyUrl: `${merchant.origin}/refund`,
    });
    const hit = await until(() => merchant.hits.find((h) => h.body.includes('req_info')), 'the refund notify');
    expect(hit.headers['content-type']).toContain('text/xml');
    const key = Buffer.from(createHash('md5').update(sim.v2ApiKey(o.mchId)).digest('hex'));
    const decipher = createDecipheriv('aes-256-ecb', key, null);
    const inner = parseFlatXml(
      Buffer.concat([
        decipher.update(Buffer.from(parseFlatXml(hit.body).req_info!, 'base64')),
        decipher.final(),
      ]).toString('utf8'),
      'root',
    );
    expect(inner).toMatchObject({
      refund_fee: '34',
      refund_request_source: 'VENDOR_PLATFORM',
      refund_status: 'SUCCESS',
    });
  });
});
