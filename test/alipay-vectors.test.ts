import { expectConfigError } from './helpers/config-error.js';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalString } from '../src/wire/canonical.js';
import { rsaSign, rsaVerify } from '../src/wire/rsa.js';
import { resolveAlipayConfig } from '../src/providers/alipay/config.js';
import { alipay } from '../src/index.js';
import { certSn, rootCertSn } from '../src/providers/alipay/cert-sn.js';
import { signedValue, signRequest, verifyV1 } from '../src/providers/alipay/sign.js';
import { fixture } from './helpers/fixtures.js';

const appPkcs8 = fixture('alipay/app-private-pkcs8.pem');
const appPkcs1 = fixture('alipay/app-private-pkcs1.pem');
const alipayPublic = fixture('alipay/alipay-public.pem');
const bare = (pem: string) => pem.replace(/-----[^-]+-----|\s+/g, '');

/** The request of request.txt as parameters (split on the first "=" of each known key). */
function requestParams(): Record<string, string> {
  const text = fixture('alipay/request.txt');
  const keys = [
    'app_id',
    'biz_content',
    'charset',
    'format',
    'method',
    'notify_url',
    'return_url',
    'sign_type',
    'timestamp',
    'version',
  ];
  const params: Record<string, string> = {};
  keys.forEach((key, i) => {
    const start = text.indexOf(`${key}=`) + key.length + 1;
    const next = keys[i + 1];
    params[key] = text.slice(start, next ? text.indexOf(`&${next}=`) : undefined);
  });
  return params;
}

describe('Alipay signing against openssl vectors', () => {
  it('builds the sorted string openssl signed, and its signature from PKCS#8, PKCS#1 and bare base64', async () => {
    const params = requestParams();
    expect(canonicalString(params, ['sign'])).toBe(fixture('alipay/request.txt'));
    for (const privateKey of [appPkcs8, appPkcs1, bare(appPkcs8), bare(appPkcs1)]) {
      const config = resolveAlipayConfig({ appId: '2021000122671080', privateKey, alipayPublicKey: alipayPublic });
      const signed = await signRequest(config, { ...params, empty_value: '' });
      expect(signed.sign).toBe(fixture('alipay/request.sig'));
      expect(signed).not.toHaveProperty('empty_value');
    }
  });

  it('verifies an openssl-signed notify under the V1 rule, and only under it', () => {
    const config = resolveAlipayConfig({
      appId: '2021000122671080',
      privateKey: appPkcs8,
      alipayPublicKey: bare(alipayPublic),
    });
    // The notify as a form parser yields it: values decoded once, passback_params still encoded.
    const fields: Record<string, string> = {
      app_id: '2021000122671080',
      buyer_id: '2088102177846880',
      charset: 'utf-8',
      fund_bill_list: '[{"amount":"88.88","fundChannel":"ALIPAYACCOUNT"}]',
      gmt_create: '2024-05-13 17:50:01',
      gmt_payment: '2024-05-13 17:50:12',
      notify_id: '2024051300222175012046880592345678',
      notify_time: '2024-05-13 17:50:12',
      notify_type: 'trade_status_sync',
      out_trade_no: 'ORDER-20240513-0001',
      passback_params: 'a%3Db%26c%3Dd',
      receipt_amount: '88.88',
      seller_id: '2088102177296610',
      subject: '测试商品 & more',
      total_amount: '88.88',
      trade_no: '2024051322001446880500123456',
      trade_status: 'TRADE_SUCCESS',
      version: '1.0',
    };
    expect(canonicalString(fields)).toBe(fixture('alipay/notify.txt'));
    const sign = fixture('alipay/notify.sig');
    expect(verifyV1(config, { ...fields, sign, sign_type: 'RSA2' })).toBe(true);
    // The same signature checked with sign_type inside the content (the request rule) must fail.
    expect(rsaVerify(config.alipayKey, canonicalString({ ...fields, sign_type: 'RSA2' }, ['sign']), sign)).toBe(false);
    // passback_params stays percent-encoded: decoding it a second time breaks the signature.
    expect(verifyV1(config, { ...fields, passback_params: decodeURIComponent(fields.passback_params!), sign })).toBe(
      false,
    );
  });

  it('computes certificate SNs like openssl and skips non-RSA roots', () => {
    const expected = Object.fromEntries(
      fixture('alipay/cert-sn.txt')
        .trim()
        .split('\n')
        .map((l) => l.split('=') as [string, string]),
    );
    expect(certSn(fixture('alipay/app-cert.pem'))).toBe(expected.app_cert_sn);
    expect(certSn(fixture('alipay/alipay-cert.pem'))).toBe(expected.alipay_cert_sn);
    expect(rootCertSn(fixture('alipay/root-bundle.pem'))).toBe(expected.alipay_root_cert_sn);
  });
});

