import { sign, type KeyObject } from 'node:crypto';
import forge from 'node-forge';

/** sha256WithRSAEncryption (RFC 4055). */
const SHA256_WITH_RSA = '1.2.840.113549.1.1.11';

/** The parts of forge's certificate object that its types leave out. */
interface ForgeCertificateInternals {
  siginfo: { algorithmOid: string };
  tbsCertificate: forge.asn1.Asn1;
}

/**
 * Signs a certificate that forge assembled (subject, issuer, validity, extensions) with node:crypto,
 * sha256WithRSAEncryption: forge's own RSA runs in JavaScript, about fifty times slower, and the
 * sandbox issues a dozen certificates per start. The result is the same DER `cert.sign()` writes.
 */
export function signCertificate(cert: forge.pki.Certificate, issuerKey: KeyObject): void {
  const internals = cert as unknown as ForgeCertificateInternals;
  cert.signatureOid = SHA256_WITH_RSA;
  internals.siginfo.algorithmOid = cert.signatureOid;
  const tbs = (
    forge.pki as unknown as { getTBSCertificate(c: forge.pki.Certificate): forge.asn1.Asn1 }
  ).getTBSCertificate(cert);
  internals.tbsCertificate = tbs;
  const der = Buffer.from(forge.asn1.toDer(tbs).getBytes(), 'binary');
  cert.signature = sign('sha256', der, issuerKey).toString('binary');
}
