import { createCipheriv, createHash, createPrivateKey, createPublicKey, randomUUID, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { resolveWechatpayConfig, type WechatpayOptions } from '../src/providers/wechatpay/config.js';
import { attachOf } from '../src/providers/wechatpay/fields.js';
import { parseWechatNotify } from '../src/providers/wechatpay/notify.js';
import { parseWechatReturn } from '../src/providers/wechatpay/return.js';
import type { ProviderEvent } from '../src/spi/provider.js';
import type { CoreRequest } from '../src/spi/types.js';
import { fixture } from './helpers/fixtures.js';
import { rsaSha256 } from './helpers/signing.js';
import { gcmResource, v2Signature, v2Xml } from './helpers/wechatpay-messages.js';
import { expectAsyncRefusal } from './helpers/refusal.js';

/**
 * WeChat Pay notifications in both API versions and the unsigned return, read after verification
 * (docs/providers/wechatpay.md#notify). messages built from WeChat's documentation with node:crypto,
 * each changed the way a forger, a replay, a folded field or another merchant's message would
 * change it. Every refusal names its code.
 */
const MCH = '1230000109';
const WAP = 'wxd678efh567hg6787';
const APP = 'wx0000000000000app';
const V2_KEY = '192006250b4c09247ec02edce69f6a2d';
const V3_KEY = 'K3'.repeat(16);
const KEY_ID = 'PUB_KEY_ID_0114232134912410000000000000000001';
const TX = '4200000540202005267407409907';
const NOW = new Date('2026-11-29T09:50:30Z');
const clock = () => NOW;
const platformKey = createPrivateKey(fixture('wechatpay/platform_key.pem'));
const platformPublic: KeyObject = createPublicKey(platformKey);

const options = (signType: 'MD5' | 'HMAC-SHA256' = 'MD5'): WechatpayOptions => ({
  mchId: MCH,
  appId: { wap: WAP, app: APP },
  v2: { apiKey: V2_KEY, signType },
  v3: {
    apiV3Key: V3_KEY,
    privateKey: fixture('wechatpay/merchant_key.pem'),
    certificateSerial: '444F4864EA9B34415D2A5BE1CF0A4C6B8B1B5CAB',
    platformPublicKey: fixture('wechatpay/platform_pub.pem'),
    platformPublicKeyId: KEY_ID,
  },
  gateway: 'http://127.0.0.1:9',
});
const config = resolveWechatpayConfig(options());
const lookup = (serial: string) => Promise.resolve(serial === KEY_ID ? platformPublic : undefined);

const request = (body: string, contentType?: string): CoreRequest => ({
  method: 'POST',
  path: '/notify/wechatpay',
  query: new URLSearchParams(),
  headers: contentType === undefined ? {} : { 'content-type': contentType },
  rawBody: Buffer.from(body),
});

// ---- API v2 -------------------------------------------------------------------------------------

/** A paid v2 notify with `changes` (`undefined` drops a field), signed with the API v2 key. */
function v2Paid(changes: Record<string, string | undefined> = {}, signType: 'MD5' | 'HMAC-SHA256' = 'MD5') {
  const merged: Record<string, string | undefined> = {
    return_code: 'SUCCESS',
    result_code: 'SUCCESS',
    appid: WAP,
    mch_id: MCH,
    nonce_str: '5K8264ILTKCH16CQ2502SI8ZNMTM67VS',
    openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o',
    trade_type: 'MWEB',
    bank_type: 'OTHERS',
    total_fee: '100',
    fee_type: 'CNY',
    cash_fee: '100',
    transaction_id: TX,
    out_trade_no: 'T20261129001',
    attach: 'A-1',
    time_end: '20261129175012',
    ...changes,
  };
  const fields = Object.fromEntries(Object.entries(merged).filter(([, v]) => v !== undefined)) as Record<
    string,
    string
  >;
  return { ...fields, sign: v2Signature(fields, V2_KEY, signType) };
}

const v2 = (fields: Record<string, string>, cfg = config) =>
  parseWechatNotify(cfg, request(v2Xml(fields), 'text/xml'), lookup, clock);

/** A pattern matching `text` and nothing else. */
const exactly = (text: string) => new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);

/** The mismatch of an event that can carry one. */
const mismatchOf = (event: ProviderEvent) => ('mismatch' in event ? event.mismatch : undefined);

