import { createHash, X509Certificate } from 'node:crypto';
import { splitPem } from '../../wire/pem.js';

/**
 * Certificate-mode serial numbers (docs/providers/alipay.md#certificate-mode): MD5 of the issuer DN
 * rendered like Java's `X500Principal.getName()` (RFC 2253: attributes in reverse order, `,` with no
 * spaces), followed by the serial number in decimal.
 */

const SHORT_NAMES: Record<string, string> = { CN: 'CN', OU: 'OU', O: 'O', C: 'C', L: 'L', ST: 'ST', E: 'EMAILADDRESS' };

/** Node prints the issuer one attribute per line, in encoded order: `C=CN\nO=Ant Financial\n…`. */
function issuerRfc2253(cert: X509Certificate): string {
  return cert.issuer
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const eq = line.indexOf('=');
      const name = line.slice(0, eq);
      return `${SHORT_NAMES[name] ?? name}=${line.slice(eq + 1)}`;
    })
    .reverse()
    .join(',');
}

/** `app_cert_sn` / `alipay_cert_sn` of one certificate. */
export function certSn(pem: string | X509Certificate): string {
  const cert = typeof pem === 'string' ? new X509Certificate(pem) : pem;
  const serial = BigInt(`0x${cert.serialNumber}`).toString(10);
  return createHash('md5')
    .update(issuerRfc2253(cert) + serial, 'utf8')
    .digest('hex');
}

/** RSA-family signature algorithm OIDs start with 1.2.840.113549.1.1 (sha256WithRSAEncryption, …). */
function signedWithRsa(pem: string): boolean {
  return signatureOid(Buffer.from(pem.replace(/-----[^-]+-----|\s+/g, ''), 'base64')) === 'rsa';
}

/** Reads the outer `signatureAlgorithm` OID of a certificate: SEQUENCE { tbs, algId, sig }. */
function signatureOid(der: Buffer): 'rsa' | 'other' {
  let offset = 0;
  const readLength = (): number => {
    const first = der[offset++]!;
    if (first < 0x80) return first;
    let length = 0;
    for (let i = 0; i < (first & 0x7f); i++) length = length * 256 + der[offset++]!;
    return length;
  };
  offset++; // outer SEQUENCE tag
  readLength();
  offset++; // tbsCertificate SEQUENCE tag
  const tbsLength = readLength(); // (read before adding: readLength moves offset)
  offset += tbsLength;
  offset++; // algorithm SEQUENCE tag
  readLength();
  if (der[offset++] !== 0x06) return 'other';
  const oidLength = readLength();
  const oid = der.subarray(offset, offset + oidLength);
  const rsa = Buffer.from([0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01]);
  return oid.length > rsa.length && oid.subarray(0, rsa.length).equals(rsa) ? 'rsa' : 'other';
}

/** `alipay_root_cert_sn`: the SNs of the RSA-signed certificates of the root bundle, joined with `_`. */
export function rootCertSn(bundle: string): string {
  return splitPem(bundle)
    .filter(signedWithRsa)
    .map((pem) => certSn(pem))
    .join('_');
}
