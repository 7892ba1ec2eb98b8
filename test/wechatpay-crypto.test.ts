import { readFileSync } from 'node:fs';
import { createCipheriv, createPrivateKey, createPublicKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SignatureError, RequestError } from '../src/errors/index.js';
import { v2Sign, v2SignString, v2Verify } from '../src/providers/wechatpay/v2/sign.js';
import { buildXml, parseXml } from '../src/providers/wechatpay/v2/xml.js';
import { decryptReqInfo } from '../src/providers/wechatpay/v2/notify.js';
import { appMessage, authorizationHeader, requestMessage, signRequest } from '../src/providers/wechatpay/v3/sign.js';
import { verifySigned } from '../src/providers/wechatpay/v3/verify.js';
import { decryptGcm, encryptGcm, type GcmEnvelope } from '../src/providers/wechatpay/v3/aes.js';
import { rsaSign } from '../src/wire/rsa.js';

const fx = (name: string) => readFileSync(new URL(`./fixtures/wechatpay/${name}`, import.meta.url));
const text = (name: string) => fx(name).toString('utf8');
const merchantKey = createPrivateKey(fx('merchant_key.pem'));
const platformKey = createPrivateKey(fx('platform_key.pem'));
const platformPub = createPublicKey(fx('platform_pub.pem'));
const V2_KEY = '192006250b4c09247ec02edce69f6a2d';
const at = (seconds: number) => () => new Date(seconds * 1000);

describe('v2 MD5 / HMAC-SHA256 (openssl vectors)', () => {
  const fields = {
    appid: 'wxd930ea5d5a258f4f',
    mch_id: '10000100',
    device_info: '1000',
    body: 'test',
    nonce_str: 'ibuaiVcKdpRxkhJA',
    sign: 'ignored',
    empty: '',
  };
  it('builds stringSignTemp exactly', () => {
    expect(v2SignString(fields, V2_KEY)).toBe(text('v2-sign-temp.txt'));
  });
  it('MD5 and HMAC-SHA256 equal openssl', () => {
    expect(v2Sign(fields, V2_KEY, 'MD5')).toBe(text('v2-md5.txt').trim());
    expect(v2Sign(fields, V2_KEY, 'HMAC-SHA256')).toBe(text('v2-hmac.txt').trim());
  });
  it('APP client set equals openssl', () => {
    const app = {
      appid: 'wxd930ea5d5a258f4f',
      partnerid: '1900000109',
      prepayid: '1101000000140415649af9fc314aa427',
      package: 'Sign=WXPay',
      noncestr: '1101000000140429eb40476f8896f4c9',
      timestamp: '1398746574',
    };
    expect(v2Sign(app, V2_KEY, 'MD5')).toBe(text('v2-app-md5.txt').trim());
    expect(v2Sign(app, V2_KEY, 'HMAC-SHA256')).toBe(text('v2-app-hmac.txt').trim());
  });
  it('verify accepts the right sign only, with the configured algorithm', () => {
    const signed = { ...fields, sign: text('v2-md5.txt').trim() };
    expect(v2Verify(signed, V2_KEY, 'MD5')).toBe(true);
    expect(v2Verify(signed, V2_KEY, 'HMAC-SHA256')).toBe(false);
    expect(v2Verify({ ...signed, body: 'tests' }, V2_KEY, 'MD5')).toBe(false);
    expect(v2Verify({ ...signed, sign: '' }, V2_KEY, 'MD5')).toBe(false);
  });
  it('req_info made by openssl enc -aes-256-ecb decrypts', () => {
    expect(decryptReqInfo(text('v2-req-info.txt'), V2_KEY)).toBe(text('v2-req-info-plain.xml'));
    expect(() => decryptReqInfo(text('v2-req-info.txt'), 'x'.repeat(32))).toThrow(SignatureError);
  });
});

