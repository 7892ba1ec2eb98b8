import { expectConfigError } from './helpers/config-error.js';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { wechatpay, type WechatpayOptions } from '../src/index.js';
import { createPayments } from '../src/core/payments.js';
import { openClientCertificate } from '../src/providers/wechatpay/v2/client-cert.js';
import { createSecureContext } from 'node:tls';

const fx = (name: string) => readFileSync(new URL(`./fixtures/wechatpay/${name}`, import.meta.url), 'utf8');
const V3_KEY = 'a'.repeat(16) + 'b'.repeat(16);
const V2_KEY = '192006250b4c09247ec02edce69f6a2d';

const base = (): WechatpayOptions => ({
  mchId: '1230000109',
  appId: 'wxd678efh567hg6787',
  v3: {
    apiV3Key: V3_KEY,
    privateKey: fx('merchant_key.pem'),
    certificateSerial: '444F4864EA9B34415D2A5BE1CF0A4C6B8B1B5CAB',
    platformPublicKey: fx('platform_pub.pem'),
    platformPublicKeyId: 'PUB_KEY_ID_0114232134912410000000000000000001',
  },
});

function fails(mutate: (o: WechatpayOptions) => void, field: string, message: RegExp): void {
  const options = base();
  mutate(options);
  expectConfigError(() => wechatpay(options), `providers.wechatpay.${field}`, message);
}

