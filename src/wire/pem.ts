import { X509Certificate } from 'node:crypto';
import { ConfigError } from '../errors/index.js';

/** Certificates as users have them: PEM text, or the file's bytes. */
export type CertificateInput = string | Buffer;

/** The PEM text of a certificate option, or a {@link ConfigError} naming `field`. */
export function pemText(input: CertificateInput, field: string): string {
  const text = Buffer.isBuffer(input) ? input.toString('utf8') : input;
  if (typeof text !== 'string' || !text.includes('-----BEGIN CERTIFICATE-----')) {
    throw new ConfigError(field, 'must be the PEM text of the certificate file (-----BEGIN CERTIFICATE-----)');
  }
  return text;
}

/** Parses one certificate once, at configuration time. */
export function parseCertificate(input: CertificateInput, field: string): X509Certificate {
  const text = pemText(input, field);
  try {
    return new X509Certificate(text);
  } catch (cause) {
    throw new ConfigError(field, 'could not be parsed as an X.509 certificate (is the file complete?)', { cause });
  }
}

/** Splits a PEM bundle into its certificates, in file order. */
export function splitPem(bundle: string): string[] {
  return bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}