describe('v3 signatures (openssl vectors)', () => {
  it('Authorization signature equals openssl over the frozen message', async () => {
    const message = text('v3-auth-message.txt');
    const [method, url, ts, nonceStr, ...rest] = message.split('\n');
    const body = rest.slice(0, -1).join('\n');
    expect(requestMessage(method!, url!, ts!, nonceStr!, body)).toBe(message);
    const header = await signRequest(merchantKey, {
      mchId: '1230000109',
      serialNo: 'ABC123',
      method: method!,
      canonicalUrl: url!,
      body,
      timestamp: ts!,
      nonceStr: nonceStr!,
    });
    const expected = text('v3-auth-signature.txt').trim();
    expect(header).toBe(
      authorizationHeader({
        mchId: '1230000109',
        nonceStr: nonceStr!,
        timestamp: ts!,
        serialNo: 'ABC123',
        signature: expected,
      }),
    );
    expect(header.startsWith('WECHATPAY2-SHA256-RSA2048 mchid="1230000109",')).toBe(true);
  });
  it('APP client signature equals openssl (bare prepay id, four lines)', async () => {
    const msg = appMessage(
      'wxd678efh567hg6787',
      '1700000000',
      '5K8264ILTKCH16CQ2502SI8ZNMTM67VS',
      'wx201410272009395522657a690389285100',
    );
    expect(msg).toBe(text('v3-app-message.txt'));
    expect(await rsaSign(merchantKey, msg)).toBe(text('v3-app-signature.txt').trim());
  });
});

describe('v3 verification', () => {
  const body = fx('v3-notify-body.json');
  const signature = text('v3-notify-signature.txt').trim();
  const headers = (over: Record<string, string> = {}) => ({
    'wechatpay-timestamp': '1700000000',
    'wechatpay-nonce': 'fdasfjihihihlkja484',
    'wechatpay-signature': signature,
    'wechatpay-serial': 'PUB_KEY_ID_0114232134912410000000000000000001',
    ...over,
  });
  const lookup = async (serial: string) =>
    serial === 'PUB_KEY_ID_0114232134912410000000000000000001' ? platformPub : undefined;

  it('accepts the openssl-signed notify inside the window', async () => {
    await expect(verifySigned({ headers: headers(), body }, lookup, at(1700000000 + 299))).resolves.toBe(
      'PUB_KEY_ID_0114232134912410000000000000000001',
    );
  });
  it('rejects a tampered body', async () => {
    const tampered = Buffer.from(body.toString('utf8').replace('TRANSACTION.SUCCESS', 'TRANSACTION.SUCCESs'));
    await expect(verifySigned({ headers: headers(), body: tampered }, lookup, at(1700000000))).rejects.toThrow(
      /does not verify/,
    );
  });
  it('rejects a stale or future timestamp (5 minutes, by the injected clock)', async () => {
    await expect(verifySigned({ headers: headers(), body }, lookup, at(1700000000 + 300))).rejects.toMatchObject({
      code: 'SIGNATURE_STALE',
    });
    await expect(verifySigned({ headers: headers(), body }, lookup, at(1700000000 - 301))).rejects.toMatchObject({
      code: 'SIGNATURE_STALE',
    });
  });
  it('rejects a WECHATPAY/SIGNTEST/ probe without crashing', async () => {
    const probe = headers({ 'wechatpay-signature': 'WECHATPAY/SIGNTEST/' + signature.slice(0, 40) });
    await expect(verifySigned({ headers: probe, body }, lookup, at(1700000000))).rejects.toMatchObject({
      code: 'SIGNATURE_PROBE',
    });
  });
  it('rejects a non-base64 signature and missing headers', async () => {
    await expect(
      verifySigned({ headers: headers({ 'wechatpay-signature': '%%%not base64' }), body }, lookup, at(1700000000)),
    ).rejects.toThrow(SignatureError);
    const missing = headers();
    delete (missing as Record<string, string>)['wechatpay-nonce'];
    await expect(verifySigned({ headers: missing, body }, lookup, at(1700000000))).rejects.toMatchObject({
      code: 'SIGNATURE_MISSING',
    });
  });
  it('rejects an unknown serial, naming what to configure', async () => {
    await expect(
      verifySigned({ headers: headers({ 'wechatpay-serial': 'PUB_KEY_ID_X' }), body }, lookup, at(1700000000)),
    ).rejects.toMatchObject({ code: 'SIGNATURE_UNKNOWN_KEY' });
  });
  it('rejects a signature by another key (the merchant key is not the platform key)', async () => {
    const wrong = await rsaSign(merchantKey, text('v3-notify-message.txt'));
    await expect(
      verifySigned({ headers: headers({ 'wechatpay-signature': wrong }), body }, lookup, at(1700000000)),
    ).rejects.toThrow(/does not verify/);
    // …and the platform key's own signature of the same message is the frozen one
    expect(await rsaSign(platformKey, text('v3-notify-message.txt'))).toBe(signature);
  });
  it('verifies the v3 response vector (docs/providers/wechatpay.md#v3-verification) made with a real WeChat Pay public key', async () => {
    const key = createPublicKey({
      key: Buffer.from(
        'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAwXNI6sdlknHBnK8Fu2U6Cwor9qY747jP8KAfeBMeveEt1TqaHkLfaSD07trZLhGpfs8/AHqjhgSMO1O10YQWOrrJ4hjIWPKqxbgrYMkBQc+mwdiWp4W3ByCqxBRagCveCXRWCmuJYovl9H/bsDI0iGbpVtEOghJtfciisYSgxcLufUDTRkvwxjIBK1pCRjk33jJ5YTBWTHMRtMAOcFLNF6hdEYdX8SPsgHHeLZ5Lv2T/686w1xtgCHef/sd4uSfWmyzsalQdHG/e4IyYmrhx+O3VBoNDzE3nx23bFeV/RVNCG7cV6VhmYokJNHa/erIPkEmEFID6A5wQOXuxUkmJWwIDAQAB',
        'base64',
      ),
      format: 'der',
      type: 'spki',
    });
    const sig =
      'mfI1CPqvBrgcXfgXMFjdNIhBf27ACE2YyeWsWV9ZI7T7RU0vHvbQpu9Z32ogzc+k8ZC5n3kz7h70eWKjgqNdKQF0eRp8mVKlmfzMLBVHbssB9jEZEDXThOX1XFqX7s7ymia1hoHQxQagPGzkdWxtlZPZ4ZPvr1RiqkgAu6Is8MZgXXrRoBKqjmSdrP1N7uxzJ/cjfSiis9FiLjuADoqmQ1P7p2N876YPAol7Rn0+GswwAwxldbdLrmVSjfytfSBJFqTMHn4itojgxSWWN1byuckQt8hSTEv/Lg97QoeGniYP17T80pJeQyL3b+295FPHSO2AtvCgyIbKMZ0BALilAA==';
    const h = {
      'wechatpay-timestamp': '1722850421',
      'wechatpay-nonce': 'd824f2e086d3c1df967785d13fcd22ef',
      'wechatpay-signature': sig,
      'wechatpay-serial': 'PUB_KEY_ID_REAL',
    };
    const b = Buffer.from('{"code_url":"weixin://wxpay/bizpayurl?pr=JyC91EIz1"}');
    await expect(verifySigned({ headers: h, body: b }, async () => key, at(1722850421))).resolves.toBe(
      'PUB_KEY_ID_REAL',
    );
    await expect(
      verifySigned(
        { headers: h, body: Buffer.from(b.toString().replace('JyC', 'JyD')) },
        async () => key,
        at(1722850421),
      ),
    ).rejects.toThrow(SignatureError);
  });
});