describe('wechatpay() configuration', () => {
  it('accepts a v3 public-key config, a v2 config, and both', () => {
    expect(wechatpay(base()).id).toBe('wechatpay');
    expect(
      wechatpay({
        mchId: '1230000109',
        appId: { wap: 'wx1111111111111111', app: 'wx2222222222222222' },
        v2: { apiKey: V2_KEY, signType: 'HMAC-SHA256' },
      }).id,
    ).toBe('wechatpay');
    expect(wechatpay({ ...base(), v2: { apiKey: V2_KEY } }).id).toBe('wechatpay');
    expect(
      wechatpay({
        ...base(),
        v3: {
          ...base().v3!,
          platformPublicKey: undefined,
          platformPublicKeyId: undefined,
          platformCertificates: [fx('platform_cert.pem')],
        },
      }).id,
    ).toBe('wechatpay');
  });
  it('names the merchant-number / app-id mix-ups', () => {
    fails((o) => void (o.mchId = 'wxd678efh567hg6787'), 'mchId', /looks like an app id/);
    fails((o) => void (o.mchId = ''), 'mchId', /required/);
    fails((o) => void (o.appId = '1230000109'), 'appId', /all digits, like a merchant number/);
    fails((o) => void (o.appId = {}), 'appId', /at least one channel/);
    fails((o) => void (o.appId = { wap: 'wxd678efh567hg6787', h5: 'wx1' } as never), 'appId.h5', /not a channel/);
    fails((o) => void (o.appId = { wap: 'wxd678efh567hg6787', mini: '1230000109' }), 'appId.mini', /all digits/);
  });
  it('needs v3 or v2', () => {
    fails(
      (o) => {
        delete o.v3;
      },
      'v3',
      /configure API v3 .* or API v2/,
    );
  });
  it('names the APIv3 key / API v2 key mix-ups', () => {
    fails((o) => void (o.v3!.apiV3Key = 'short'), 'v3.apiV3Key', /exactly 32 characters/);
    fails((o) => void (o.v2 = { apiKey: V3_KEY }), 'v3.apiV3Key', /equals v2.apiKey: .* two different keys/);
    fails((o) => void (o.v2 = { apiKey: 'x'.repeat(64) }), 'v2.apiKey', /exactly 32 characters/);
    fails((o) => void (o.v2 = { apiKey: V2_KEY, signType: 'SHA1' as never }), 'v2.signType', /MD5' or 'HMAC-SHA256/);
  });
  it('names the merchant serial / platform serial mix-ups', () => {
    fails(
      (o) => void (o.v3!.certificateSerial = 'PUB_KEY_ID_0114232134912410000000000000000001'),
      'v3.certificateSerial',
      /public key id.*MERCHANT/,
    );
    fails(
      (o) => void (o.v3!.certificateSerial = '392838402938402938402983402983402983409283409283'),
      'v3.certificateSerial',
      /decimal serial/,
    );
    fails((o) => void (o.v3!.certificateSerial = 'not-hex!'), 'v3.certificateSerial', /hex serial/);
    fails(
      (o) => {
        o.v3!.certificateSerial = '5157F09EFDC096DE15EBE78A47057A7B9D2B6A66';
        o.v3!.platformCertificates = [fx('platform_cert.pem')];
      },
      'v3.certificateSerial',
      /serial of a platform certificate/,
    );
    fails(
      (o) => void (o.v3!.platformPublicKeyId = '5157F09EFDC096DE15EBE78A47057A7B9D2B6A66'),
      'v3.platformPublicKeyId',
      /must start with PUB_KEY_ID_/,
    );
    fails(
      (o) => {
        delete o.v3!.platformPublicKeyId;
      },
      'v3.platformPublicKeyId',
      /go together/,
    );
  });
  it('names the private key / public key mix-ups', () => {
    fails((o) => void (o.v3!.privateKey = fx('platform_pub.pem')), 'v3.privateKey', /public key, not a private key/);
    fails((o) => void (o.v3!.platformPublicKey = fx('merchant_key.pem')), 'v3.platformPublicKey', /private key/);
    fails(
      (o) => void (o.v3!.platformPublicKey = fx('merchant_pub.pem')),
      'v3.platformPublicKey',
      /merchant key's public half/,
    );
  });
  it('needs a way to verify WeChat Pay in v3', () => {
    fails(
      (o) => {
        delete o.v3!.platformPublicKey;
        delete o.v3!.platformPublicKeyId;
      },
      'v3',
      /platformPublicKey \+ platformPublicKeyId .* platformCertificates: 'download'/,
    );
    fails(
      (o) => void (o.v3!.platformCertificates = ['not a pem']),
      'v3.platformCertificates[0]',
      /PEM text of the certificate/,
    );
  });
  it('checks the client certificate at configuration time', () => {
    fails(
      (o) =>
        void (o.v2 = {
          apiKey: V2_KEY,
          clientCertificate: { pfx: '/path/apiclient_cert.p12' as never, passphrase: '1230000109' },
        }),
      'v2.clientCertificate.pfx',
      /Buffer/,
    );
    fails(
      (o) =>
        void (o.v2 = { apiKey: V2_KEY, clientCertificate: { pfx: Buffer.from('garbage'), passphrase: '1230000109' } }),
      'v2.clientCertificate.pfx',
      /PKCS#12/,
    );
  });
  it('checks gateway, timeoutMs and ca', () => {
    fails((o) => void (o.gateway = 'api.mch.weixin.qq.com'), 'gateway', /"production" or a gateway URL/);
    fails((o) => void (o.gateway = 'https://api.example.com/?env=test'), 'gateway', /query or fragment/);
    fails((o) => void (o.timeoutMs = 0), 'timeoutMs', /positive number of milliseconds/);
    fails((o) => void (o.timeoutMs = Number.NaN), 'timeoutMs', /positive number of milliseconds/);
    fails((o) => void (o.ca = 'nope'), 'ca', /PEM/);
  });
  it('names the full option path a user writes, and createPayments takes the definition', () => {
    const error = expectConfigError(
      () => wechatpay({ ...base(), mchId: 'wx8888888888888888' }),
      'providers.wechatpay.mchId',
    );
    expect(error.problem).not.toMatch(/^providers/);
    expect(() =>
      createPayments({
        publicUrl: 'https://shop.example.com/pay',
        providers: { wechatpay: wechatpay(base()) },
        publicCheckout: true,
        getOrder: () => null,
        onPaid: () => {},
      }),
    ).not.toThrow();
  });
});

describe('v2 client certificate (apiclient_cert.p12, openssl-made)', () => {
  const p12 = (name: string) => readFileSync(new URL(`./fixtures/wechatpay/${name}`, import.meta.url));
  it('a modern container is used as is', () => {
    const pfx = p12('apiclient_cert.p12');
    expect(openClientCertificate({ pfx, passphrase: '1230000109' }, 'v2.clientCertificate').pfx).toBe(pfx);
  });
  it('a legacy (RC2) container that OpenSSL 3 refuses is re-encoded so TLS can use it (P11)', () => {
    const pfx = p12('apiclient_cert_legacy.p12');
    expect(() => createSecureContext({ pfx, passphrase: '1230000109' })).toThrow(/Unsupported PKCS12/);
    const usable = openClientCertificate({ pfx, passphrase: '1230000109' }, 'v2.clientCertificate');
    expect(() => createSecureContext(usable)).not.toThrow();
  });
  it('a wrong passphrase is a ConfigError now, naming the mchid convention', () => {
    fails(
      (o) =>
        void (o.v2 = { apiKey: V2_KEY, clientCertificate: { pfx: p12('apiclient_cert.p12'), passphrase: 'wrong' } }),
      'v2.clientCertificate.passphrase',
      /usually the mchId/,
    );
  });
});