describe('WeChat Pay v2 notify: a payment', () => {
  it('accepts the signed notify and yields its facts', async () => {
    expect(await v2(v2Paid())).toEqual({
      type: 'paid',
      tradeNo: 'T20261129001',
      orderId: 'A-1',
      transactionId: TX,
      amount: 100,
      paidAt: new Date('2026-11-29T09:50:12Z'),
      channel: 'wap',
      payer: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o',
      raw: expect.objectContaining({ out_trade_no: 'T20261129001', total_fee: '100' }) as unknown,
      mismatch: undefined,
    });
  });

  it('accepts a lower-case hex sign and sign_type naming the configured algorithm', async () => {
    const signed = v2Paid({ sign_type: 'MD5' });
    expect(await v2({ ...signed, sign: signed.sign.toLowerCase() })).toMatchObject({ type: 'paid', amount: 100 });
    const hmac = resolveWechatpayConfig(options('HMAC-SHA256'));
    expect(await v2(v2Paid({ sign_type: 'HMAC-SHA256' }, 'HMAC-SHA256'), hmac)).toMatchObject({ type: 'paid' });
  });

  it('refuses a changed amount, a missing sign, or a sign made with another algorithm: SIGNATURE_INVALID', async () => {
    const signed = v2Paid();
    await expectAsyncRefusal(
      () => v2({ ...signed, total_fee: '1' }),
      'SIGNATURE_INVALID',
      /does not verify with v2.apiKey \(MD5\)/,
    );
    const { sign: _sign, ...unsigned } = signed;
    await expectAsyncRefusal(() => v2(unsigned), 'SIGNATURE_INVALID', /does not verify/);
    await expectAsyncRefusal(() => v2(v2Paid({}, 'HMAC-SHA256')), 'SIGNATURE_INVALID', /does not verify/);
    await expectAsyncRefusal(() => v2({ ...signed, sign: `${signed.sign}0` }), 'SIGNATURE_INVALID', /does not verify/);
  });

  it('refuses a notify naming another algorithm than the configured one, before verifying', async () => {
    const named = v2Paid({ sign_type: 'HMAC-SHA256' }, 'HMAC-SHA256');
    await expectAsyncRefusal(() => v2(named), 'SIGNATURE_INVALID', /signed with HMAC-SHA256 but v2.signType is MD5/);
  });

  it('refuses a failed return_code, naming it, with or without a message', async () => {
    const fail = { return_code: 'FAIL', return_msg: '签名失败' };
    await expectAsyncRefusal(() => v2(fail), 'REQUEST_INVALID', /return_code=FAIL: 签名失败/);
    await expectAsyncRefusal(() => v2({ return_msg: 'x' }), 'REQUEST_INVALID', /return_code=\(none\): x/);
    await expectAsyncRefusal(() => v2({ return_code: 'FAIL' }), 'REQUEST_INVALID', /return_code=FAIL: no message/);
  });

  it('refuses a verified notify without out_trade_no, or whose result_code is neither SUCCESS nor FAIL', async () => {
    await expectAsyncRefusal(() => v2(v2Paid({ out_trade_no: undefined })), 'REQUEST_INVALID', /no out_trade_no/);
    await expectAsyncRefusal(() => v2(v2Paid({ result_code: undefined })), 'REQUEST_INVALID', /result_code ""/);
    await expectAsyncRefusal(
      () => v2(v2Paid({ result_code: 'SUCCESS&x=1' })),
      'REQUEST_INVALID',
      /result_code "SUCCESS&x=1"/,
    );
  });

  it('reads result_code FAIL as closed, with its err_code or FAIL', async () => {
    expect(await v2(v2Paid({ result_code: 'FAIL', err_code: 'ORDERCLOSED' }))).toMatchObject({
      type: 'closed',
      tradeNo: 'T20261129001',
      orderId: 'A-1',
      transactionId: TX,
      reason: 'ORDERCLOSED',
      mismatch: undefined,
    });
    expect(await v2(v2Paid({ result_code: 'FAIL', transaction_id: undefined }))).toMatchObject({
      type: 'closed',
      transactionId: undefined,
      reason: 'FAIL',
    });
    const foreign = await v2(v2Paid({ result_code: 'FAIL', mch_id: '1230000110' }));
    expect(foreign).toMatchObject({ type: 'closed', mismatch: { reason: 'merchant', field: 'mch_id' } });
  });

  it('refuses a malformed amount, transaction id or time', async () => {
    await expectAsyncRefusal(() => v2(v2Paid({ total_fee: '1.00' })), 'REQUEST_INVALID', /total_fee is missing or not/);
    await expectAsyncRefusal(() => v2(v2Paid({ total_fee: undefined })), 'REQUEST_INVALID', /total_fee is missing/);
    await expectAsyncRefusal(
      () => v2(v2Paid({ transaction_id: undefined })),
      'REQUEST_INVALID',
      /transaction_id is missing/,
    );
    await expectAsyncRefusal(
      () => v2(v2Paid({ transaction_id: '42x' })),
      'REQUEST_INVALID',
      /transaction_id is missing or not/,
    );
    await expectAsyncRefusal(() => v2(v2Paid({ transaction_id: '1'.repeat(65) })), 'REQUEST_INVALID', /transaction_id/);
    await expectAsyncRefusal(() => v2(v2Paid({ time_end: '2026-11-29' })), 'REQUEST_INVALID', /time_end "2026-11-29"/);
  });

  it('reports another merchant, another app, another currency or a missing field as a mismatch', async () => {
    expect(mismatchOf(await v2(v2Paid({ mch_id: '1230000110' })))).toEqual({
      reason: 'merchant',
      field: 'mch_id',
      expected: MCH,
      actual: '1230000110',
    });
    expect(mismatchOf(await v2(v2Paid({ mch_id: undefined })))).toEqual({
      reason: 'missing',
      field: 'mch_id',
      expected: MCH,
      actual: '',
    });
    expect(mismatchOf(await v2(v2Paid({ appid: 'wx1111111111111111' })))).toEqual({
      reason: 'app',
      field: 'appid',
      expected: `${WAP} or ${APP}`,
      actual: 'wx1111111111111111',
    });
    expect(mismatchOf(await v2(v2Paid({ appid: undefined })))).toMatchObject({ reason: 'missing', field: 'appid' });
    expect(mismatchOf(await v2(v2Paid({ fee_type: 'USD' })))).toEqual({
      reason: 'currency',
      expected: 'CNY',
      actual: 'USD',
    });
    expect(mismatchOf(await v2(v2Paid({ fee_type: undefined })))).toBeUndefined();
    expect(await v2(v2Paid({ time_end: undefined }))).toMatchObject({
      paidAt: NOW,
      mismatch: { reason: 'missing', field: 'time_end', expected: 'the payment time' },
    });
    expect(mismatchOf(await v2(v2Paid({ openid: undefined })))).toMatchObject({ field: 'openid' });
  });

  it("accepts a payment at any configured channel's app, and names the channel", async () => {
    expect(await v2(v2Paid({ appid: APP, trade_type: 'APP' }))).toMatchObject({ channel: 'app', mismatch: undefined });
  });
});

