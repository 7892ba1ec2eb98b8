import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import forge from 'node-forge';
import { startKeyPairs, type KeyPair } from '../keys.js';
import { savedObject, savedString } from '../state-dir.js';
import { signCertificate } from '../wire/x509.js';
import { buildPkcs12, randomSerialHex } from '../wire/pkcs12.js';

/**
 * The sandbox PKI: a root and a middle CA standing in for CFCA, UnionPay's signing leaf under them
 * (with the CN UnionPay's SDKs check), and one merchant key + certificate packed into
 * password-protected PKCS#12 files. New at every start unless a state dir keeps it. node-forge only
 * assembles the certificates; keys and signatures come from node:crypto.
 */

/** UnionPay's production signing-certificate CN: the SDK check takes `split('@')[2]`. */
export const UNIONPAY_SIGNING_CN = '041@8310000000083040@中国银联股份有限公司@00016495';

const DAY = 24 * 60 * 60 * 1000;
const YEAR = 365 * DAY;

type Attr = forge.pki.CertificateField;

function forgePublic(key: KeyObject): forge.pki.rsa.PublicKey {
  return forge.pki.publicKeyFromPem(key.export({ format: 'pem', type: 'spki' }).toString());
}

const utf8 = (shortName: string, value: string): Attr => ({
  shortName,
  value,
  valueTagClass: forge.asn1.Type.UTF8 as unknown as Attr['valueTagClass'],
});
const printable = (shortName: string, value: string): Attr => ({ shortName, value });

/** One issued certificate and its key. */
export interface Issued {
  key: KeyObject;
  cert: forge.pki.Certificate;
  x509: X509Certificate;
  /** PEM with CRLF line breaks (forge's output, and what UnionPay sends in `signPubKeyCert`). */
  pem: string;
  der: Buffer;
}

interface IssueInput {
  subject: Attr[];
  key: { privateKey: KeyObject; publicKey: KeyObject };
  issuer?: Issued;
  notBefore: Date;
  notAfter: Date;
  serialHex: string;
  ca: boolean;
}

function issue(input: IssueInput): Issued {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forgePublic(input.key.publicKey);
  cert.serialNumber = input.serialHex;
  cert.validity.notBefore = input.notBefore;
  cert.validity.notAfter = input.notAfter;
  cert.setSubject(input.subject);
  cert.setIssuer(input.issuer ? input.issuer.cert.subject.attributes : input.subject);
  const extensions: object[] = [
    { name: 'basicConstraints', cA: input.ca, critical: true },
    input.ca
      ? { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true }
      : {
          name: 'keyUsage',
          digitalSignature: true,
          nonRepudiation: true,
          keyEncipherment: true,
          dataEncipherment: true,
          critical: true,
        },
    { name: 'subjectKeyIdentifier' },
  ];
  const issuerCert = input.issuer?.cert ?? cert;
  extensions.push({
    name: 'authorityKeyIdentifier',
    keyIdentifier: issuerCert === cert ? true : issuerCert.generateSubjectKeyIdentifier().getBytes(),
  });
  cert.setExtensions(extensions);
  signCertificate(cert, input.issuer ? input.issuer.key : input.key.privateKey);
  const pem = forge.pki.certificateToPem(cert).replace(/\r?\n/g, '\r\n');
  const der = Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), 'binary');
  return { key: input.key.privateKey, cert, x509: new X509Certificate(der), pem, der };
}

/** Options for {@link UnionpayPki.issueSigningCert}: the bad cases a verifier must refuse. */
export interface SigningCertInput {
  /** Subject CN. Default: UnionPay's ({@link UNIONPAY_SIGNING_CN}). */
  cn?: string;
  notBefore?: Date;
  notAfter?: Date;
  /** Issue under a freshly made foreign root instead of the sandbox middle CA. */
  foreign?: boolean;
}

