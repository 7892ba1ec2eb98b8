import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPrivateKey, randomUUID, X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPayments, wechatpay, type Payments, type WechatpayOptions } from '../src/index.js';
import type { CoreRequest } from '../src/spi/types.js';
import { createShop, type TestShop } from './helpers/shop.js';
import { rsaSha256 } from './helpers/signing.js';
import { gcmResource, v2Signature, v2Xml } from './helpers/wechatpay-messages.js';

const fx = (name: string) => readFileSync(new URL(`./fixtures/wechatpay/${name}`, import.meta.url), 'utf8');
const platformKey = createPrivateKey(fx('platform_key.pem'));
const V3_KEY = 'K3'.repeat(16);
const V2_KEY = '192006250b4c09247ec02edce69f6a2d';
const MCH = '1230000109';
const WAP = 'wxd678efh567hg6787';
const APP = 'wx0000000000000app';
const KEY_ID = 'PUB_KEY_ID_0114232134912410000000000000000001';
const TX = '4200000540202005267407409907';

const v3Options = (over: Partial<NonNullable<WechatpayOptions['v3']>> = {}): WechatpayOptions => ({
  mchId: MCH,
  appId: { wap: WAP, app: APP },
  v3: {
    apiV3Key: V3_KEY,
    privateKey: fx('merchant_key.pem'),
    certificateSerial: '444F4864EA9B34415D2A5BE1CF0A4C6B8B1B5CAB',
    platformPublicKey: fx('platform_pub.pem'),
    platformPublicKeyId: KEY_ID,
    ...over,
  },
});

function setup(options: WechatpayOptions, clock = () => new Date()): { shop: TestShop; payments: Payments } {
  const shop = createShop();
  const payments = createPayments({
    publicUrl: 'https://shop.example.com/pay',
    providers: { wechatpay: wechatpay(options) },
    ...shop.hooks,
    clock,
    logger: false,
  });
  return { shop, payments };
}

