import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alipay, createPayments, unionpay, wechatpay, type ProviderDefinition } from '../src/index.js';
import { expectConfigError } from './helpers/config-error.js';
import { fixture } from './helpers/fixtures.js';
import { alipayOptions, unionpayOptions, wechatV3Options } from './helpers/provider-messages.js';

/**
 * Go-live mistakes caught when the router is created (docs/go-live.md): keys the providers cannot
 * use (RSA under 2048 bits, or not RSA at all), and a production gateway with a `publicUrl` its
 * servers cannot notify. The keys are made with the `openssl` CLI, as users make theirs.
 */

let dir: string;
const keys: Record<string, string> = {};
let p12: Record<'rsa1024' | 'ec', Buffer>;

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'paymount-keys-'));
  openssl('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024', '-out', 'rsa1024.pem');
  openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'ec.pem');
  for (const name of ['rsa1024', 'ec']) {
    openssl('pkey', '-in', `${name}.pem`, '-pubout', '-out', `${name}-pub.pem`);
    openssl(
      'req',
      '-x509',
      '-new',
      '-key',
      `${name}.pem`,
      '-subj',
      `/CN=${name}`,
      '-days',
      '2',
      '-out',
      `${name}-cert.pem`,
    );
    // The legacy algorithms UnionPay's own .pfx files use, which every reader accepts.
    openssl(
      'pkcs12', '-export', '-legacy', '-inkey', `${name}.pem`, '-in', `${name}-cert.pem`,
      '-passout', 'pass:000000', '-out', `${name}.p12`,
    ); // prettier-ignore
    for (const file of [name, `${name}-pub`, `${name}-cert`])
      keys[file] = readFileSync(join(dir, `${file}.pem`), 'utf8');
  }
  p12 = { rsa1024: readFileSync(join(dir, 'rsa1024.p12')), ec: readFileSync(join(dir, 'ec.p12')) };
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const SHOP = 'https://shop.example.com/pay';

function create(providers: Record<string, ProviderDefinition>, publicUrl = SHOP) {
  return createPayments({
    publicUrl,
    providers,
    getOrder: () => null,
    onPaid: () => {},
    publicCheckout: true,
    logger: false,
  });
}

const SMALL = /is an RSA key of 1024 bits; /;
const EC = /is an EC key \(P-256\); /;

describe('keys the providers cannot use are refused at configuration', () => {
  it('Alipay app private key: RSA-1024 and EC P-256', () => {
    for (const [key, shape] of [
      ['rsa1024', SMALL],
      ['ec', EC],
    ] as const) {
      const error = expectConfigError(
        () => create({ alipay: alipay({ ...alipayOptions(), privateKey: keys[key]! }) }),
        'providers.alipay.privateKey',
        shape,
      );
      expect(error.message).toContain('Alipay requires RSA2 (2048-bit RSA)');
    }
  });

  it('Alipay public key, and the Alipay certificate in certificate mode', () => {
    expectConfigError(
      () => create({ alipay: alipay({ ...alipayOptions(), alipayPublicKey: keys['rsa1024-pub']! }) }),
      'providers.alipay.alipayPublicKey',
      /is an RSA key of 1024 bits; Alipay requires RSA2 \(2048-bit RSA\)/,
    );
    expectConfigError(
      () => create({ alipay: alipay({ ...alipayOptions(), alipayPublicKey: keys['ec-pub']! }) }),
      'providers.alipay.alipayPublicKey',
      EC,
    );
    const { alipayPublicKey: _, ...options } = alipayOptions();
    const certificates = {
      appCert: fixture('alipay/app-cert.pem'),
      alipayCert: keys['ec-cert']!,
      alipayRootCert: fixture('alipay/root-bundle.pem'),
    };
    expectConfigError(
      () => create({ alipay: alipay({ ...options, certificates }) }),
      'providers.alipay.certificates.alipayCert',
      EC,
    );
  });

  it('WeChat Pay merchant key, platform public key and platform certificate', () => {
    const v3 = wechatV3Options().v3!;
    for (const [key, shape] of [
      ['rsa1024', SMALL],
      ['ec', EC],
    ] as const) {
      const error = expectConfigError(
        () => create({ wechatpay: wechatpay({ ...wechatV3Options(), v3: { ...v3, privateKey: keys[key]! } }) }),
        'providers.wechatpay.v3.privateKey',
        shape,
      );
      expect(error.message).toContain('WeChat Pay APIv3 requires 2048-bit RSA');
      expectConfigError(
        () =>
          create({
            wechatpay: wechatpay({ ...wechatV3Options(), v3: { ...v3, platformPublicKey: keys[`${key}-pub`]! } }),
          }),
        'providers.wechatpay.v3.platformPublicKey',
        shape,
      );
    }
    const { platformPublicKey: _k, platformPublicKeyId: _id, ...certMode } = v3;
    expectConfigError(
      () =>
        create({
          wechatpay: wechatpay({ ...wechatV3Options(), v3: { ...certMode, platformCertificates: [keys['ec-cert']!] } }),
        }),
      'providers.wechatpay.v3.platformCertificates[0]',
      EC,
    );
  });

  it('UnionPay signing .pfx and CA certificates', () => {
    for (const [key, shape] of [
      ['rsa1024', SMALL],
      ['ec', EC],
    ] as const) {
      const error = expectConfigError(
        () =>
          create({ unionpay: unionpay({ ...unionpayOptions(), signCert: { pfx: p12[key], passphrase: '000000' } }) }),
        'providers.unionpay.signCert',
      );
      expect(error.message).toMatch(shape);
    }
    expectConfigError(
      () => create({ unionpay: unionpay({ ...unionpayOptions(), middleCert: keys['rsa1024-cert']! }) }),
      'providers.unionpay.middleCert',
      SMALL,
    );
  });

  it('the 2048-bit fixture keys pass', () => {
    expect(() =>
      create({
        alipay: alipay(alipayOptions()),
        wechatpay: wechatpay(wechatV3Options()),
        unionpay: unionpay(unionpayOptions()),
      }),
    ).not.toThrow();
  });
});