/** Everything the simulator signs and verifies with. */
export interface UnionpayPki {
  root: Issued;
  middle: Issued;
  /** UnionPay's signing leaf: its PEM (CRLF) goes out as `signPubKeyCert`. */
  signing: Issued;
  merchant: Issued;
  /** The merchant certificate's serial in decimal: the `certId` requests carry. */
  merchantCertId: string;
  /** Merchant PKCS#12, modern layout (AES-256/PBKDF2, SHA-256 MAC). */
  pfx: Buffer;
  /** Merchant PKCS#12, legacy layout (3DES key, RC2-40 certificates, SHA-1 MAC). */
  legacyPfx: Buffer;
  passphrase: string;
  /** Issues another signing certificate (another CN, other dates, or from a foreign CA). */
  issueSigningCert(input?: SigningCertInput): Promise<{ certPem: string; key: KeyObject }>;
}

/** The decimal form of a certificate serial, without precision loss (`parseInt` breaks above 2^53). */
export function decimalSerial(x509: X509Certificate): string {
  return BigInt(`0x${x509.serialNumber}`).toString(10);
}

/**
 * What a state dir keeps of the simulated UnionPay: each certificate (PEM, CRLF) with its private
 * key (PKCS#8 PEM), and the two merchant .pfx files (base64) exactly as handed out.
 */
export interface UnionpayIdentity {
  merId: string;
  passphrase: string;
  root: SavedIssued;
  middle: SavedIssued;
  signing: SavedIssued;
  merchant: SavedIssued;
  pfx: string;
  legacyPfx: string;
}

/** One certificate and its key, as saved. */
export interface SavedIssued {
  key: string;
  cert: string;
}

const leafSubject = (cn: string): Attr[] => [
  printable('C', 'CN'),
  printable('O', 'SIM OCA1'),
  printable('OU', 'Local RA'),
  printable('OU', 'Organizational-2'),
  utf8('CN', cn),
];

/**
 * A new identity: the process's start keys (see {@link startKeyPairs}) under new certificates,
 * valid from a day before `now`.
 */
export async function newUnionpayIdentity(now: Date, merId: string, passphrase = '000000'): Promise<UnionpayIdentity> {
  const [rootKey, middleKey, signingKey, merchantKey] = (await startKeyPairs('unionpay', 4)) as [
    KeyPair,
    KeyPair,
    KeyPair,
    KeyPair,
  ];
  const from = new Date(now.getTime() - DAY);
  const root = issue({
    subject: [printable('C', 'CN'), printable('O', 'SIM CS CA'), printable('CN', 'paymount sandbox CS CA')],
    key: rootKey,
    notBefore: from,
    notAfter: new Date(from.getTime() + 20 * YEAR),
    serialHex: randomSerialHex(4),
    ca: true,
  });
  const middle = issue({
    subject: [printable('C', 'CN'), printable('O', 'SIM OCA1'), printable('CN', 'paymount sandbox OCA1')],
    key: middleKey,
    issuer: root,
    notBefore: from,
    notAfter: new Date(from.getTime() + 15 * YEAR),
    serialHex: randomSerialHex(5),
    ca: true,
  });
  const signing = issue({
    subject: leafSubject(UNIONPAY_SIGNING_CN),
    key: signingKey,
    issuer: middle,
    notBefore: from,
    notAfter: new Date(from.getTime() + 10 * YEAR),
    serialHex: randomSerialHex(5),
    ca: false,
  });
  // A 9-byte serial: its decimal certId is far above 2^53, so a client that parses it as a float fails.
  const merchant = issue({
    subject: leafSubject(`041@Z2014-11-11@${merId}:SIGN@00000001`),
    key: merchantKey,
    issuer: middle,
    notBefore: from,
    notAfter: new Date(from.getTime() + 10 * YEAR),
    serialHex: randomSerialHex(9),
    ca: false,
  });
  const pfxInput = {
    keyDer: merchantKey.privateKey.export({ format: 'der', type: 'pkcs8' }),
    certDer: merchant.der,
    chainDer: [middle.der, root.der],
    password: passphrase,
    friendlyName: 'merchant sign',
  };
  const saved = (issued: Issued, key: KeyPair): SavedIssued => ({ key: key.privatePem, cert: issued.pem });
  return {
    merId,
    passphrase,
    root: saved(root, rootKey),
    middle: saved(middle, middleKey),
    signing: saved(signing, signingKey),
    merchant: saved(merchant, merchantKey),
    pfx: buildPkcs12({ ...pfxInput, layout: 'modern' }).toString('base64'),
    legacyPfx: buildPkcs12({ ...pfxInput, layout: 'legacy' }).toString('base64'),
  };
}

