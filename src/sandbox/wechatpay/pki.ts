import {
  createPublicKey,
  generateKeyPair,
  generateKeyPairSync,
  randomBytes,
  randomInt,
  sign,
  X509Certificate,
  type KeyObject,
} from 'node:crypto';
import forge from 'node-forge';

/**
 * The simulated WeChat Pay PKI. Everything is generated at start (nothing secret is shipped):
 * - a sandbox CA that issues every certificate below, and whose PEM the merchant trusts for the
 *   HTTPS listener (`ca` option);
 * - per merchant: an API key pair and the "merchant API certificate" (apiclient_cert) whose serial
 *   goes into the v3 Authorization header; the same certificate is the mutual-TLS client
 *   certificate, shipped as `apiclient_cert.p12` with passphrase = mchid;
 * - the platform certificates (rotatable) that sign v3 responses and notifies in certificate mode;
 * - the WeChat Pay public key with its `PUB_KEY_ID_…` id (public-key mode);
 * - the TLS server certificate for 127.0.0.1.
 *
 * node-forge only *creates* certificates and the PKCS#12 here; every signature at run time goes
 * through node:crypto.
 */

const DAY = 24 * 60 * 60 * 1000;

/** An RSA key pair as both node:crypto objects and PEM text. */
export interface KeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
  privatePem: string;
  publicPem: string;
}

/** A certificate with its key, parsed once. */
export interface IssuedCertificate {
  pem: string;
  x509: X509Certificate;
  /** Upper-case hex, 40 characters: the form WeChat prints and the Authorization header carries. */
  serial: string;
  keys: KeyPair;
}

function toKeyPair(privateKey: KeyObject, publicKey: KeyObject): KeyPair {
  return {
    privateKey,
    publicKey,
    privatePem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
  };
}

/** RSA-2048 on the thread pool, so the several keys of a sandbox start are made in parallel. */
export function newKeyPair(): Promise<KeyPair> {
  return new Promise((resolve, reject) => {
    generateKeyPair('rsa', { modulusLength: 2048 }, (error, publicKey, privateKey) => {
      if (error) reject(error);
      else resolve(toKeyPair(privateKey, publicKey));
    });
  });
}

/** The key pairs one simulator starts with. */
export interface StartKeys {
  /** Signs every sandbox certificate, and is the HTTPS listener's key. */
  ca: KeyPair;
  /** The WeChat Pay public key (public-key mode). */
  publicKey: KeyPair;
  /** The first platform certificate's key. */
  platform: KeyPair;
  v3PublicKeyMerchant: KeyPair;
  v3CertificateMerchant: KeyPair;
  /** Shared by the two v2 merchants: they use it only for their (distinct) client certificates. */
  v2Merchant: KeyPair;
}

let startKeys: Promise<StartKeys> | undefined;

/**
 * RSA-2048 generation dominates a sandbox start (about a second per key on a small machine), so
 * the start keys are made once per process, in parallel; certificates, serials, ids and API keys
 * are still new for every simulator. Rotation always makes a new key.
 */
export function sandboxStartKeys(): Promise<StartKeys> {
  startKeys ??= Promise.all(Array.from({ length: 6 }, () => newKeyPair())).then(
    ([ca, publicKey, platform, a, b, c]) => ({
      ca: ca!,
      publicKey: publicKey!,
      platform: platform!,
      v3PublicKeyMerchant: a!,
      v3CertificateMerchant: b!,
      v2Merchant: c!,
    }),
  );
  return startKeys;
}

export function newKeyPairSync(): KeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return toKeyPair(privateKey, publicKey);
}

/** 40 hex digits whose first byte keeps the ASN.1 INTEGER positive and the hex form full length. */
export function newSerial(): string {
  const bytes = randomBytes(20);
  bytes[0] = 0x10 + (bytes[0]! % 0x70);
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
}

function subjectAttrs(subject: Record<string, string>): forge.pki.CertificateField[] {
  return Object.entries(subject).map(([shortName, value]) => ({ shortName, value }));
}

function extensionsFor(kind: CertRequest['kind']): unknown[] {
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
        {
          name: 'subjectAltName',
          altNames: [
            { type: 7, ip: '127.0.0.1' },
            { type: 2, value: 'localhost' },
          ],
        },
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
  cert.setExtensions(extensionsFor(request.kind) as never);
  // forge builds the TBSCertificate; node:crypto signs it (forge's own RSA is ~50x slower).
  cert.signatureOid = forge.pki.oids.sha256WithRSAEncryption!;
  (cert as unknown as { siginfo: { algorithmOid: string } }).siginfo.algorithmOid = cert.signatureOid;
  const tbs = (
    forge.pki as unknown as { getTBSCertificate(c: forge.pki.Certificate): forge.asn1.Asn1 }
  ).getTBSCertificate(cert);
  (cert as unknown as { tbsCertificate: forge.asn1.Asn1 }).tbsCertificate = tbs;
  const der = Buffer.from(forge.asn1.toDer(tbs).getBytes(), 'binary');
  cert.signature = sign('sha256', der, request.signer.privateKey).toString('binary');
  const pem = forge.pki.certificateToPem(cert);
  const x509 = new X509Certificate(pem);
  return { pem, x509, serial: x509.serialNumber.toUpperCase().padStart(40, '0'), keys: request.keys };
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

/** The TLS server certificate of the HTTPS listener (127.0.0.1 and localhost). */
export function issueServerCert(ca: IssuedCertificate, keys: KeyPair, now: Date): IssuedCertificate {
  return issue({
    subject: { CN: '127.0.0.1', O: 'paymount sandbox' },
    keys,
    issuer: ca,
    signer: ca.keys,
    notBefore: new Date(now.getTime() - DAY),
    notAfter: new Date(now.getTime() + 5 * 365 * DAY),
    kind: 'server',
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
 * `apiclient_cert.p12` with passphrase = mchid, as WeChat ships it. 3DES rather than forge's RC2
 * option: OpenSSL 3 (Node ≥ 17) refuses RC2 ("Unsupported PKCS12 PFX data").
 */
export function merchantPkcs12(cert: IssuedCertificate, ca: IssuedCertificate, passphrase: string): Buffer {
  const asn1 = forge.pkcs12.toPkcs12Asn1(
    forge.pki.privateKeyFromPem(cert.keys.privatePem),
    [forge.pki.certificateFromPem(cert.pem), forge.pki.certificateFromPem(ca.pem)],
    passphrase,
    { algorithm: '3des', friendlyName: 'Tenpay Certificate' },
  );
  return Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary');
}

/** The WeChat Pay public key and its id: `PUB_KEY_ID_` + 34 digits (the shape of the documented sample). */
export function publicKeyId(mchId: string): string {
  return `PUB_KEY_ID_0114${mchId.padStart(10, '0').slice(-10)}${digits(20)}`;
}

/** SPKI PEM of a certificate's key (what a merchant downloads as pub_key.pem). */
export function spkiPem(key: KeyObject): string {
  return createPublicKey(key).export({ format: 'pem', type: 'spki' }).toString();
}