describe('WeChat Pay v2 notify: a refund', () => {
  /** `req_info`: AES-256-ECB keyed with the lower-case hex MD5 of the API v2 key (WeChat's refund notify rule). */
  function reqInfo(inner: Record<string, string>, key = V2_KEY): string {
    const aesKey = Buffer.from(createHash('md5').update(key, 'utf8').digest('hex'), 'ascii');
    const cipher = createCipheriv('aes-256-ecb', aesKey, null);
    const xml = v2Xml(inner)
      .replace(/^<xml>/, '<root>')
      .replace(/<\/xml>$/, '</root>');
    return Buffer.concat([cipher.update(xml, 'utf8'), cipher.final()]).toString('base64');
  }
  const inner = (changes: Record<string, string | undefined> = {}) =>
    Object.fromEntries(
      Object.entries({
        out_trade_no: 'T20261129001',
        out_refund_no: 'RF1',
        refund_id: '50000000382019052709732678859',
        refund_fee: '60',
        refund_status: 'SUCCESS',
        ...changes,
      }).filter(([, v]) => v !== undefined),
    ) as Record<string, string>;
  const refundXml = (info: string, outer: Record<string, string> = {}) => ({
    return_code: 'SUCCESS',
    appid: WAP,
    mch_id: MCH,
    nonce_str: 'x',
    req_info: info,
    ...outer,
  });

  it('decrypts req_info and yields the refund, checking the outer merchant', async () => {
    expect(await v2(refundXml(reqInfo(inner())))).toEqual({
      type: 'refunded',
      tradeNo: 'T20261129001',
      refundId: 'RF1',
      providerRefundId: '50000000382019052709732678859',
      amount: 60,
      status: 'success',
      raw: expect.objectContaining({ out_refund_no: 'RF1', appid: WAP, mch_id: MCH }) as unknown,
      mismatch: undefined,
    });
    const foreign = await v2(refundXml(reqInfo(inner()), { mch_id: '1230000110' }));
    expect(mismatchOf(foreign)).toMatchObject({ reason: 'merchant', field: 'mch_id' });
    expect(await v2(refundXml(reqInfo(inner({ refund_status: 'CHANGE' }))))).toMatchObject({ status: 'failed' });
  });

  it('refuses req_info encrypted with another key, or not encrypted at all: DECRYPT_FAILED', async () => {
    await expectAsyncRefusal(
      () => v2(refundXml(reqInfo(inner(), 'x'.repeat(32)))),
      'DECRYPT_FAILED',
      /req_info does not decrypt/,
    );
    await expectAsyncRefusal(() => v2(refundXml('bm90IGVuY3J5cHRlZA==')), 'DECRYPT_FAILED');
  });

  it('refuses a refund lacking its numbers, amount or state', async () => {
    await expectAsyncRefusal(
      () => v2(refundXml(reqInfo(inner({ out_trade_no: undefined })))),
      'REQUEST_INVALID',
      /no out_trade_no/,
    );
    await expectAsyncRefusal(
      () => v2(refundXml(reqInfo(inner({ out_refund_no: undefined })))),
      'REQUEST_INVALID',
      /out_refund_no/,
    );
    await expectAsyncRefusal(
      () => v2(refundXml(reqInfo(inner({ refund_fee: '0.6' })))),
      'REQUEST_INVALID',
      /refund_fee/,
    );
    await expectAsyncRefusal(
      () => v2(refundXml(reqInfo(inner({ refund_status: undefined })))),
      'REQUEST_INVALID',
      /refund_status/,
    );
  });
});

