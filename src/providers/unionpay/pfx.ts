import { createPrivateKey, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import forge from 'node-forge';
import { ConfigError } from '../../errors/index.js';
import { requireRsa } from '../../wire/keys.js';

/** The merchant's signing identity, opened from the PKCS#12 file once at configuration time. */
export interface SigningIdentity {
  key: KeyObject;
  cert: X509Certificate;
  /** The signing certificate's serial number in decimal: the `certId` field of every request. */
  certId: string;
}

/**
 * `certId` is the serial in decimal. Node prints serials as hex; `BigInt` keeps every digit where
 * `parseInt` would round anything above 2^53 (CFCA middle serials are 10 bytes long).
 */
export function decimalSerial(cert: X509Certificate): string {
  return BigInt(`0x${cert.serialNumber}`).toString(10);
}

/** Version 5.1.0 signs with SHA256withRSA, 2048-bit keys on both sides (docs/providers/unionpay.md#signing). */
export const SIGN_KEY_RULE =
  'UnionPay 5.1.0 requires 2048-bit RSA (SHA256withRSA): use the signing .pfx UnionPay issued';

/** PKCS#12 bag type OIDs (RFC 7292). */
const KEY_BAG = '1.2.840.113549.1.12.10.1.1';
const SHROUDED_KEY_BAG = '1.2.840.113549.1.12.10.1.2';
const CERT_BAG = '1.2.840.113549.1.12.10.1.3';

function pfxBytes(pfx: Buffer | string, field: string): Buffer {
  if (Buffer.isBuffer(pfx)) return pfx;
  if (typeof pfx === 'string') {
    const compact = pfx.replace(/\s+/g, '');
    if (compact && /^[A-Za-z0-9+/]+={0,2}$/.test(compact)) return Buffer.from(compact, 'base64');
    throw new ConfigError(
      field,
      'must be the .pfx file as a Buffer (fs.readFileSync) or its base64 text; ' +
        'got a string that is not base64 (a file path?)',
    );
  }
  throw new ConfigError(field, 'must be the .pfx file as a Buffer or base64 text');
}

function derOfForgeCert(cert: forge.pki.Certificate | null, asn1: forge.asn1.Asn1 | undefined): Buffer | undefined {
  const node = cert ? forge.pki.certificateToAsn1(cert) : asn1;
  return node ? Buffer.from(forge.asn1.toDer(node).getBytes(), 'binary') : undefined;
}

/**
 * Opens the merchant PKCS#12 with node-forge (Node has no PKCS#12 import), including the legacy
 * RC2-40/3DES layout that OpenSSL 3 refuses. The certificate is the one whose public key matches
 * the private key: UnionPay's files carry three certificate bags and the leaf is not always first.
 */
export function openPfx(pfx: Buffer | string, passphrase: string, field = 'signCert'): SigningIdentity {
  if (typeof passphrase !== 'string')
    throw new ConfigError(`${field}.passphrase`, 'must be a string (UnionPay test files use "000000")');
  const bytes = pfxBytes(pfx, `${field}.pfx`);
  let p12: forge.pkcs12.Pkcs12Pfx;
  try {
    const asn1 = forge.asn1.fromDer(forge.util.createBuffer(bytes.toString('binary')));
    p12 = forge.pkcs12.pkcs12FromAsn1(asn1, false, passphrase);
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : String(cause);
    if (/MAC could not be verified|wrong password|Invalid password/i.test(message)) {
      throw new ConfigError(
        `${field}.passphrase`,
        'does not open the .pfx file (wrong passphrase; UnionPay test files use "000000")',
        { cause },
      );
    }
    throw new ConfigError(`${field}.pfx`, `is not a readable PKCS#12 (.pfx) file: ${message}`, { cause });
  }

  const keyBags = [
    ...(p12.getBags({ bagType: SHROUDED_KEY_BAG })[SHROUDED_KEY_BAG] ?? []),
    ...(p12.getBags({ bagType: KEY_BAG })[KEY_BAG] ?? []),
  ];
  const forgeKey = keyBags.find((bag) => bag.key)?.key;
  // node-forge reads RSA keys only; another key (EC) stays as its PKCS#8 ASN.1, read here so that
  // the error can say what the key is.
  const other = forgeKey ? undefined : keyBags[0]?.asn1;
  if (other) {
    let key: KeyObject | undefined;
    try {
      key = createPrivateKey({
        key: Buffer.from(forge.asn1.toDer(other).getBytes(), 'binary'),
        format: 'der',
        type: 'pkcs8',
      });
    } catch {
      // not a PKCS#8 key either: reported as no key below
    }
    if (key) requireRsa(key, field, SIGN_KEY_RULE);
  }
  if (!forgeKey) {
    throw new ConfigError(
      `${field}.pfx`,
      'holds no RSA private key: export the signing certificate *with* its private key (acp_*_sign.pfx), not a .cer',
    );
  }
  const key = createPrivateKey(forge.pki.privateKeyToPem(forgeKey as forge.pki.rsa.PrivateKey));
  const spki = createPublicKey(key).export({ type: 'spki', format: 'der' });

  const certBags = p12.getBags({ bagType: CERT_BAG })[CERT_BAG] ?? [];
  for (const bag of certBags) {
    const der = derOfForgeCert(bag.cert ?? null, bag.asn1);
    if (!der) continue;
    const cert = new X509Certificate(der);
    if (cert.publicKey.export({ type: 'spki', format: 'der' }).equals(spki))
      return { key, cert, certId: decimalSerial(cert) };
  }
  throw new ConfigError(
    `${field}.pfx`,
    'holds a private key but no certificate for it, so there is no certId: re-export the .pfx with its certificate',
  );
}