const transaction = (orderId: string, over: Record<string, unknown> = {}) => ({
  mchid: MCH,
  appid: WAP,
  out_trade_no: orderId,
  transaction_id: TX,
  trade_type: 'MWEB',
  trade_state: 'SUCCESS',
  trade_state_desc: '支付成功',
  bank_type: 'OTHERS',
  success_time: '2024-02-22T16:33:20+08:00',
  payer: { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' },
  amount: { total: 100, payer_total: 100, currency: 'CNY', payer_currency: 'CNY' },
  ...over,
});

/** A v3 notify as WeChat sends it: GCM resource, signed headers over the exact bytes. */
function v3Notify(
  resource: Record<string, unknown>,
  opts: {
    type?: 'transaction' | 'refund';
    serial?: string;
    key?: typeof platformKey;
    ts?: number;
    tamper?: (body: string) => string;
    signature?: string;
  } = {},
): CoreRequest {
  const type = opts.type ?? 'transaction';
  const enc = gcmResource(V3_KEY, JSON.stringify(resource), type);
  let body = JSON.stringify({
    id: randomUUID(),
    create_time: '2024-02-22T16:33:21+08:00',
    resource_type: 'encrypt-resource',
    event_type: type === 'transaction' ? 'TRANSACTION.SUCCESS' : 'REFUND.SUCCESS',
    summary: '支付成功',
    resource: { original_type: type, ...enc },
  });
  if (opts.tamper) body = opts.tamper(body);
  const ts = String(opts.ts ?? Math.floor(Date.now() / 1000));
  const nonceStr = randomUUID().replace(/-/g, '');
  const signature = opts.signature ?? rsaSha256(opts.key ?? platformKey, `${ts}\n${nonceStr}\n${body}\n`);
  return {
    method: 'POST',
    path: type === 'transaction' ? '/notify/wechatpay' : '/notify/wechatpay/refund',
    query: new URLSearchParams(),
    headers: {
      'content-type': 'application/json',
      'wechatpay-timestamp': ts,
      'wechatpay-nonce': nonceStr,
      'wechatpay-signature': signature,
      'wechatpay-serial': opts.serial ?? KEY_ID,
      'wechatpay-signature-type': 'WECHATPAY2-SHA256-RSA2048',
    },
    rawBody: Buffer.from(body),
  };
}

const xmlRequest = (xml: string, path = '/notify/wechatpay'): CoreRequest => ({
  method: 'POST',
  path,
  query: new URLSearchParams(),
  headers: { 'content-type': 'text/xml' },
  rawBody: Buffer.from(xml),
});

const SUCCESS_XML = '<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>';

describe('v3 notify through the router', () => {
  it('verified payment → onPaid once, 204; a repeat is acknowledged without a second call', async () => {
    const { shop, payments } = setup(v3Options());
    const order = shop.addOrder({ id: 'T2024022200001', amount: 100 });
    const res = await payments.handle(v3Notify(transaction(order.id)));
    expect(res?.status).toBe(204);
    expect(shop.paid).toHaveLength(1);
    expect(shop.paid[0]).toMatchObject({
      orderId: order.id,
      transactionId: TX,
      amount: 100,
      channel: 'wap',
      payer: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o',
      idempotencyKey: `wechatpay:${TX}`,
    });
    expect(typeof shop.paid[0]!.transactionId).toBe('string');
    expect(shop.paid[0]!.paidAt.toISOString()).toBe('2024-02-22T08:33:20.000Z');
    expect((await payments.handle(v3Notify(transaction(order.id))))?.status).toBe(204);
    expect(shop.paid).toHaveLength(1);
  });

  it('20 concurrent copies of one notify → onPaid once, all acknowledged', async () => {
    const { shop, payments } = setup(v3Options());
    const order = shop.addOrder({ id: 'T2024022200002', amount: 100 });
    const req = v3Notify(transaction(order.id));
    const results = await Promise.all(Array.from({ length: 20 }, () => payments.handle({ ...req })));
    expect(results.map((r) => r?.status)).toEqual(Array(20).fill(204));
    expect(shop.paid).toHaveLength(1);
  });

  it('other mchid or appid → onMismatch and a FAIL ack, never onPaid', async () => {
    const { shop, payments } = setup(v3Options());
    const order = shop.addOrder({ id: 'T2024022200003', amount: 100 });
    const m1 = await payments.handle(v3Notify(transaction(order.id, { mchid: '1900000001' })));
    expect(m1?.status).toBe(409);
    expect(JSON.parse(String(m1?.body))).toMatchObject({ code: 'FAIL' });
    const m2 = await payments.handle(v3Notify(transaction(order.id, { appid: 'wx9999999999999999' })));
    expect(m2?.status).toBe(409);
    expect(shop.mismatches.map((m) => m.reason)).toEqual(['merchant', 'app']);
    expect(shop.paid).toHaveLength(0);
    // the APP app id is one of ours
    expect((await payments.handle(v3Notify(transaction(order.id, { appid: APP, trade_type: 'APP' }))))?.status).toBe(
      204,
    );
    expect(shop.paid[0]?.channel).toBe('app');
  });

  it('wrong amount → onMismatch(amount), FAIL ack', async () => {
    const { shop, payments } = setup(v3Options());
    const order = shop.addOrder({ id: 'T2024022200004', amount: 100 });
    const res = await payments.handle(v3Notify(transaction(order.id, { amount: { total: 1, currency: 'CNY' } })));
    expect(res?.status).toBe(409);
    expect(shop.mismatches[0]).toMatchObject({ reason: 'amount', expected: 100, actual: 1 });
    expect(shop.paid).toHaveLength(0);
  });

  it('a body parsed before paymount → 400 naming the fix, no hook (P1)', async () => {
    const { shop, payments } = setup(v3Options());
    const order = shop.addOrder({ id: 'T2024022200005', amount: 100 });
    const req = v3Notify(transaction(order.id));
    const parsed = JSON.parse(req.rawBody!.toString());
    const bodyHint = 'mount paymount before express.json()';
    const res = await payments.handle({ ...req, rawBody: undefined, parsedBody: parsed, bodyHint });
    expect(res?.status).toBe(400);
    expect(JSON.parse(String(res?.body)).message).toContain(bodyHint);
    expect(shop.paid).toHaveLength(0);
  });

  it('SIGNTEST probe, stale timestamp, forged signature, tampered GCM → 401 FAIL, no hook (P5, P6, P7)', async () => {
    const { shop, payments } = setup(v3Options());
    const order = shop.addOrder({ id: 'T2024022200006', amount: 100 });
    const probe = await payments.handle(
      v3Notify(transaction(order.id), { signature: 'WECHATPAY/SIGNTEST/bm90IGEgcmVhbCBzaWduYXR1cmU=' }),
    );
    expect(probe?.status).toBe(401);
    expect(JSON.parse(String(probe?.body))).toMatchObject({ code: 'FAIL', message: expect.stringMatching(/probe/) });
    const stale = await payments.handle(v3Notify(transaction(order.id), { ts: Math.floor(Date.now() / 1000) - 400 }));
    expect(stale?.status).toBe(401);
    const forged = await payments.handle(
      v3Notify(transaction(order.id), { key: createPrivateKey(fx('merchant_key.pem')) }),
    );
    expect(forged?.status).toBe(401);
    // signed correctly over a body whose GCM tag was altered: verification passes, decryption must not
    const badTag = await payments.handle(
      v3Notify(transaction(order.id), {
        tamper: (b) =>
          b.replace(
            /"ciphertext":"([^"]*)(.)"/,
            (_m, head: string, last: string) => `"ciphertext":"${head}${last === 'A' ? 'B' : 'A'}"`,
          ),
      }),
    );
    expect(badTag?.status).toBe(401);
    expect(JSON.parse(String(badTag?.body)).message).toMatch(/apiV3Key/);
    const unknownKey = await payments.handle(v3Notify(transaction(order.id), { serial: 'PUB_KEY_ID_OTHER' }));
    expect(unknownKey?.status).toBe(401);
    expect(shop.paid).toHaveLength(0);
    expect(shop.mismatches).toHaveLength(0);
  });

  it('a numeric transaction_id (lost digits) is refused; closed and pending states map', async () => {
    const { shop, payments } = setup(v3Options());
    const order = shop.addOrder({ id: 'T2024022200007', amount: 100 });
    expect(
      // eslint-disable-next-line no-loss-of-precision -- a 28-digit id sent as a JSON number is the mistake under test
      (await payments.handle(v3Notify(transaction(order.id, { transaction_id: 4200000540202005267407409907 }))))
        ?.status,
    ).toBe(400);
    expect(
      (await payments.handle(v3Notify(transaction(order.id, { trade_state: 'NOTPAY', transaction_id: undefined }))))
        ?.status,
    ).toBe(204);
    expect(
      (await payments.handle(v3Notify(transaction(order.id, { trade_state: 'CLOSED', transaction_id: undefined }))))
        ?.status,
    ).toBe(204);
    expect(shop.closed).toHaveLength(1);
    expect(shop.paid).toHaveLength(0);
  });

  it('refund notify → onRefunded once', async () => {
    const { shop, payments } = setup(v3Options());
    const order = shop.addOrder({ id: 'T2024022200008', amount: 100 });
    const refund = {
      mchid: MCH,
      out_trade_no: order.id,
      transaction_id: TX,
      out_refund_no: 'R2024022200008',
      refund_id: '50000000382019052709732678859',
      refund_status: 'SUCCESS',
      success_time: '2024-02-22T17:00:00+08:00',
      user_received_account: '支付用户零钱',
      amount: { total: 100, refund: 40, payer_total: 100, payer_refund: 40 },
    };
    expect((await payments.handle(v3Notify(refund, { type: 'refund' })))?.status).toBe(204);
    expect((await payments.handle(v3Notify(refund, { type: 'refund' })))?.status).toBe(204);
    expect(shop.refunds).toHaveLength(1);
    expect(shop.refunds[0]).toMatchObject({
      orderId: order.id,
      refundId: 'R2024022200008',
      amount: 40,
      status: 'success',
    });
  });
});