// ---- API v3 -------------------------------------------------------------------------------------

interface V3Message {
  body: string;
  headers: Record<string, string>;
}

/** A v3 notify: `resource` encrypted with the APIv3 key, the headers signed over the body with the platform key. */
function v3(resource: Record<string, unknown>, opts: { type?: 'transaction' | 'refund'; event?: string } = {}) {
  const type = opts.type ?? 'transaction';
  const body = JSON.stringify({
    id: randomUUID(),
    event_type: opts.event ?? (type === 'transaction' ? 'TRANSACTION.SUCCESS' : 'REFUND.SUCCESS'),
    resource_type: 'encrypt-resource',
    resource: { original_type: type, ...gcmResource(V3_KEY, JSON.stringify(resource), type) },
  });
  return signed(body);
}

function signed(body: string, at = NOW, headers: Record<string, string> = {}): V3Message {
  const timestamp = String(Math.floor(at.getTime() / 1000));
  const nonce = randomUUID().replace(/-/g, '');
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'wechatpay-timestamp': timestamp,
      'wechatpay-nonce': nonce,
      'wechatpay-signature': rsaSha256(platformKey, `${timestamp}\n${nonce}\n${body}\n`),
      'wechatpay-serial': KEY_ID,
      'wechatpay-signature-type': 'WECHATPAY2-SHA256-RSA2048',
      ...headers,
    },
  };
}

const send = (m: V3Message) => parseWechatNotify(config, { ...request(m.body), headers: m.headers }, lookup, clock);

