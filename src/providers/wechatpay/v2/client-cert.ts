import { createSecureContext } from 'node:tls';
import forge from 'node-forge';
import { ConfigError } from '../../../errors/index.js';

/**
 * Opens `apiclient_cert.p12` once, at configuration time, so a wrong passphrase or a key-less file
 * is a ConfigError now rather than a TLS failure at the first refund. OpenSSL 3 refuses the legacy
 * RC2 encryption WeChat's files use (spec P11), so such a file is re-encoded with AES-256 here
 * (node-forge only opens and writes the container; TLS itself is node's).
 */
export function openClientCertificate(
  input: { pfx: Buffer; passphrase: string },
  field: string,
): { pfx: Buffer; passphrase: string } {
  // Unknown: a JavaScript caller may pass a path, or nothing.
  const given: unknown = input;
  if (!given || typeof given !== 'object' || !Buffer.isBuffer(input.pfx)) {
    throw new ConfigError(
      `${field}.pfx`,
      'must be the bytes of apiclient_cert.p12 (a Buffer from fs.readFileSync), not a path or a string',
    );
  }
  if (typeof input.passphrase !== 'string')
    throw new ConfigError(`${field}.passphrase`, 'is required: the passphrase of apiclient_cert.p12 is your mchId');
  let p12: forge.pkcs12.Pkcs12Pfx;
  try {
    const asn1 = forge.asn1.fromDer(forge.util.createBuffer(input.pfx.toString('binary')));
    p12 = forge.pkcs12.pkcs12FromAsn1(asn1, false, input.passphrase);
  } catch (cause) {
    const message = String((cause as { message?: unknown } | null | undefined)?.message ?? cause);
    if (/password|MAC|decrypt/i.test(message)) {
      throw new ConfigError(
        `${field}.passphrase`,
        'does not open the PKCS#12 file (the passphrase of apiclient_cert.p12 is usually the mchId)',
        { cause },
      );
    }
    throw new ConfigError(
      `${field}.pfx`,
      'is not a PKCS#12 (.p12) file (a PEM pair must be converted: openssl pkcs12 -export)',
      { cause },
    );
  }
  const oids = forge.pki.oids as Record<string, string | undefined>;
  const bagsOf = (name: string): forge.pkcs12.Bag[] => {
    const type = oids[name];
    if (type === undefined) throw new Error(`node-forge knows no OID named ${name}`);
    return p12.getBags({ bagType: type })[type] ?? [];
  };
  const keyBags = [...bagsOf('pkcs8ShroudedKeyBag'), ...bagsOf('keyBag')];
  const key = keyBags.find((b) => b.key)?.key;
  const cert = bagsOf('certBag').find((b) => b.cert)?.cert;
  if (!key || !cert)
    throw new ConfigError(
      `${field}.pfx`,
      'holds no private key and certificate: use apiclient_cert.p12 as downloaded from the merchant platform',
    );

  try {
    createSecureContext({ pfx: input.pfx, passphrase: input.passphrase });
    return { pfx: input.pfx, passphrase: input.passphrase };
  } catch {
    // Legacy encryption: write a modern container around the same key and certificate.
    const modern = forge.pkcs12.toPkcs12Asn1(key, [cert], input.passphrase, { algorithm: 'aes256' });
    return { pfx: Buffer.from(forge.asn1.toDer(modern).getBytes(), 'binary'), passphrase: input.passphrase };
  }
}