describe('v2 notifications', () => {
  const payment = (orderId: string, over: Record<string, string> = {}) => ({
    appid: WAP,
    mch_id: MCH,
    nonce_str: '5d2b6c2a8db53831f7eda20af46e531c',
    openid: 'oUpF8uMEb4qRXf22hE3X68TekukE',
    is_subscribe: 'N',
    trade_type: 'MWEB',
    bank_type: 'CMC',
    total_fee: '100',
    fee_type: 'CNY',
    cash_fee: '100',
    transaction_id: TX,
    out_trade_no: orderId,
    time_end: '20240222163320',
    return_code: 'SUCCESS',
    result_code: 'SUCCESS',
    ...over,
  });
  const signed = (fields: Record<string, string>, type: 'MD5' | 'HMAC-SHA256' = 'MD5', key = V2_KEY) =>
    v2Xml({ ...fields, sign: v2Signature(fields, key, type) });

  it('MD5: verified → onPaid with the 28-digit id as a string, exact SUCCESS XML', async () => {
    const { shop, payments } = setup({ mchId: MCH, appId: WAP, v2: { apiKey: V2_KEY } });
    const order = shop.addOrder({ id: 'T2024022200101', amount: 100 });
    const res = await payments.handle(xmlRequest(signed(payment(order.id))));
    expect(res?.status).toBe(200);
    expect(res?.body).toBe(SUCCESS_XML);
    expect(shop.paid[0]).toMatchObject({ transactionId: TX, amount: 100 });
    expect(shop.paid[0]!.paidAt.toISOString()).toBe('2024-02-22T08:33:20.000Z');
  });

  it('HMAC-SHA256 config: verifies without sign_type; another sign_type than the config is refused (P8)', async () => {
    const { shop, payments } = setup({ mchId: MCH, appId: WAP, v2: { apiKey: V2_KEY, signType: 'HMAC-SHA256' } });
    const order = shop.addOrder({ id: 'T2024022200102', amount: 100 });
    const md5 = await payments.handle(xmlRequest(signed({ ...payment(order.id), sign_type: 'MD5' }, 'MD5')));
    expect(md5?.status).toBe(401);
    expect(String(md5?.body)).toMatch(
      /^<xml><return_code><!\[CDATA\[FAIL]]><\/return_code><return_msg><!\[CDATA\[.*signed with MD5 but v2.signType is HMAC-SHA256/,
    );
    const md5NoType = await payments.handle(xmlRequest(signed(payment(order.id), 'MD5')));
    expect(md5NoType?.status).toBe(401);
    expect(shop.paid).toHaveLength(0);
    const ok = await payments.handle(xmlRequest(signed(payment(order.id), 'HMAC-SHA256')));
    expect(ok?.body).toBe(SUCCESS_XML);
    expect(shop.paid).toHaveLength(1);
  });

  it('tampered amount, XXE, duplicated fields → 4xx FAIL XML, no hook', async () => {
    const { shop, payments } = setup({ mchId: MCH, appId: WAP, v2: { apiKey: V2_KEY } });
    const order = shop.addOrder({ id: 'T2024022200103', amount: 100 });
    const good = signed(payment(order.id));
    const tampered = await payments.handle(
      xmlRequest(good.replace('<total_fee><![CDATA[100]]>', '<total_fee><![CDATA[1]]>')),
    );
    expect(tampered?.status).toBe(401);
    const xxe = await payments.handle(
      xmlRequest(`<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]>${good.replace('<openid>', '<openid>&x;')}`),
    );
    expect(xxe?.status).toBe(400);
    expect(String(xxe?.body)).toMatch(/DOCTYPE/);
    const dup = await payments.handle(xmlRequest(good.replace('</xml>', '<total_fee>1</total_fee></xml>')));
    expect(dup?.status).toBe(400);
    expect(String(dup?.body)).toMatch(/more than once/);
    expect(shop.paid).toHaveLength(0);
  });

  it('other mch_id → onMismatch and FAIL XML', async () => {
    const { shop, payments } = setup({ mchId: MCH, appId: WAP, v2: { apiKey: V2_KEY } });
    const order = shop.addOrder({ id: 'T2024022200104', amount: 100 });
    const res = await payments.handle(xmlRequest(signed(payment(order.id, { mch_id: '1900000001' }))));
    expect(res?.status).toBe(409);
    expect(String(res?.body)).toMatch(/FAIL/);
    expect(shop.mismatches[0]?.reason).toBe('merchant');
  });

  it('a v2 refund notify (req_info) at a v3 merchant: with the v2 key → onRefunded; without → 400 (P12)', async () => {
    const reqInfo = fx('v2-req-info.txt').trim();
    const xml = v2Xml({ return_code: 'SUCCESS', appid: WAP, mch_id: MCH, nonce_str: 'abc', req_info: reqInfo });
    const both = setup({ ...v3Options(), v2: { apiKey: V2_KEY } });
    both.shop.addOrder({ id: 'T2023111400001', amount: 100 });
    const res = await both.payments.handle(xmlRequest(xml, '/notify/wechatpay/refund'));
    expect(res?.body).toBe(SUCCESS_XML);
    expect(both.shop.refunds[0]).toMatchObject({
      orderId: 'T2023111400001',
      refundId: 'R2023111400001',
      providerRefundId: '50000505542018011003064518841',
      amount: 50,
      status: 'success',
    });

    const v3Only = setup(v3Options());
    v3Only.shop.addOrder({ id: 'T2023111400001', amount: 100 });
    const refused = await v3Only.payments.handle(xmlRequest(xml, '/notify/wechatpay/refund'));
    expect(refused?.status).toBe(400);
    expect(String(refused?.body)).toMatch(/^<xml><return_code><!\[CDATA\[FAIL]]>.*v2: \{ apiKey \}/);
    expect(v3Only.shop.refunds).toHaveLength(0);

    const forged = await both.payments.handle(
      xmlRequest(
        v2Xml({ return_code: 'SUCCESS', appid: WAP, mch_id: MCH, req_info: Buffer.alloc(64, 7).toString('base64') }),
        '/notify/wechatpay/refund',
      ),
    );
    expect(forged?.status).toBe(401);
  });
});

describe('platform certificates: unknown serial → one refresh, then verify (P2, P3)', () => {
  let server: Server;
  let gateway: string;
  let hits = 0;
  let served: string[] = [];
  // The time WeChat's server signs its answers with: the shop's clock, which a test may move.
  let now = Date.now();
  beforeEach(() => {
    now = Date.now();
  });

  /** A second platform certificate, made with forge (certificate creation only). */
  function makeCert(serialHex: string): { pem: string; key: ReturnType<typeof createPrivateKey> } {
    const keys = forge.pki.rsa.generateKeyPair(2048);
    const cert = forge.pki.createCertificate();
    cert.publicKey = keys.publicKey;
    cert.serialNumber = serialHex;
    cert.validity.notBefore = new Date(Date.now() - 86_400_000);
    cert.validity.notAfter = new Date(Date.now() + 5 * 365 * 86_400_000);
    const name = [{ name: 'commonName', value: 'Tenpay.com Root CA' }];
    cert.setSubject(name);
    cert.setIssuer(name);
    cert.sign(keys.privateKey, forge.md.sha256.create());
    return { pem: forge.pki.certificateToPem(cert), key: createPrivateKey(forge.pki.privateKeyToPem(keys.privateKey)) };
  }
  const oldCert = makeCert('1A2B3C4D5E6F708192A3B4C5D6E7F8091A2B3C4D');
  const newSerial = '5157F09EFDC096DE15EBE78A47057A7B9D2B6A66';

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (
        req.url !== '/v3/certificates' ||
        !String(req.headers.authorization).startsWith('WECHATPAY2-SHA256-RSA2048 ')
      ) {
        res.writeHead(404).end();
        return;
      }
      hits++;
      const data = served.map((pem) => {
        const serial = new X509Certificate(pem).serialNumber;
        return {
          serial_no: serial,
          effective_time: '2024-01-01T00:00:00+08:00',
          expire_time: '2029-01-01T00:00:00+08:00',
          encrypt_certificate: gcmResource(V3_KEY, pem, 'certificate'),
        };
      });
      const body = JSON.stringify({ data });
      const ts = String(Math.floor(now / 1000));
      const sig = rsaSha256(platformKey, `${ts}\nn0nce\n${body}\n`);
      res.writeHead(200, {
        'content-type': 'application/json',
        'wechatpay-timestamp': ts,
        'wechatpay-nonce': 'n0nce',
        'wechatpay-signature': sig,
        'wechatpay-serial': newSerial,
      });
      res.end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    gateway = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('refreshes once on a rotated serial, verifies, and does not refresh again for forged serials', async () => {
    served = [oldCert.pem, fx('platform_cert.pem')];
    const { shop, payments } = setup({
      ...v3Options({
        platformPublicKey: undefined,
        platformPublicKeyId: undefined,
        platformCertificates: [oldCert.pem],
      }),
      gateway,
    });
    const order = shop.addOrder({ id: 'T2024022200201', amount: 100 });
    // the old certificate is known: no download
    expect(
      (
        await payments.handle(
          v3Notify(transaction(order.id, { transaction_id: '4200000000000000000000000001' }), {
            serial: '1A2B3C4D5E6F708192A3B4C5D6E7F8091A2B3C4D',
            key: oldCert.key,
          }),
        )
      )?.status,
    ).toBe(204);
    expect(hits).toBe(0);
    // signed by the rotated certificate: one download, then verified
    const order2 = shop.addOrder({ id: 'T2024022200202', amount: 100 });
    expect(
      (
        await payments.handle(
          v3Notify(transaction(order2.id, { transaction_id: '4200000000000000000000000002' }), { serial: newSerial }),
        )
      )?.status,
    ).toBe(204);
    expect(hits).toBe(1);
    expect(shop.paid.map((p) => p.orderId)).toEqual([order.id, order2.id]);
    // a forged unknown serial right after: refused without another download
    expect((await payments.handle(v3Notify(transaction(order2.id), { serial: 'DEADBEEF' })))?.status).toBe(401);
    expect(hits).toBe(1);
  });

  it("'download' mode downloads at first use", async () => {
    hits = 0;
    served = [fx('platform_cert.pem')];
    const { shop, payments } = setup({
      ...v3Options({ platformPublicKey: undefined, platformPublicKeyId: undefined, platformCertificates: 'download' }),
      gateway,
    });
    const order = shop.addOrder({ id: 'T2024022200203', amount: 100 });
    expect((await payments.handle(v3Notify(transaction(order.id), { serial: newSerial })))?.status).toBe(204);
    expect(hits).toBe(1);
    expect(shop.paid).toHaveLength(1);
  });

  it('downloaded certificates are trusted for 12 hours, then downloaded again', async () => {
    hits = 0;
    served = [fx('platform_cert.pem')];
    const { shop, payments } = setup(
      {
        ...v3Options({
          platformPublicKey: undefined,
          platformPublicKeyId: undefined,
          platformCertificates: 'download',
        }),
        gateway,
      },
      () => new Date(now),
    );
    const notify = (id: string, tx: string) => {
      const order = shop.addOrder({ id, amount: 100 });
      return payments.handle(
        v3Notify(transaction(order.id, { transaction_id: tx }), { serial: newSerial, ts: Math.floor(now / 1000) }),
      );
    };
    expect((await notify('T2024022200205', '4200000000000000000000000005'))?.status).toBe(204);
    now += 12 * 60 * 60 * 1000;
    expect((await notify('T2024022200206', '4200000000000000000000000006'))?.status).toBe(204);
    expect(hits).toBe(1);
    now += 1000;
    expect((await notify('T2024022200207', '4200000000000000000000000007'))?.status).toBe(204);
    expect(hits).toBe(2);
    expect(shop.paid).toHaveLength(3);
  });

  it('a certificate list not signed by a certificate it carries (or a known one) is refused', async () => {
    hits = 0;
    served = [oldCert.pem]; // the server still signs with the key of newSerial, which the list lacks
    const { shop, payments } = setup({
      ...v3Options({ platformPublicKey: undefined, platformPublicKeyId: undefined, platformCertificates: 'download' }),
      gateway,
    });
    const order = shop.addOrder({ id: 'T2024022200204', amount: 100 });
    const res = await payments.handle(v3Notify(transaction(order.id), { serial: newSerial }));
    // WeChat's own download failed verification, not the notify: 503, so that WeChat sends it again
    expect(res?.status).toBe(503);
    expect(JSON.parse(String(res?.body))).toEqual({
      code: 'FAIL',
      message: expect.stringMatching(/downloading platform certificates: .*no WeChat Pay platform key/),
    });
    expect(hits).toBe(1);
    expect(shop.paid).toHaveLength(0);
  });
});