describe('a production gateway needs a publicUrl its servers can notify', () => {
  // No gateway given: each provider's default is its production gateway (real money).
  const live = {
    alipay: () => {
      const { gateway: _, ...options } = alipayOptions();
      return alipay(options);
    },
    wechatpay: () => {
      const { gateway: _, ...options } = wechatV3Options();
      return wechatpay(options);
    },
    unionpay: () => {
      const { gateway: _, ...options } = unionpayOptions();
      return unionpay(options);
    },
  };

  for (const [name, provider] of Object.entries(live)) {
    it(`${name}: http://, loopback, localhost and private hosts are refused, naming why`, () => {
      expect(provider().live).toBe(true);
      const cases: [string, RegExp][] = [
        ['http://shop.example.com/pay', /plain http:\/\//],
        ['http://127.0.0.1:3000/pay', /127\.0\.0\.1 is a loopback address/],
        ['https://localhost/pay', /localhost is localhost/],
        ['https://[::1]:8443/pay', /is a loopback address/],
        ['https://192.168.1.20/pay', /192\.168\.1\.20 is a private address/],
        ['https://10.0.0.7/pay', /is a private address/],
        ['https://shop-server/pay', /is a single-label host name/],
      ];
      for (const [publicUrl, why] of cases) {
        const error = expectConfigError(() => create({ [name]: provider() }, publicUrl), 'publicUrl', why);
        expect(error.message).toContain(`production gateway (providers.${name})`);
      }
      expect(() => create({ [name]: provider() })).not.toThrow();
    });
  }

  it('test gateways and the sandbox may use http:// and loopback', () => {
    const providers = {
      alipay: alipay(alipayOptions()),
      wechatpay: wechatpay(wechatV3Options()),
      unionpay: unionpay(unionpayOptions()),
    };
    expect(Object.values(providers).map((p) => p.live)).toEqual([false, false, false]);
    expect(() => create(providers, 'http://127.0.0.1:3000/pay')).not.toThrow();
    expect(() =>
      create({ alipay: alipay({ ...alipayOptions(), gateway: 'sandbox' }) }, 'http://localhost/pay'),
    ).not.toThrow();
    expect(() =>
      create({ unionpay: unionpay({ ...unionpayOptions(), gateway: 'test' }) }, 'http://192.168.1.20/pay'),
    ).not.toThrow();
  });
});