/** Checks a saved identity's shape (a state dir file). */
export function readUnionpayIdentity(saved: unknown): UnionpayIdentity {
  const record = savedObject(saved, 'identity');
  const issued = (name: 'root' | 'middle' | 'signing' | 'merchant'): SavedIssued => {
    const entry = savedObject(record[name], `identity.${name}`);
    return { key: savedString(entry, 'key', `identity.${name}`), cert: savedString(entry, 'cert', `identity.${name}`) };
  };
  const field = (name: 'merId' | 'passphrase' | 'pfx' | 'legacyPfx') => savedString(record, name, 'identity');
  return {
    merId: field('merId'),
    passphrase: field('passphrase'),
    root: issued('root'),
    middle: issued('middle'),
    signing: issued('signing'),
    merchant: issued('merchant'),
    pfx: field('pfx'),
    legacyPfx: field('legacyPfx'),
  };
}

function loadIssued(saved: SavedIssued): Issued {
  const x509 = new X509Certificate(saved.cert);
  return {
    key: createPrivateKey(saved.key),
    cert: forge.pki.certificateFromPem(saved.cert),
    x509,
    pem: saved.cert,
    der: x509.raw,
  };
}

/** The PKI the simulator works with, from an identity. */
export function unionpayPki(identity: UnionpayIdentity): UnionpayPki {
  const root = loadIssued(identity.root);
  const middle = loadIssued(identity.middle);
  const signing = loadIssued(identity.signing);
  const merchant = loadIssued(identity.merchant);
  const from = root.cert.validity.notBefore;
  return {
    root,
    middle,
    signing,
    merchant,
    merchantCertId: decimalSerial(merchant.x509),
    pfx: Buffer.from(identity.pfx, 'base64'),
    legacyPfx: Buffer.from(identity.legacyPfx, 'base64'),
    passphrase: identity.passphrase,
    async issueSigningCert(input = {}) {
      // One spare key serves every extra certificate (and the foreign CAs): key generation is the
      // slow part, and a bad-case certificate only needs a key that is not the sandbox CAs'.
      const key = (await startKeyPairs('unionpay', 5))[4];
      if (!key) throw new Error('startKeyPairs gave fewer than the 5 unionpay key pairs asked for');
      let issuer = middle;
      if (input.foreign) {
        const foreignRoot = issue({
          subject: [printable('C', 'CN'), printable('O', 'Foreign CA')],
          key,
          notBefore: from,
          notAfter: new Date(from.getTime() + 20 * YEAR),
          serialHex: randomSerialHex(4),
          ca: true,
        });
        // Same name as the sandbox middle CA, so only the signature check tells them apart.
        issuer = issue({
          subject: [printable('C', 'CN'), printable('O', 'SIM OCA1'), printable('CN', 'paymount sandbox OCA1')],
          key,
          issuer: foreignRoot,
          notBefore: from,
          notAfter: new Date(from.getTime() + 15 * YEAR),
          serialHex: randomSerialHex(5),
          ca: true,
        });
      }
      const leaf = issue({
        subject: leafSubject(input.cn ?? UNIONPAY_SIGNING_CN),
        key,
        issuer,
        notBefore: input.notBefore ?? from,
        notAfter: input.notAfter ?? new Date(from.getTime() + 10 * YEAR),
        serialHex: randomSerialHex(5),
        ca: false,
      });
      return { certPem: leaf.pem, key: key.privateKey };
    },
  };
}

/** Generates the sandbox PKI, valid from a day before `now` for ten years (root: twenty). */
export async function createUnionpayPki(now: Date, merId: string, passphrase = '000000'): Promise<UnionpayPki> {
  return unionpayPki(await newUnionpayIdentity(now, merId, passphrase));
}
