import { createHash } from 'node:crypto';
import forge from 'node-forge';

/**
 * Certificate serial numbers as the Alipay gateway computes them (Alipay certificate mode,
 * 公钥证书), written here apart from the client's own code so that a mistake made in one cannot
 * be confirmed by the other.
 * Runs once per certificate at simulator start, never on a request path.
 */

const ATTRIBUTE_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '1.2.840.113549.1.9.1': 'EMAILADDRESS',
};

const RSA_SIGNATURE_PREFIX = '1.2.840.113549.1.1.';

function derOf(pem: string): forge.asn1.Asn1 {
  const base64 = pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
  return forge.asn1.fromDer(forge.util.decode64(base64));
}

function children(node: forge.asn1.Asn1): forge.asn1.Asn1[] {
  return Array.isArray(node.value) ? node.value : [];
}

/** TBSCertificate fields after the optional `[0] version`: serial, signature, issuer, … */
function tbsFields(cert: forge.asn1.Asn1): forge.asn1.Asn1[] {
  const tbs = children(children(cert)[0]!);
  return tbs[0]?.tagClass === forge.asn1.Class.CONTEXT_SPECIFIC ? tbs.slice(1) : tbs;
}

/** Issuer DN the way Java's `X500Principal.getName()` prints it: last RDN first, `,` without spaces. */
function issuerName(cert: forge.asn1.Asn1): string {
  const issuer = tbsFields(cert)[2]!;
  const parts: string[] = [];
  for (const rdn of children(issuer)) {
    for (const attribute of children(rdn)) {
      const [oidNode, valueNode] = children(attribute);
      const oid = forge.asn1.derToOid(oidNode!.value as string);
      const raw = valueNode!.value as string;
      // UTF8String carries UTF-8 bytes; the other string types used in DNs are ASCII.
      const value = valueNode!.type === forge.asn1.Type.UTF8 ? forge.util.decodeUtf8(raw) : raw;
      parts.push(`${ATTRIBUTE_NAMES[oid] ?? oid}=${value}`);
    }
  }
  return parts.reverse().join(',');
}

/** Serial number as an unsigned decimal integer. */
function serialDecimal(cert: forge.asn1.Asn1): string {
  const bytes = tbsFields(cert)[0]!.value as string;
  const hex = forge.util.bytesToHex(bytes) || '0';
  return BigInt(`0x${hex}`).toString(10);
}

/** `app_cert_sn` / `alipay_cert_sn`: MD5 of issuer DN + decimal serial, lower-case hex. */
export function certificateSn(pem: string): string {
  const cert = derOf(pem);
  return createHash('md5')
    .update(issuerName(cert) + serialDecimal(cert), 'utf8')
    .digest('hex');
}

/** True when the certificate's own signature algorithm is of the RSA family. */
export function isRsaSigned(pem: string): boolean {
  const algorithm = children(derOf(pem))[1]!;
  const oid = forge.asn1.derToOid(children(algorithm)[0]!.value as string);
  return oid.startsWith(RSA_SIGNATURE_PREFIX);
}

/** Splits a PEM bundle into certificates, in file order. */
export function pemCertificates(bundle: string): string[] {
  return bundle.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? [];
}

/** `alipay_root_cert_sn`: SNs of the RSA-signed certificates of the bundle, joined with `_`. */
export function rootBundleSn(bundle: string): string {
  return pemCertificates(bundle).filter(isRsaSigned).map(certificateSn).join('_');
}