describe('AES-256-GCM resource', () => {
  const key = Buffer.from('0123456789abcdef0123456789abcdef');
  it('round-trips with the associated data (possibly empty)', () => {
    for (const aad of ['transaction', '']) {
      const env = encryptGcm(key, '{"trade_state":"SUCCESS"}', aad);
      expect(decryptGcm(key, env)).toBe('{"trade_state":"SUCCESS"}');
    }
  });
  it('a tampered tag, ciphertext, AAD or key fails authentication', () => {
    const env = encryptGcm(key, '{"a":1}', 'transaction', 'fdasflkja484');
    const bytes = Buffer.from(env.ciphertext, 'base64');
    const flip = (i: number) => {
      const copy = Buffer.from(bytes);
      copy[i] = copy[i]! ^ 1;
      return copy.toString('base64');
    };
    expect(() => decryptGcm(key, { ...env, ciphertext: flip(bytes.length - 1) })).toThrow(/tag mismatch/);
    expect(() => decryptGcm(key, { ...env, ciphertext: flip(0) })).toThrow(SignatureError);
    expect(() => decryptGcm(key, { ...env, associated_data: 'refund' })).toThrow(SignatureError);
    expect(() => decryptGcm(Buffer.from('x'.repeat(32)), env)).toThrow(/apiV3Key/);
    expect(() => decryptGcm(key, { ...env, ciphertext: bytes.subarray(0, 10).toString('base64') })).toThrow(
      SignatureError,
    );
    expect(() => decryptGcm(key, { ...env, algorithm: 'AES_128_CBC' })).toThrow(/unsupported/);
  });
  it('a resource read from its bytes one per character decrypts with its nonce and AAD as sent', () => {
    // A notification is parsed that way (the fields used are ASCII): non-ASCII AAD still authenticates.
    const aad = 'transaction·交易';
    const cipher = createCipheriv('aes-256-gcm', key, Buffer.from('nonce·随机', 'utf8'));
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const sealed = Buffer.concat([cipher.update('{"a":"支付"}', 'utf8'), cipher.final(), cipher.getAuthTag()]);
    const body = Buffer.from(
      JSON.stringify({
        summary: '支付成功',
        resource: { ciphertext: sealed.toString('base64'), nonce: 'nonce·随机', associated_data: aad },
      }),
    );
    const { resource } = JSON.parse(body.toString('latin1')) as { resource: GcmEnvelope };
    expect(decryptGcm(key, resource, 'latin1')).toBe('{"a":"支付"}');
    expect(() => decryptGcm(key, resource)).toThrow(SignatureError);
    const utf8 = (JSON.parse(body.toString('utf8')) as { resource: GcmEnvelope }).resource;
    expect(decryptGcm(key, utf8)).toBe('{"a":"支付"}');
  });
});

