import {
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  randomInt,
  X509Certificate,
  type KeyObject,
} from 'node:crypto';
import { isIP } from 'node:net';
import forge from 'node-forge';
import { keyPairOf, type KeyPair } from '../keys.js';
import { buildPkcs12 } from '../wire/pkcs12.js';
import { signCertificate } from '../wire/x509.js';

export { newKeyPair, type KeyPair } from '../keys.js';

/**
 * The simulated WeChat Pay PKI. Everything is generated at start (nothing secret is shipped):
 * - a sandbox CA that issues every certificate below, and whose PEM the merchant trusts for the
 *   HTTPS listener (`ca` option);
 * - per merchant: an API key pair and the "merchant API certificate" (apiclient_cert) whose serial
 *   goes into the v3 Authorization header; the same certificate is the mutual-TLS client
 *   certificate, shipped as `apiclient_cert.p12` with passphrase = mchid;
 * - the platform certificates (rotatable) that sign v3 responses and notifies in certificate mode;
 * - the WeChat Pay public key with its `PUB_KEY_ID_…` id (public-key mode);
 * - the TLS server certificate for 127.0.0.1, localhost and the host of the sandbox's public URL.
 *
 * A state dir keeps all but the TLS server certificate, which is issued at each start for the
 * host names of that start. node-forge only assembles certificates and the PKCS#12 here; every
 * signature goes through node:crypto.
 */

const DAY = 24 * 60 * 60 * 1000;

/** A certificate with its key, parsed once. */
export interface IssuedCertificate {
  pem: string;
  x509: X509Certificate;
  /** Upper-case hex, 40 characters: the form WeChat prints and the Authorization header carries. */
  serial: string;
  keys: KeyPair;
}

/** The number of start key pairs (see `startKeyPairs`): {@link startKeysOf} names them. */
export const START_KEY_COUNT = 7;

/** The key pairs one simulator starts with, by role. */
export interface StartKeys {
  /** Signs every sandbox certificate, and is the HTTPS listener's key. */
  ca: KeyPair;
  /** The WeChat Pay public key (public-key mode). */
  publicKey: KeyPair;
  /** The first platform certificate's key. */
  platform: KeyPair;
  /** The key of the first platform certificate rotation. */
  nextPlatform: KeyPair;
  v3PublicKeyMerchant: KeyPair;
  v3CertificateMerchant: KeyPair;
  /** Shared by the two v2 merchants: they use it only for their (distinct) client certificates. */
  v2Merchant: KeyPair;
}

/** Names the {@link START_KEY_COUNT} start key pairs. */
export function startKeysOf(keys: KeyPair[]): StartKeys {
  const [ca, publicKey, platform, nextPlatform, a, b, c] = keys as [
    KeyPair,
    KeyPair,
    KeyPair,
    KeyPair,
    KeyPair,
    KeyPair,
    KeyPair,
  ];
  return { ca, publicKey, platform, nextPlatform, v3PublicKeyMerchant: a, v3CertificateMerchant: b, v2Merchant: c };
}

export function newKeyPairSync(): KeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return keyPairOf(privateKey, publicKey);
}

/** 40 hex digits whose first byte keeps the ASN.1 INTEGER positive and the hex form full length. */
export function newSerial(): string {
  const bytes = randomBytes(20);
  bytes[0] = 0x10 + (bytes.readUInt8(0) % 0x70);
  return bytes.toString('hex').toUpperCase();
}

/** Decimal digits, for ids that are digit strings. */
export function digits(count: number): string {
  let out = '';
  while (out.length < count) out += String(randomInt(0, 1_000_000_000)).padStart(9, '0');
  return out.slice(0, count);
}

interface CertRequest {
  subject: Record<string, string>;
  keys: KeyPair;
  issuer?: IssuedCertificate;
  /** Key that signs: the issuer's, or the subject's own for the self-signed CA. */
  signer: KeyPair;
  notBefore: Date;
  notAfter: Date;
  kind: 'ca' | 'server' | 'client' | 'signing';
  /** Server certificates: the host names and IP addresses it is valid for. */
  hosts?: readonly string[];
}

function subjectAttrs(subject: Record<string, string>): forge.pki.CertificateField[] {
  return Object.entries(subject).map(([shortName, value]) => ({ shortName, value }));
}

/** subjectAltName entries: type 7 for an IP address (v4 or v6), type 2 for a DNS name. */
function altNames(hosts: readonly string[]): object[] {
  return [...new Set(hosts)].map((host) => (isIP(host) ? { type: 7, ip: host } : { type: 2, value: host }));
}

function extensionsFor(kind: CertRequest['kind'], hosts: readonly string[] = []): unknown[] {
  switch (kind) {
    case 'ca':
      return [
        { name: 'basicConstraints', cA: true, critical: true },
        { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
        { name: 'subjectKeyIdentifier' },
      ];
    case 'server':
      return [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
        { name: 'extKeyUsage', serverAuth: true },
        { name: 'subjectAltName', altNames: altNames(hosts) },
      ];
    case 'client':
      return [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
        { name: 'extKeyUsage', clientAuth: true },
      ];
    case 'signing':
      return [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, nonRepudiation: true },
      ];
  }
}

