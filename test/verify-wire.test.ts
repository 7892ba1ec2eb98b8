import { createPrivateKey, createPublicKey, createSign, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/errors/index.js';
import { canonicalString } from '../src/wire/canonical.js';
import { safeEqual } from '../src/wire/compare.js';
import { loadPrivateKey, loadPublicKey, requireRsa, samePublicKey } from '../src/wire/keys.js';
import { rsaSign, rsaSignSync, rsaVerify } from '../src/wire/rsa.js';
import { expectConfigError } from './helpers/config-error.js';
import { fixture } from './helpers/fixtures.js';

/**
 * The wire code every verification stands on (docs/architecture.md#layers): the sorted string, RSA
 * verify, the constant-time compare and key parsing, checked against node:crypto and the frozen
 * fixture keys, never against paymount's own signer.
 */
const privatePem = fixture('alipay/alipay-private.pem');
const publicPem = fixture('alipay/alipay-public.pem');
const privateKey = createPrivateKey(privatePem);
const publicKey = createPublicKey(publicPem);
const other = createPublicKey(fixture('alipay/app-public.pem'));
const signed = (text: string, hash = 'sha256') => createSign(hash).update(text, 'utf8').sign(privateKey, 'base64');
const bare = (pem: string) => pem.replace(/-----[^-]+-----|\s+/g, '');

describe('canonicalString', () => {
  it('sorts by code unit, keeps raw values, skips empty and excluded fields', () => {
    const params = { b: 'x y', a: '1&2', B: 'up', c: '', d: undefined, sign: 's', 中: '文' };
    expect(canonicalString(params, ['sign'])).toBe('B=up&a=1&2&b=x y&中=文');
    expect(canonicalString({ z: '1', y: '2' })).toBe('y=2&z=1');
    expect(canonicalString({})).toBe('');
  });
});

describe('rsaVerify', () => {
  it('accepts the signature of the same text only, under the hash it was made with', () => {
    expect(rsaVerify(publicKey, 'a=1', signed('a=1'))).toBe(true);
    expect(rsaVerify(publicKey, Buffer.from('a=1'), signed('a=1'))).toBe(true);
    expect(rsaVerify(publicKey, 'a=2', signed('a=1'))).toBe(false);
    expect(rsaVerify(other, 'a=1', signed('a=1'))).toBe(false);
    expect(rsaVerify(publicKey, 'a=1', signed('a=1', 'sha1'), 'sha1')).toBe(true);
    expect(rsaVerify(publicKey, 'a=1', signed('a=1', 'sha1'))).toBe(false);
  });

  it('reads a malformed signature as false, never as an exception', () => {
    const good = signed('a=1');
    for (const bad of ['', 'not base64!', `${good}==`, good.slice(1), '====', 'AAAA']) {
      expect(rsaVerify(publicKey, 'a=1', bad)).toBe(false);
    }
    expect(rsaVerify(publicKey, 'a=1', `${good.slice(0, -2)}\n==`)).toBe(false);
    // A key that cannot verify at all (a private key of another type) is false too.
    const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey;
    expect(rsaVerify(ec, 'a=1', good)).toBe(false);
  });

  it('reads a key that node:crypto cannot verify with as false, never as an exception', () => {
    // node:crypto throws for these (an Ed25519 key takes no digest; X25519 and DH keys do not sign):
    // a configuration or key-lookup mistake must be a refused message, not a crashed route.
    const good = signed('a=1');
    for (const key of [generateKeyPairSync('ed25519').publicKey, generateKeyPairSync('x25519').publicKey]) {
      expect(rsaVerify(key, 'a=1', good)).toBe(false);
      expect(rsaVerify(key, Buffer.from('a=1'), good, 'sha1')).toBe(false);
    }
  });

  it('signs what node:crypto verifies, on the thread pool and synchronously', async () => {
    const verify = (sig: string, hash = 'sha256') =>
      createPublicKey(publicPem) && rsaVerify(publicKey, 'a=1', sig, hash as 'sha256');
    expect(verify(await rsaSign(privateKey, 'a=1'))).toBe(true);
    expect(verify(await rsaSign(privateKey, Buffer.from('a=1')))).toBe(true);
    expect(verify(rsaSignSync(privateKey, 'a=1'))).toBe(true);
    expect(verify(rsaSignSync(privateKey, Buffer.from('a=1'), 'sha1'), 'sha1')).toBe(true);
    expect(verify(await rsaSign(privateKey, 'a=1', 'sha1'), 'sha1')).toBe(true);
    await expect(rsaSign(publicKey, 'a=1')).rejects.toThrow();
  });

  it('rejects, never resolves, when the thread-pool signing fails', async () => {
    // An X25519 key is accepted as a private key but cannot sign: node:crypto reports that in the callback.
    const x25519 = generateKeyPairSync('x25519').privateKey;
    await expect(rsaSign(x25519, 'a=1')).rejects.toThrow(/not supported for this keytype/);
  });
});

describe('safeEqual', () => {
  it('is true for equal strings only, whatever their lengths', () => {
    expect(safeEqual('ABC', 'ABC')).toBe(true);
    expect(safeEqual('ABC', 'ABD')).toBe(false);
    expect(safeEqual('ABC', 'ABCD')).toBe(false);
    expect(safeEqual('ABCD', 'ABC')).toBe(false);
    expect(safeEqual('', '')).toBe(true);
    expect(safeEqual('é', 'e')).toBe(false);
  });
});

describe('loadPrivateKey', () => {
  it('reads PKCS#8 and PKCS#1, as PEM, bare base64, a Buffer, DER bytes or a KeyObject', () => {
    const der = privateKey.export({ format: 'der', type: 'pkcs8' });
    const pkcs1 = privateKey.export({ format: 'pem', type: 'pkcs1' }).toString();
    for (const input of [privatePem, bare(privatePem), Buffer.from(privatePem), der, pkcs1, bare(pkcs1), privateKey]) {
      expect(samePublicKey(loadPrivateKey(input, 'privateKey'), publicKey)).toBe(true);
    }
    // A PKCS#8 body under a PKCS#1 header, as many tutorials print it.
    const mislabelled = `-----BEGIN RSA PRIVATE KEY-----\n${bare(privatePem)}\n-----END RSA PRIVATE KEY-----`;
    expect(samePublicKey(loadPrivateKey(mislabelled, 'privateKey'), publicKey)).toBe(true);
  });

  it('names each mistake', () => {
    expectConfigError(() => loadPrivateKey(publicKey, 'k'), 'k', /expected a private key, got a public key/);
    expectConfigError(() => loadPrivateKey('  \n', 'k'), 'k', /is empty/);
    expectConfigError(() => loadPrivateKey(undefined as unknown as string, 'k'), 'k', /is empty/);
    expectConfigError(() => loadPrivateKey(publicPem, 'k'), 'k', /is a public key, not a private key/);
    const cert = fixture('alipay/alipay-cert.pem');
    expectConfigError(() => loadPrivateKey(cert, 'k'), 'k', /is a certificate, not a private key/);
    const encrypted = '-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----';
    expectConfigError(() => loadPrivateKey(encrypted, 'k'), 'k', /is an encrypted private key: decrypt it/);
    expectConfigError(() => loadPrivateKey('MIIE#x', 'k'), 'k', /is not a PEM or base64 private key/);
    expectConfigError(() => loadPrivateKey(bare(privatePem).slice(0, 200), 'k'), 'k', /could not be parsed/);
    expectConfigError(() => loadPrivateKey(bare(publicPem), 'k'), 'k', /could not be parsed as a PKCS#8 or PKCS#1/);
  });
});

describe('loadPublicKey', () => {
  it('reads SPKI, PKCS#1, bare base64, a certificate, a KeyObject or an X509Certificate', () => {
    const pkcs1 = publicKey.export({ format: 'pem', type: 'pkcs1' }).toString();
    const cert = fixture('alipay/alipay-cert.pem');
    const certKey = new X509Certificate(cert).publicKey;
    for (const input of [publicPem, bare(publicPem), Buffer.from(publicPem), pkcs1, bare(pkcs1), publicKey]) {
      expect(samePublicKey(loadPublicKey(input, 'publicKey'), publicKey)).toBe(true);
    }
    expect(samePublicKey(loadPublicKey(cert, 'publicKey'), certKey)).toBe(true);
    expect(samePublicKey(loadPublicKey(new X509Certificate(cert), 'publicKey'), certKey)).toBe(true);
    // An SPKI body under a PKCS#1 header is read too.
    const mislabelled = `-----BEGIN RSA PUBLIC KEY-----\n${bare(publicPem)}\n-----END RSA PUBLIC KEY-----`;
    expect(samePublicKey(loadPublicKey(mislabelled, 'publicKey'), publicKey)).toBe(true);
  });

  it('names each mistake', () => {
    expectConfigError(() => loadPublicKey(privateKey, 'k'), 'k', /is a private key: this field takes a public key/);
    expectConfigError(() => loadPublicKey('', 'k'), 'k', /is empty/);
    expectConfigError(() => loadPublicKey(privatePem, 'k'), 'k', /is a private key: this field takes a public key/);
    const cut = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
    expectConfigError(() => loadPublicKey(cut, 'k'), 'k', /is a certificate that could not be parsed/);
    expectConfigError(() => loadPublicKey('MIIB#', 'k'), 'k', /is not a PEM or base64 public key/);
    expectConfigError(() => loadPublicKey(bare(publicPem).slice(0, 100), 'k'), 'k', /could not be parsed as a public/);
  });
});

describe('requireRsa', () => {
  const rule = 'Alipay requires RSA2';
  it('passes a 2048-bit RSA key, and names an EC key, its curve, or a short RSA key', () => {
    expect(requireRsa(publicKey, 'k', rule)).toBe(publicKey);
    const p256 = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey;
    expectConfigError(() => requireRsa(p256, 'k', rule), 'k', /^k: is an EC key \(P-256\); Alipay requires RSA2$/);
    const k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey;
    expectConfigError(() => requireRsa(k1, 'k', rule), 'k', /is an EC key \(secp256k1\);/);
    const ed = generateKeyPairSync('ed25519').publicKey;
    expectConfigError(() => requireRsa(ed, 'k', rule), 'k', /^k: is a ed25519 key; Alipay/);
    const short = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;
    expectConfigError(() => requireRsa(short, 'k', rule), 'k', /^k: is an RSA key of 1024 bits; Alipay requires RSA2$/);
  });

  it('tells swapped keys apart', () => {
    expect(samePublicKey(privateKey, publicKey)).toBe(true);
    expect(samePublicKey(publicKey, other)).toBe(false);
    expect(() => loadPrivateKey('x', 'k')).toThrow(ConfigError);
  });
});
