import { createPrivateKey, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/errors/index.js';
import { resolveUnionpayConfig } from '../src/providers/unionpay/config.js';
import { clearingDate, paidAtOf } from '../src/providers/unionpay/fields.js';
import { decimalSerial, openPfx } from '../src/providers/unionpay/pfx.js';
import { signingDigest, signingString, signRequest } from '../src/providers/unionpay/sign.js';
import { parseAcpResponse } from '../src/providers/unionpay/client.js';
import { acpRefundOrderId } from '../src/providers/unionpay/refunds.js';
import { parseReqReserved, reqReservedOf } from '../src/providers/unionpay/reserved.js';
import { unionpay } from '../src/index.js';
import { crlf, fixture, fixtureOptions, fixtureText, MER_ID } from './fixtures/unionpay/helpers.js';

/** The request of vector 1, as a field map (make-vectors.sh writes its sorted string). */
function vectorRequest(certId: string): Record<string, string> {
  return {
    version: '5.1.0',
    encoding: 'UTF-8',
    certId,
    signMethod: '01',
    txnType: '01',
    txnSubType: '01',
    bizType: '000201',
    channelType: '08',
    accessType: '0',
    merId: MER_ID,
    orderId: 'T20261125120000a1',
    txnTime: '20261125200000',
    txnAmt: '1234',
    currencyCode: '156',
    payTimeout: '20261125203000',
    frontUrl: 'https://shop.example.com/pay/return/unionpay',
    backUrl: 'https://shop.example.com/pay/notify/unionpay',
  };
}

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('unionpay signing vectors (openssl)', () => {
  const certId = fixtureText('merchant.certid.txt');

  it('builds the sorted string, digest and signature openssl made', async () => {
    const fields = vectorRequest(certId);
    expect(signingString(fields)).toBe(fixtureText('request.string.txt'));
    expect(signingDigest(fields)).toBe(fixtureText('request.digest.txt'));
    const signed = await signRequest(fields, createPrivateKey(fixture('merchant.key')));
    expect(signed.signature).toBe(fixtureText('request.signature.txt'));
  });

  it('signs with the key opened from the .pfx and puts its decimal certId in', async () => {
    const { key, certId: fromPfx } = openPfx(fixture('merchant.p12'), '000000');
    expect(fromPfx).toBe(certId);
    const signed = await signRequest(vectorRequest(fromPfx), key);
    expect(signed.signature).toBe(fixtureText('request.signature.txt'));
  });

  it('includes signPubKeyCert with its CR LF bytes in the verification string', () => {
    const fields: Record<string, string> = {
      accessType: '0',
      bizType: '000201',
      currencyCode: '156',
      encoding: 'UTF-8',
      merId: MER_ID,
      orderId: 'T20261125120000a1',
      queryId: '782611252000000674028',
      respCode: '00',
      respMsg: '成功[0000000]',
      settleAmt: '1234',
      settleCurrencyCode: '156',
      settleDate: '1125',
      signMethod: '01',
      signPubKeyCert: crlf(fixtureText('up-sign.pem')),
      traceNo: '067402',
      traceTime: '1125200312',
      txnAmt: '1234',
      txnSubType: '01',
      txnTime: '20261125200000',
      txnType: '01',
      version: '5.1.0',
      signature: fixtureText('notify.signature.txt'),
    };
    expect(signingString(fields)).toBe(fixtureText('notify.string.txt'));
    expect(signingDigest(fields)).toBe(fixtureText('notify.digest.txt'));
  });

  it('drops empty fields and refuses padded values instead of trimming them', async () => {
    const key = createPrivateKey(fixture('merchant.key'));
    const signed = await signRequest({ ...vectorRequest(certId), reqReserved: '' }, key);
    expect('reqReserved' in signed).toBe(false);
    expect(signed.signature).toBe(fixtureText('request.signature.txt'));
    await expect(signRequest({ ...vectorRequest(certId), orderId: ' T20261125120000a1' }, key)).rejects.toThrow(
      /whitespace/,
    );
  });
});

describe('unionpay .pfx and certId', () => {
  it('gives certId as the exact decimal of a serial above 2^53', () => {
    const cert = new X509Certificate(fixture('merchant.pem'));
    expect(cert.serialNumber).toBe('18D0F3FC7F7D1DDFC2C6');
    expect(decimalSerial(cert)).toBe('117191299423423768281798');
    expect(decimalSerial(cert)).not.toBe(String(parseInt(cert.serialNumber, 16)));
  });

  it('opens the legacy RC2-40/3DES layout that OpenSSL 3 refuses, with the same key', () => {
    const modern = openPfx(fixture('merchant.p12'), '000000');
    const legacy = openPfx(fixture('merchant-legacy.p12'), '000000');
    expect(legacy.certId).toBe(modern.certId);
    expect(
      legacy.key.export({ type: 'pkcs8', format: 'der' }).equals(modern.key.export({ type: 'pkcs8', format: 'der' })),
    ).toBe(true);
  });

  it('picks the certificate that matches the key, not the extra CA bag', () => {
    const { cert } = openPfx(fixture('merchant-legacy.p12'), '000000');
    expect(cert.subject).toContain('777290058110048:SIGN');
  });

  it('accepts the .pfx as base64 text', () => {
    expect(openPfx(fixture('merchant.p12').toString('base64'), '000000').certId).toBe('117191299423423768281798');
  });
});

describe('unionpay config errors', () => {
  it('accepts the fixture configuration', () => {
    const config = resolveUnionpayConfig(fixtureOptions({ gateway: 'test' }));
    expect(config.certId).toBe('117191299423423768281798');
    expect(config.endpoints.front).toBe('https://gateway.test.95516.com/gateway/api/frontTransReq.do');
    expect(config.production).toBe(false);
    expect(resolveUnionpayConfig(fixtureOptions({ gateway: undefined })).production).toBe(true);
    expect(unionpay(fixtureOptions()).id).toBe('unionpay');
  });

  it('names a wrong passphrase', () => {
    const error = configError(() =>
      resolveUnionpayConfig(fixtureOptions({ signCert: { pfx: fixture('merchant.p12'), passphrase: '111111' } })),
    );
    expect(error.field).toBe('signCert.passphrase');
    expect(error.message).toMatch(/wrong passphrase/);
    expect(
      configError(() =>
        resolveUnionpayConfig(fixtureOptions({ signCert: { pfx: fixture('merchant-legacy.p12'), passphrase: 'x' } })),
      ).field,
    ).toBe('signCert.passphrase');
  });

  it('names a .pfx without a private key, and a file that is no .pfx', () => {
    const noKey = configError(() =>
      resolveUnionpayConfig(fixtureOptions({ signCert: { pfx: fixture('merchant-nokey.p12'), passphrase: '000000' } })),
    );
    expect(noKey.field).toBe('signCert.pfx');
    expect(noKey.message).toMatch(/no RSA private key/);
    expect(
      configError(() =>
        resolveUnionpayConfig(fixtureOptions({ signCert: { pfx: fixture('merchant.pem'), passphrase: '000000' } })),
      ).field,
    ).toBe('signCert.pfx');
    expect(
      configError(() =>
        resolveUnionpayConfig(fixtureOptions({ signCert: { pfx: './acp_test_sign.pfx', passphrase: '000000' } })),
      ).message,
    ).toMatch(/file path/);
  });

  it('names swapped middle and root certificates', () => {
    const error = configError(() =>
      resolveUnionpayConfig(
        fixtureOptions({ middleCert: fixtureText('up-root.pem'), rootCert: fixtureText('up-middle.pem') }),
      ),
    );
    expect(error.field).toBe('middleCert');
    expect(error.message).toMatch(/swapped/);
  });

  it('names a certificate that is not a CA', () => {
    const leafAsMiddle = configError(() =>
      resolveUnionpayConfig(fixtureOptions({ middleCert: fixtureText('up-sign.pem') })),
    );
    expect(leafAsMiddle.field).toBe('middleCert');
    expect(leafAsMiddle.message).toMatch(/not a CA/);
    const leafAsRoot = configError(() =>
      resolveUnionpayConfig(fixtureOptions({ rootCert: fixtureText('up-sign.pem') })),
    );
    expect(leafAsRoot.field).toBe('rootCert');
    expect(leafAsRoot.message).toMatch(/not a CA/);
  });

  it('names a middle CA that the root did not issue', () => {
    const error = configError(() =>
      resolveUnionpayConfig(fixtureOptions({ rootCert: fixtureText('merchant-ca.pem') })),
    );
    expect(error.field).toBe('middleCert');
    expect(error.message).toMatch(/not issued by rootCert/);
  });

  it('takes gateway, timeoutMs and ca as every provider does, and names each mistake', () => {
    const ca = fixtureText('merchant-ca.pem');
    const config = resolveUnionpayConfig(
      fixtureOptions({ gateway: 'https://gateway.95516.com/', ca, timeoutMs: 2500 }),
    );
    expect(config).toMatchObject({ production: true, ca, timeoutMs: 2500 });
    expect(config.endpoints.query).toBe('https://gateway.95516.com/gateway/api/queryTrans.do');
    expect(resolveUnionpayConfig(fixtureOptions({ gateway: 'test' }))).toMatchObject({
      ca: undefined,
      timeoutMs: 10_000,
    });
    expect(configError(() => resolveUnionpayConfig(fixtureOptions({ ca: 'MIIB...' }))).field).toBe('ca');
    expect(configError(() => resolveUnionpayConfig(fixtureOptions({ timeoutMs: 0 }))).field).toBe('timeoutMs');
    const query = configError(() => resolveUnionpayConfig(fixtureOptions({ gateway: 'https://gw.example.com/?a=1' })));
    expect(query.field).toBe('gateway');
  });

  it('names a DER certificate file and says how to convert it', () => {
    const der = new X509Certificate(fixtureText('up-middle.pem')).raw;
    const error = configError(() => resolveUnionpayConfig(fixtureOptions({ middleCert: der })));
    expect(error.field).toBe('middleCert');
    expect(error.message).toMatch(/openssl x509 -inform der/);
  });

  it('names a malformed merId, certificate or gateway', () => {
    expect(configError(() => resolveUnionpayConfig(fixtureOptions({ merId: '77729005811004' }))).field).toBe('merId');
    expect(configError(() => resolveUnionpayConfig(fixtureOptions({ merId: '7772900581100AB' }))).field).toBe('merId');
    expect(configError(() => resolveUnionpayConfig(fixtureOptions({ middleCert: 'MIIB...' }))).field).toBe(
      'middleCert',
    );
    expect(configError(() => resolveUnionpayConfig(fixtureOptions({ gateway: 'ftp://gateway' }))).field).toBe(
      'gateway',
    );
  });
});

describe('unionpay wire details', () => {
  it('parses a raw response without URL-decoding, keeping +, CR LF and braces', () => {
    const pem = crlf(fixtureText('up-sign.pem'));
    const fields = parseAcpResponse(
      'respCode=00&respMsg=成功[0000000]&reqReserved={a=1&b=2}&signature=ab+c/d==' +
        `&signPubKeyCert=${pem}&tn=710065895678926661300`,
    );
    expect(fields.respMsg).toBe('成功[0000000]');
    expect(fields.reqReserved).toBe('{a=1&b=2}');
    expect(fields.signature).toBe('ab+c/d==');
    expect(fields.signPubKeyCert).toBe(pem);
    expect(fields.tn).toBe('710065895678926661300');
    expect(() => parseAcpResponse('a=1&a=2')).toThrow(/twice/);
  });

  it('computes paidAt from traceTime in Beijing time, across a year end', () => {
    expect(paidAtOf({ txnTime: '20270301120000', traceTime: '0301120312' }, new Date(0)).toISOString()).toBe(
      '2027-03-01T04:03:12.000Z',
    );
    expect(paidAtOf({ txnTime: '20261231235900', traceTime: '0101000100' }, new Date(0)).toISOString()).toBe(
      '2026-12-31T16:01:00.000Z',
    );
  });

  it('rolls the clearing day over at 23:00 Beijing time', () => {
    expect(clearingDate(new Date('2027-03-01T14:59:00Z'))).toBe('0301');
    expect(clearingDate(new Date('2027-03-01T15:00:00Z'))).toBe('0302');
  });

  it('maps refund ids to UnionPay order ids and back', () => {
    // Refund ids are per order: the same id on two orders must name two UnionPay refunds.
    expect(acpRefundOrderId('T2027030100001', 'R2027030100001')).not.toBe(
      acpRefundOrderId('T2027030100002', 'R2027030100001'),
    );
    const derived = acpRefundOrderId('T2027030100001', 'r_1');
    expect(derived).toMatch(/^[0-9A-Za-z]{32}$/);
    expect(acpRefundOrderId('T2027030100001', 'r_1')).toBe(derived);
    expect(acpRefundOrderId('T2027030100001', 'T2027030100001')).not.toBe('T2027030100001');
    expect(parseReqReserved(reqReservedOf('T2027030100001', 'a|b'))).toEqual({
      orderId: 'T2027030100001',
      refundId: 'a|b',
    });
  });
});