function issue(request: CertRequest): IssuedCertificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(request.keys.publicPem);
  const serial = newSerial();
  cert.serialNumber = serial.toLowerCase();
  cert.validity.notBefore = request.notBefore;
  cert.validity.notAfter = request.notAfter;
  cert.setSubject(subjectAttrs(request.subject));
  cert.setIssuer(
    request.issuer
      ? forge.pki.certificateFromPem(request.issuer.pem).subject.attributes
      : subjectAttrs(request.subject),
  );
  cert.setExtensions(extensionsFor(request.kind, request.hosts));
  signCertificate(cert, request.signer.privateKey);
  return issuedCertificate(forge.pki.certificateToPem(cert), request.keys);
}

/** A certificate (PEM) and its key, parsed: one just issued, or one a state dir kept. */
export function issuedCertificate(pem: string, keys: KeyPair): IssuedCertificate {
  const x509 = new X509Certificate(pem);
  return { pem, x509, serial: x509.serialNumber.toUpperCase().padStart(40, '0'), keys };
}

/** The sandbox CA: trusted by the merchant for the HTTPS listener, issuer of all other certificates. */
export function issueCa(keys: KeyPair, now: Date): IssuedCertificate {
  return issue({
    // A name of its own per sandbox: the CA key is shared within a process, so without it a
    // certificate from another sandbox would chain to this CA.
    subject: { CN: `paymount sandbox WeChat Pay CA ${randomBytes(4).toString('hex')}`, O: 'paymount sandbox', C: 'CN' },
    keys,
    signer: keys,
    notBefore: new Date(now.getTime() - DAY),
    notAfter: new Date(now.getTime() + 10 * 365 * DAY),
    kind: 'ca',
  });
}

/**
 * The TLS server certificate of the HTTPS listener: 127.0.0.1, localhost and `hosts` (the host
 * of the URL the sandbox hands out, when it is another one).
 */
export function issueServerCert(
  ca: IssuedCertificate,
  keys: KeyPair,
  now: Date,
  hosts: readonly string[] = [],
): IssuedCertificate {
  return issue({
    subject: { CN: hosts[0] ?? '127.0.0.1', O: 'paymount sandbox' },
    keys,
    issuer: ca,
    signer: ca.keys,
    notBefore: new Date(now.getTime() - DAY),
    notAfter: new Date(now.getTime() + 5 * 365 * DAY),
    kind: 'server',
    hosts: [...hosts, '127.0.0.1', 'localhost'],
  });
}

/**
 * The merchant API certificate (apiclient_cert.pem). Like WeChat's, CN is the mchid; it serves both
 * as the v3 `serial_no` source and as the mutual-TLS client certificate for `/secapi/*`.
 */
export function issueMerchantCert(ca: IssuedCertificate, keys: KeyPair, mchId: string, now: Date): IssuedCertificate {
  return issue({
    subject: { CN: mchId, O: 'WeChat Pay merchant (paymount sandbox)', OU: 'paymount sandbox shop', C: 'CN' },
    keys,
    issuer: ca,
    signer: ca.keys,
    notBefore: new Date(now.getTime() - DAY),
    notAfter: new Date(now.getTime() + 5 * 365 * DAY),
    kind: 'client',
  });
}

/** A platform certificate (平台证书): five years, like WeChat's. */
export function issuePlatformCert(ca: IssuedCertificate, keys: KeyPair, now: Date): IssuedCertificate {
  return issue({
    subject: {
      CN: 'Tenpay.com Root CA platform (paymount sandbox)',
      O: 'Tenpay.com',
      OU: 'Tenpay.com CA Center',
      C: 'CN',
    },
    keys,
    issuer: ca,
    signer: ca.keys,
    notBefore: new Date(now.getTime() - DAY),
    notAfter: new Date(now.getTime() + 5 * 365 * DAY),
    kind: 'signing',
  });
}

/**
 * `apiclient_cert.p12` with passphrase = mchid, as WeChat ships it: key under 3DES, certificates
 * in the clear. Not RC2: OpenSSL 3 (Node ≥ 17) refuses it ("Unsupported PKCS12 PFX data").
 */
export function merchantPkcs12(cert: IssuedCertificate, ca: IssuedCertificate, passphrase: string): Buffer {
  return buildPkcs12({
    keyDer: cert.keys.privateKey.export({ format: 'der', type: 'pkcs8' }),
    certDer: cert.x509.raw,
    chainDer: [ca.x509.raw],
    password: passphrase,
    friendlyName: 'Tenpay Certificate',
    layout: 'clear-certificates',
  });
}

/** The WeChat Pay public key and its id: `PUB_KEY_ID_` + 34 digits (the shape of the documented sample). */
export function publicKeyId(mchId: string): string {
  return `PUB_KEY_ID_0114${mchId.padStart(10, '0').slice(-10)}${digits(20)}`;
}

/** SPKI PEM of a certificate's key (what a merchant downloads as pub_key.pem). */
export function spkiPem(key: KeyObject): string {
  return createPublicKey(key).export({ format: 'pem', type: 'spki' }).toString();
}