describe('Alipay response substring', () => {
  it('cuts the exact value, with escaped slashes, braces inside strings and raw Chinese', () => {
    const inner =
      '{"code":"10000","msg":"Success","qr_code":"https:\\/\\/qr.alipay.com\\/x",' +
      '"subject":"商品 {a} \\"b\\"","n":{"x":1}}';
    const body = `{"alipay_trade_query_response":${inner},"sign":"abc"}`;
    expect(signedValue(body, 'alipay_trade_query_response')).toBe(inner);
    expect(
      signedValue('{"alipay_trade_query_response":"ZW5jcnlwdGVk\\"x","sign":"s"}', 'alipay_trade_query_response'),
    ).toBe('"ZW5jcnlwdGVk\\"x"');
    expect(signedValue(body, 'error_response')).toBeUndefined();
  });
});

describe('Alipay configuration errors', () => {
  const base = { appId: '2021000122671080', privateKey: appPkcs8, alipayPublicKey: alipayPublic };
  const fails = (options: object, field: string, message: RegExp) =>
    expectConfigError(() => alipay({ ...base, ...options }), `providers.alipay.${field}`, message);

  it('names each mistake', () => {
    fails({ appId: '2088102177296610' }, 'appId', /partner id/);
    fails({ alipayPublicKey: fixture('alipay/app-public.pem') }, 'alipayPublicKey', /looks like your app public key/);
    fails({ alipayPublicKey: fixture('alipay/alipay-private.pem') }, 'alipayPublicKey', /private key/);
    fails({ privateKey: alipayPublic }, 'privateKey', /not a private key/);
    fails({ privateKey: 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC' }, 'privateKey', /could not be parsed/);
    fails({ alipayPublicKey: undefined }, 'alipayPublicKey', /exactly one/);
    fails({ gateway: 'ftp://x' }, 'gateway', /production/);
    fails({ timeoutMs: 0 }, 'timeoutMs', /positive/);
    fails({ timeoutMs: Infinity }, 'timeoutMs', /positive/);
    fails({ ca: 'my-ca.pem' }, 'ca', /PEM text/);
    fails({ sellerId: '12345' }, 'sellerId', /2088/);
    fails(
      {
        alipayPublicKey: undefined,
        certificates: {
          appCert: fixture('alipay/alipay-cert.pem'),
          alipayCert: fixture('alipay/app-cert.pem'),
          alipayRootCert: fixture('alipay/root-bundle.pem'),
        },
      },
      'certificates',
      /swapped/,
    );
    fails(
      {
        alipayPublicKey: undefined,
        certificates: {
          appCert: fixture('alipay/app-cert.pem'),
          alipayCert: 'alipayCertPublicKey_RSA2.crt',
          alipayRootCert: fixture('alipay/root-bundle.pem'),
        },
      },
      'certificates.alipayCert',
      /PEM text of the certificate file/,
    );
    fails(
      {
        alipayPublicKey: undefined,
        certificates: {
          appCert: fixture('alipay/app-cert.pem'),
          alipayCert: fixture('alipay/alipay-cert.pem'),
          alipayRootCert: fixture('alipay/root-ec.pem'),
        },
      },
      'certificates.alipayRootCert',
      /no RSA-signed/,
    );
  });

  it('resolves the gateway from an environment name or a URL', () => {
    const gatewayOf = (gateway?: string) => resolveAlipayConfig({ ...base, gateway }).gateway;
    expect(gatewayOf()).toBe('https://openapi.alipay.com/gateway.do');
    expect(gatewayOf('sandbox')).toBe('https://openapi-sandbox.dl.alipaydev.com/gateway.do');
    expect(gatewayOf('http://127.0.0.1:4010/alipay/gateway.do')).toBe('http://127.0.0.1:4010/alipay/gateway.do');
    expect(resolveAlipayConfig(base)).toMatchObject({ timeoutMs: 10_000, ca: undefined });
  });

  it('accepts certificate mode and computes the SNs it sends', async () => {
    const config = resolveAlipayConfig({
      appId: '2021000122671080',
      privateKey: appPkcs1,
      certificates: {
        appCert: fixture('alipay/app-cert.pem'),
        alipayCert: fixture('alipay/alipay-cert.pem'),
        alipayRootCert: fixture('alipay/root-bundle.pem'),
      },
    });
    expect(config.certs).toEqual({
      appCertSn: 'c5f46397490dae875c2dfcddd8afa716',
      alipayCertSn: '7f5f8453bf8f4d7e62a9bd3f47e24724',
      rootCertSn: '0693fc6ef669ced51fcea1368b723a6b',
    });
    expect(createPublicKey(config.privateKey).export({ format: 'pem', type: 'spki' })).toBe(
      fixture('alipay/app-public.pem'),
    );
    // The signature check uses the Alipay certificate's key.
    const sig = await rsaSign(createPrivateKey(fixture('alipay/alipay-private.pem')), 'x');
    expect(rsaVerify(config.alipayKey, 'x', sig)).toBe(true);
  });
});