describe('v2 XML', () => {
  it('keeps every value a string (28-digit transaction_id, leading zeros, CDATA spaces)', () => {
    const x = parseXml(
      '<xml><transaction_id>4200000540202005267407409907</transaction_id><total_fee><![CDATA[0100]]></total_fee><attach><![CDATA[ a b ]]></attach><e></e></xml>',
    );
    expect(x.transaction_id).toBe('4200000540202005267407409907');
    expect(x.total_fee).toBe('0100');
    expect(x.attach).toBe(' a b ');
    expect(x.e).toBe('');
    expect(Object.keys(x)).toEqual(['transaction_id', 'total_fee', 'attach', 'e']);
  });
  it('refuses DOCTYPE, XXE and billion laughs before parsing', () => {
    const xxe =
      '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml><a>&xxe;</a></xml>';
    const lol =
      '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><xml><a>&lol3;</a></xml>';
    for (const doc of [xxe, lol, '<!doctype xml><xml/>', '<xml><!ENTITY a "b"></xml>']) {
      expect(() => parseXml(doc)).toThrow(/DOCTYPE or ENTITY/);
    }
  });
  it('refuses duplicated fields, nesting, stray text, other roots, reserved names, processing instructions', () => {
    expect(() => parseXml('<xml><total_fee>1</total_fee><total_fee>100</total_fee></xml>')).toThrow(/more than once/);
    expect(() => parseXml('<xml><a><b>1</b></a></xml>')).toThrow(/nested/);
    expect(() => parseXml('<xml><a>1</a>junk</xml>')).toThrow(/stray text/);
    expect(() => parseXml('<root><a>1</a></root>')).toThrow(/single root <xml>/);
    expect(() => parseXml('<xml><a>1</a></xml><b/>')).toThrow(/single root/);
    expect(() => parseXml('<xml><__proto__><x>1</x></__proto__></xml>')).toThrow(/reserved/);
    expect(() => parseXml('<xml><constructor>1</constructor></xml>')).toThrow(/reserved/);
    // The fields are a plain object handed to hooks as `raw`: no field may shadow one of its methods.
    expect(() => parseXml('<xml><toString>1</toString></xml>')).toThrow(/reserved element name <toString>/);
    expect(() => parseXml('<xml><hasOwnProperty>1</hasOwnProperty></xml>')).toThrow(/reserved/);
    expect(Object.getPrototypeOf(parseXml('<xml><a>1</a></xml>'))).toBe(Object.prototype);
    expect(() => parseXml('<xml><?php echo 1 ?><a>1</a></xml>')).toThrow(/processing instruction/);
    expect(() => parseXml('not xml')).toThrow(RequestError);
    expect(() => parseXml('<xml><a>1</xml>')).toThrow(/malformed/);
    expect(() => parseXml(`<xml><a>${'x'.repeat(70_000)}</a></xml>`)).toThrow(/exceeds/);
    expect(parseXml('<?xml version="1.0" encoding="UTF-8"?>\n<xml>\n  <a>1</a>\n</xml>').a).toBe('1');
  });
  it('builds CDATA that survives "]]>" and markup, and round-trips', () => {
    const fields = { body: 'a]]>b<c>&d', n: '1', skipped: '' };
    const xml = buildXml(fields);
    expect(xml).toBe('<xml><body><![CDATA[a]]]]><![CDATA[>b<c>&d]]></body><n><![CDATA[1]]></n></xml>');
    expect({ ...parseXml(xml) }).toEqual({ body: 'a]]>b<c>&d', n: '1' });
    expect(() => buildXml({ 'bad name': 'x' })).toThrow(TypeError);
  });
});