const transaction = (over: Record<string, unknown> = {}) => ({
  mchid: MCH,
  appid: WAP,
  out_trade_no: 'T20261129001',
  transaction_id: TX,
  trade_type: 'MWEB',
  trade_state: 'SUCCESS',
  attach: 'A-1',
  success_time: '2026-11-29T17:50:12+08:00',
  payer: { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' },
  amount: { total: 100, payer_total: 100, currency: 'CNY', payer_currency: 'CNY' },
  ...over,
});

describe('WeChat Pay v3 notify: the signed headers', () => {
  it('accepts a notify signed within five minutes, either way', async () => {
    const body = JSON.stringify({
      event_type: 'TRANSACTION.SUCCESS',
      resource: { original_type: 'transaction', ...gcmResource(V3_KEY, JSON.stringify(transaction()), 'x') },
    });
    for (const skew of [-299, 299]) {
      expect(await send(signed(body, new Date(NOW.getTime() + skew * 1000)))).toMatchObject({ type: 'paid' });
    }
  });

  it('refuses a notify signed five minutes or more away: SIGNATURE_STALE', async () => {
    const body = '{"resource":{}}';
    for (const skew of [-300, 300, 86_400]) {
      const stale = signed(body, new Date(NOW.getTime() + skew * 1000));
      await expectAsyncRefusal(() => send(stale), 'SIGNATURE_STALE', new RegExp(`is ${Math.abs(skew)} s away`));
    }
  });

  it('names every missing header: SIGNATURE_MISSING', async () => {
    const m = signed('{}');
    const { 'wechatpay-nonce': _n, 'wechatpay-serial': _s, ...rest } = m.headers;
    await expectAsyncRefusal(
      () => send({ ...m, headers: rest }),
      'SIGNATURE_MISSING',
      /^missing Wechatpay-Nonce, Wechatpay-Serial: not a signed/,
    );
    const { 'wechatpay-timestamp': _t, 'wechatpay-signature': _g, ...others } = m.headers;
    await expectAsyncRefusal(
      () => send({ ...m, headers: others }),
      'SIGNATURE_MISSING',
      /^missing Wechatpay-Timestamp, Wechatpay-Signature:/,
    );
  });

  it('refuses another signature type, a timestamp that is not Unix seconds, and a probe', async () => {
    const m = signed('{}');
    const other = { ...m, headers: { ...m.headers, 'wechatpay-signature-type': 'WECHATPAY2-SM2-WITH-SM3' } };
    await expectAsyncRefusal(
      () => send(other),
      'SIGNATURE_INVALID',
      /unsupported Wechatpay-Signature-Type "WECHATPAY2-SM2/,
    );
    const millis = { ...m, headers: { ...m.headers, 'wechatpay-timestamp': String(NOW.getTime()) + '0' } };
    await expectAsyncRefusal(() => send(millis), 'SIGNATURE_INVALID', /not Unix seconds/);
    const text = { ...m, headers: { ...m.headers, 'wechatpay-timestamp': `${m.headers['wechatpay-timestamp']}x` } };
    await expectAsyncRefusal(() => send(text), 'SIGNATURE_INVALID', /not Unix seconds/);
    const probe = { ...m, headers: { ...m.headers, 'wechatpay-signature': 'WECHATPAY/SIGNTEST/abc' } };
    await expectAsyncRefusal(() => send(probe), 'SIGNATURE_PROBE');
  });

  it('refuses an unknown key serial, naming what to configure: SIGNATURE_UNKNOWN_KEY', async () => {
    const m = signed('{}');
    const other = { ...m, headers: { ...m.headers, 'wechatpay-serial': 'PUB_KEY_ID_0000' } };
    await expectAsyncRefusal(() => send(other), 'SIGNATURE_UNKNOWN_KEY', /configure v3.platformPublicKey/);
    const cert = { ...m, headers: { ...m.headers, 'wechatpay-serial': '5157F09EFDC096DE15EBE81A47057A72' } };
    await expectAsyncRefusal(() => send(cert), 'SIGNATURE_UNKNOWN_KEY', /a platform certificate serial/);
  });

  it('refuses a changed body or a truncated signature: SIGNATURE_INVALID', async () => {
    const m = v3(transaction());
    await expectAsyncRefusal(
      () => send({ ...m, body: m.body.replace('TRANSACTION', 'TRANSACTIOM') }),
      'SIGNATURE_INVALID',
    );
    const cut = { ...m, headers: { ...m.headers, 'wechatpay-signature': m.headers['wechatpay-signature']!.slice(4) } };
    await expectAsyncRefusal(() => send(cut), 'SIGNATURE_INVALID', /does not verify with the key PUB_KEY_ID_/);
  });
});

describe('WeChat Pay v3 notify: the resource', () => {
  it('accepts the signed notify and yields its facts', async () => {
    expect(await send(v3(transaction()))).toEqual({
      type: 'paid',
      tradeNo: 'T20261129001',
      orderId: 'A-1',
      transactionId: TX,
      amount: 100,
      paidAt: new Date('2026-11-29T09:50:12Z'),
      channel: 'wap',
      payer: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o',
      raw: expect.objectContaining({ out_trade_no: 'T20261129001' }) as unknown,
      mismatch: undefined,
    });
  });

  it('refuses an empty body, a body that is not a JSON object, or one without a resource', async () => {
    const empty = { ...signed('x'), body: '' };
    await expectAsyncRefusal(() => send(empty), 'REQUEST_INVALID', /empty notification body/);
    await expectAsyncRefusal(() => send(signed('{"a":')), 'REQUEST_INVALID', /the notification is not valid JSON/);
    await expectAsyncRefusal(() => send(signed('[1]')), 'REQUEST_INVALID', /the notification is not a JSON object/);
    await expectAsyncRefusal(() => send(signed('null')), 'REQUEST_INVALID', /not a JSON object/);
    await expectAsyncRefusal(() => send(signed('{"event_type":"x"}')), 'REQUEST_INVALID', /no resource to decrypt/);
    await expectAsyncRefusal(() => send(signed('{"resource":"abc"}')), 'REQUEST_INVALID', /no resource to decrypt/);
  });

  it('refuses a resource that does not decrypt with the APIv3 key: DECRYPT_FAILED', async () => {
    const sealed = gcmResource('k'.repeat(32), JSON.stringify(transaction()), 'transaction');
    const body = (resource: Record<string, unknown>) => JSON.stringify({ resource });
    await expectAsyncRefusal(() => send(signed(body(sealed))), 'DECRYPT_FAILED', /did not authenticate/);
    await expectAsyncRefusal(
      () => send(signed(body({ ...sealed, algorithm: 'AES_256_CBC' }))),
      'DECRYPT_FAILED',
      /unsupported/,
    );
    await expectAsyncRefusal(
      () => send(signed(body({ ...sealed, nonce: '' }))),
      'DECRYPT_FAILED',
      /lacks ciphertext or nonce/,
    );
    await expectAsyncRefusal(
      () => send(signed(body({ ...sealed, nonce: 123456789012 }))),
      'DECRYPT_FAILED',
      /^the encrypted resource lacks ciphertext or nonce$/,
    );
    await expectAsyncRefusal(
      () => send(signed(body({ ...sealed, ciphertext: 1 }))),
      'DECRYPT_FAILED',
      /lacks ciphertext/,
    );
    const short = { ...sealed, ciphertext: Buffer.alloc(16).toString('base64') };
    await expectAsyncRefusal(() => send(signed(body(short))), 'DECRYPT_FAILED', /too short/);
    const mine = gcmResource(V3_KEY, JSON.stringify(transaction()), 'transaction');
    await expectAsyncRefusal(() => send(signed(body({ ...mine, associated_data: 'refund' }))), 'DECRYPT_FAILED');
    const { algorithm: _a, associated_data: _d, ...bare } = gcmResource(V3_KEY, JSON.stringify(transaction()), '');
    expect(await send(signed(body(bare)))).toMatchObject({ type: 'paid' });
    // Associated data as sent, byte for byte, even when it is not ASCII.
    const wide = gcmResource(V3_KEY, JSON.stringify(transaction()), 'transaction·交易');
    expect(await send(signed(body(wide)))).toMatchObject({ type: 'paid' });
  });

  it('refuses a decrypted resource that is not a JSON object', async () => {
    const body = JSON.stringify({ resource: gcmResource(V3_KEY, '[]', 'transaction') });
    await expectAsyncRefusal(
      () => send(signed(body)),
      'REQUEST_INVALID',
      /the decrypted resource is not a JSON object/,
    );
  });

  it('refuses a transaction without its number or state, or with a malformed trade type, id or amount', async () => {
    await expectAsyncRefusal(() => send(v3(transaction({ out_trade_no: '' }))), 'REQUEST_INVALID', /no out_trade_no/);
    await expectAsyncRefusal(() => send(v3(transaction({ out_trade_no: 7 }))), 'REQUEST_INVALID', /no out_trade_no/);
    await expectAsyncRefusal(() => send(v3(transaction({ trade_state: '' }))), 'REQUEST_INVALID', /no trade_state/);
    await expectAsyncRefusal(() => send(v3(transaction({ trade_state: 1 }))), 'REQUEST_INVALID', /no trade_state/);
    await expectAsyncRefusal(() => send(v3(transaction({ trade_type: 'mweb' }))), 'REQUEST_INVALID', /"mweb" is not/);
    await expectAsyncRefusal(() => send(v3(transaction({ trade_type: 1 }))), 'REQUEST_INVALID', /trade_type 1 is not/);
    await expectAsyncRefusal(
      () => send(v3(transaction({ transaction_id: 4200000540 }))),
      'REQUEST_INVALID',
      /string of digits/,
    );
    await expectAsyncRefusal(
      () => send(v3(transaction({ transaction_id: '42a' }))),
      'REQUEST_INVALID',
      /string of digits/,
    );
    await expectAsyncRefusal(
      () => send(v3(transaction({ amount: { total: 1.5 } }))),
      'REQUEST_INVALID',
      /amount.total/,
    );
    await expectAsyncRefusal(() => send(v3(transaction({ amount: undefined }))), 'REQUEST_INVALID', /amount.total/);
    expect(await send(v3(transaction({ trade_type: undefined })))).toMatchObject({ type: 'paid', channel: undefined });
  });

  it('reads a closed trade as closed, and a trade still open as nothing to do', async () => {
    expect(await send(v3(transaction({ trade_state: 'CLOSED', transaction_id: undefined })))).toMatchObject({
      type: 'closed',
      tradeNo: 'T20261129001',
      orderId: 'A-1',
      transactionId: undefined,
      reason: 'CLOSED',
    });
    expect(await send(v3(transaction({ trade_state: 'PAYERROR' })))).toMatchObject({
      type: 'closed',
      transactionId: TX,
      reason: 'PAYERROR',
    });
    expect(await send(v3(transaction({ trade_state: 'NOTPAY' })))).toMatchObject({
      type: 'ignored',
      reason: 'trade_state NOTPAY',
    });
  });

  it('reports another merchant or app as a mismatch', async () => {
    expect(mismatchOf(await send(v3(transaction({ mchid: '1230000110' }))))).toMatchObject({ reason: 'merchant' });
    expect(mismatchOf(await send(v3(transaction({ appid: 7 }))))).toEqual({
      reason: 'app',
      field: 'appid',
      expected: `${WAP} or ${APP}`,
      actual: '7',
    });
    expect(mismatchOf(await send(v3(transaction({ mchid: null }))))).toMatchObject({ reason: 'missing' });
  });

  it('reads an empty, null or non-text id, payer or attach as absent, never as a value', async () => {
    // A field WeChat always sends, sent empty, is missing like an absent one (docs/providers/wechatpay.md#notify).
    expect(mismatchOf(await send(v3(transaction({ mchid: '' }))))).toEqual({
      reason: 'missing',
      field: 'mchid',
      expected: MCH,
      actual: '',
    });
    expect(mismatchOf(await send(v3(transaction({ appid: '' }))))).toEqual({
      reason: 'missing',
      field: 'appid',
      expected: `${WAP} or ${APP}`,
      actual: '',
    });
    for (const payer of [null, 'oUpF8', { openid: '' }, { openid: 7 }, {}]) {
      expect(mismatchOf(await send(v3(transaction({ payer }))))).toMatchObject({
        reason: 'missing',
        field: 'payer.openid',
      });
    }
    for (const attach of [7, '', null]) {
      expect(await send(v3(transaction({ attach })))).toMatchObject({ type: 'paid', orderId: undefined });
    }
  });

  it('brings back the order id checkout sent as attach: up to 128 bytes in v3 and 127 in v2, none beyond', async () => {
    // docs/providers/wechatpay.md#limits: a longer id is not sent rather than cut into another order's.
    const orderIdOf = (event: ProviderEvent) => ('orderId' in event ? event.orderId : undefined);
    const v3Id = `订单${'a'.repeat(122)}`;
    expect(attachOf(v3Id, 'v3')).toBe(v3Id);
    expect(orderIdOf(await send(v3(transaction({ attach: attachOf(v3Id, 'v3') }))))).toBe(v3Id);
    expect(attachOf(`${v3Id}a`, 'v3')).toBeUndefined();
    expect(orderIdOf(await send(v3(transaction({ attach: attachOf(`${v3Id}a`, 'v3') }))))).toBeUndefined();
    expect(orderIdOf(await send(v3(transaction({ attach: '' }))))).toBeUndefined();
    const v2Id = 'b'.repeat(127);
    expect(attachOf(v2Id, 'v2')).toBe(v2Id);
    expect(orderIdOf(await v2(v2Paid({ attach: v2Id })))).toBe(v2Id);
    expect(attachOf(`${v2Id}b`, 'v2')).toBeUndefined();
    expect(attachOf(`${v2Id}b`, 'v3')).toBe(`${v2Id}b`);
  });

  it('reads a refund by its type or its event, and ignores other events', async () => {
    const refund = {
      mchid: MCH,
      out_trade_no: 'T20261129001',
      out_refund_no: 'RF1',
      refund_id: '50000000382019052709732678859',
      refund_status: 'SUCCESS',
      amount: { total: 100, refund: 60 },
    };
    const event = {
      type: 'refunded',
      tradeNo: 'T20261129001',
      refundId: 'RF1',
      providerRefundId: '50000000382019052709732678859',
      amount: 60,
      status: 'success',
      raw: refund,
      mismatch: undefined,
    };
    expect(await send(v3(refund, { type: 'refund' }))).toEqual(event);
    expect(await send(v3(refund, { event: 'REFUND.ABNORMAL' }))).toMatchObject({ type: 'refunded' });
    const { refund_status: _r, ...api } = refund;
    expect(await send(v3({ ...api, status: 'PROCESSING' }, { type: 'refund' }))).toMatchObject({
      status: 'processing',
    });
    await expectAsyncRefusal(() => send(v3(api, { type: 'refund' })), 'REQUEST_INVALID', /no refund_status/);
    await expectAsyncRefusal(
      () => send(v3({ ...refund, out_refund_no: 1 }, { type: 'refund' })),
      'REQUEST_INVALID',
      /out_refund_no/,
    );
    await expectAsyncRefusal(() => send(v3({ ...refund, out_trade_no: 1 }, { type: 'refund' })), 'REQUEST_INVALID');
    const noAmount = { ...refund, amount: { total: 100 } };
    await expectAsyncRefusal(() => send(v3(noAmount, { type: 'refund' })), 'REQUEST_INVALID', /amount.refund/);
    const foreign = await send(v3({ ...refund, mchid: '1230000110' }, { type: 'refund' }));
    expect(mismatchOf(foreign)).toMatchObject({ reason: 'merchant', field: 'mchid' });
    const body = JSON.stringify({
      event_type: 'MARKETING.COUPON',
      resource: { original_type: 'coupon', ...gcmResource(V3_KEY, '{}', 'x') },
    });
    expect(await send(signed(body))).toMatchObject({ type: 'ignored', reason: 'unhandled event MARKETING.COUPON' });
    const nameless = JSON.stringify({ resource: { original_type: 'coupon', ...gcmResource(V3_KEY, '{}', 'x') } });
    expect(await send(signed(nameless))).toMatchObject({ type: 'ignored', reason: 'unhandled event coupon' });
  });

  it('reads a resource by original_type or, when that is unfamiliar, by the event type', async () => {
    /** A notify whose envelope carries `originalType` (none when undefined) and `event` (none when undefined). */
    const envelope = (resource: object, originalType: string | undefined, event: string | undefined) =>
      signed(
        JSON.stringify({
          ...(event === undefined ? {} : { event_type: event }),
          resource: {
            ...(originalType === undefined ? {} : { original_type: originalType }),
            ...gcmResource(V3_KEY, JSON.stringify(resource), originalType ?? 'transaction'),
          },
        }),
      );
    const refund = {
      mchid: MCH,
      out_trade_no: 'T20261129001',
      out_refund_no: 'RF1',
      refund_status: 'SUCCESS',
      amount: { total: 100, refund: 60 },
    };
    expect(await send(envelope(refund, 'refund', undefined))).toMatchObject({ type: 'refunded', amount: 60 });
    expect(await send(envelope(transaction(), 'transaction', undefined))).toMatchObject({ type: 'paid' });
    expect(await send(envelope(transaction(), 'transaction', 'SOMETHING.NEW'))).toMatchObject({ type: 'paid' });
    expect(await send(envelope(transaction(), 'encrypt-x', 'TRANSACTION.SUCCESS'))).toMatchObject({ type: 'paid' });
    expect(await send(envelope(transaction(), 'encrypt-x', 'OTHER.TRANSACTION.'))).toMatchObject({
      type: 'ignored',
      reason: 'unhandled event OTHER.TRANSACTION.',
    });
  });

  it('refuses trade types and transaction ids that only contain a valid one, and a null resource', async () => {
    for (const tradeType of ['mAPP', 'APPm', 'APP ']) {
      await expectAsyncRefusal(
        () => send(v3(transaction({ trade_type: tradeType }))),
        'REQUEST_INVALID',
        exactly(`trade_type ${JSON.stringify(tradeType)} is not a WeChat Pay trade type`),
      );
    }
    for (const id of [`x${TX}`, `${TX}x`, '1'.repeat(65), '']) {
      await expectAsyncRefusal(
        () => send(v3(transaction({ transaction_id: id }))),
        'REQUEST_INVALID',
        exactly('transaction_id must be a string of digits'),
      );
    }
    expect(await send(v3(transaction({ transaction_id: '1'.repeat(64) })))).toMatchObject({
      transactionId: '1'.repeat(64),
    });
    for (const text of ['null', '5', '"x"']) {
      const body = JSON.stringify({ resource: gcmResource(V3_KEY, text, 'transaction') });
      await expectAsyncRefusal(
        () => send(signed(body)),
        'REQUEST_INVALID',
        exactly('the decrypted resource is not a JSON object'),
      );
    }
  });

  it('reads a closed trade or a refund without a usable id as having none, and refuses a refund without state', async () => {
    const closed = await send(v3(transaction({ trade_state: 'CLOSED', transaction_id: 4200000540 })));
    expect(closed).toMatchObject({ type: 'closed', transactionId: undefined });
    const refund = {
      mchid: MCH,
      out_trade_no: 'T20261129001',
      out_refund_no: 'RF1',
      refund_id: 50000000382019,
      refund_status: 'SUCCESS',
      amount: { total: 100, refund: 60 },
    };
    expect(await send(v3(refund, { type: 'refund' }))).toMatchObject({ type: 'refunded', providerRefundId: undefined });
    await expectAsyncRefusal(
      () => send(v3({ ...refund, refund_status: '' }, { type: 'refund' })),
      'REQUEST_INVALID',
      exactly('the refund has no refund_status'),
    );
    await expectAsyncRefusal(
      () => send(v3({ ...refund, amount: undefined }, { type: 'refund' })),
      'REQUEST_INVALID',
      exactly('amount.refund is missing or not an integer of fen'),
    );
  });
});

describe('WeChat Pay notify: which version', () => {
  it('reads XML by its content type or, without one, by its first byte', async () => {
    const xml = `\r\n\t ${v2Xml(v2Paid())}`;
    expect(await parseWechatNotify(config, request(xml), lookup, clock)).toMatchObject({ type: 'paid' });
    expect(await parseWechatNotify(config, request(xml, 'application/XML'), lookup, clock)).toMatchObject({
      type: 'paid',
    });
    const json = v3(transaction());
    const untyped = { ...request(json.body), headers: { ...json.headers, 'content-type': '' } };
    expect(await parseWechatNotify(config, untyped, lookup, clock)).toMatchObject({ type: 'paid' });
    await expectAsyncRefusal(
      () => parseWechatNotify(config, request(xml, 'application/json'), lookup, clock),
      'SIGNATURE_MISSING',
    );
  });

  it('reads a body sent as XML as v2, even when it is not XML', async () => {
    const json = v3(transaction());
    const req = { ...request(json.body), headers: { ...json.headers, 'content-type': 'text/xml' } };
    await expectAsyncRefusal(
      () => parseWechatNotify(config, req, lookup, clock),
      'REQUEST_INVALID',
      /the body is not XML/,
    );
  });

  it('refuses a version the merchant has not configured: NOTIFY_VERSION', async () => {
    const v3Only = resolveWechatpayConfig({ ...options(), v2: undefined });
    const xml = request(v2Xml(v2Paid()), 'text/xml');
    await expectAsyncRefusal(() => parseWechatNotify(v3Only, xml, lookup, clock), 'NOTIFY_VERSION', /no v2.apiKey/);
    const v2Only = resolveWechatpayConfig({ ...options(), v3: undefined });
    const json = v3(transaction());
    const req = { ...request(json.body), headers: json.headers };
    await expectAsyncRefusal(
      () => parseWechatNotify(v2Only, req, undefined, clock),
      'NOTIFY_VERSION',
      /the body is not XML/,
    );
    await expectAsyncRefusal(() => parseWechatNotify(config, req, undefined, clock), 'NOTIFY_VERSION');
  });
});

describe('WeChat Pay return', () => {
  const back = (query: string) =>
    parseWechatReturn({ method: 'GET', path: '/return/wechatpay', query: new URLSearchParams(query), headers: {} });

  it('names the trade of the return URL paymount built, and refuses anything else', () => {
    expect(back('orderId=T20261129001')).toEqual({ tradeNo: 'T20261129001', hint: 'unknown' });
    expect(() => back('')).toThrow(/the return URL has no orderId/);
    expect(() => back('orderId=')).toThrow(/no orderId/);
    expect(() => back('orderId=a%26b%3Dc')).toThrow(/is not a WeChat Pay trade number/);
  });
});
