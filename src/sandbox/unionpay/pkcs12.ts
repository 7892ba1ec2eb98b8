import { createHash, randomBytes } from 'node:crypto';
import forge from 'node-forge';

/**
 * PKCS#12 files in the two layouts merchants meet. node-forge only writes one layout (key bag
 * encrypted, certificates in the clear), so the bags are assembled here from forge's ASN.1 pieces:
 *
 * - modern: certificates and key under PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC), HMAC-SHA256 MAC —
 *   what `openssl pkcs12 -export` writes with OpenSSL 3;
 * - legacy: key under pbeWithSHAAnd3-KeyTripleDES-CBC, certificates under
 *   pbeWithSHAAnd40BitRC2-CBC, HMAC-SHA1 MAC — the layout of UnionPay's older test pfx, which
 *   OpenSSL 3 refuses without `-legacy`.
 */
export type Pkcs12Layout = 'modern' | 'legacy';

const { asn1, pki } = forge;
const ITERATIONS = 2048;

/** The PKCS#12 key derivation (RFC 7292 appendix B) that forge implements but its types omit. */
const pbe = (
  pki as unknown as {
    pbe: {
      generatePkcs12Key(
        password: string,
        salt: forge.util.ByteStringBuffer,
        id: number,
        iterations: number,
        size: number,
      ): forge.util.ByteStringBuffer;
    };
  }
).pbe;

type Asn1 = forge.asn1.Asn1;

const seq = (value: Asn1[]) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, value);
const set = (value: Asn1[]) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SET, true, value);
const oid = (name: string) => {
  const dotted = pki.oids[name];
  if (dotted === undefined) throw new Error(`node-forge knows no OID named ${name}`);
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(dotted).getBytes());
};
const octets = (bytes: string) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, bytes);
const integer = (n: number) =>
  asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, asn1.integerToDer(n).getBytes());
/** Tag number 0 of the context-specific class: forge takes it where a universal class takes its type (NONE is 0). */
const TAG_0 = asn1.Type.NONE;
const explicit0 = (value: Asn1[]) => asn1.create(asn1.Class.CONTEXT_SPECIFIC, TAG_0, true, value);
const der = (value: Asn1) => asn1.toDer(value).getBytes();
const binary = (buffer: Buffer) => buffer.toString('binary');

/** `localKeyId` ties the key bag to its certificate bag (SHA-1 of the certificate, as OpenSSL does). */
function attributes(localKeyId: string, friendlyName?: string): Asn1 {
  const attrs = [seq([oid('localKeyId'), set([octets(localKeyId)])])];
  if (friendlyName)
    attrs.push(
      seq([oid('friendlyName'), set([asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BMPSTRING, false, friendlyName)])]),
    );
  return set(attrs);
}

function certBag(certDer: Buffer, attrs?: Asn1): Asn1 {
  const value = seq([oid('x509Certificate'), explicit0([octets(binary(certDer))])]);
  return seq([oid('certBag'), explicit0([value]), ...(attrs ? [attrs] : [])]);
}

/** Encrypts DER bytes the way `encryptPrivateKeyInfo` would, returning the algorithm and ciphertext. */
function pbeEncrypt(
  plainDer: string,
  password: string,
  layout: Pkcs12Layout,
  forKey: boolean,
): { algorithm: Asn1; ciphertext: string } {
  if (layout === 'legacy' && !forKey) return rc2Encrypt(plainDer, password);
  // encryptPrivateKeyInfo only DER-encodes and encrypts its input, so it serves for any SafeContents.
  const carrier = asn1.fromDer(plainDer);
  const options =
    layout === 'modern'
      ? { algorithm: 'aes256', prfAlgorithm: 'sha256', count: ITERATIONS }
      : { algorithm: '3des', count: ITERATIONS };
  const encrypted = pki.encryptPrivateKeyInfo(
    carrier,
    password,
    options as Parameters<typeof pki.encryptPrivateKeyInfo>[2],
  );
  const [algorithm, data] = encrypted.value as Asn1[];
  if (!algorithm || !data) throw new Error('node-forge returned an EncryptedPrivateKeyInfo without its two parts');
  return { algorithm, ciphertext: data.value as string };
}

/** pbeWithSHAAnd40BitRC2-CBC (PKCS#12 appendix B key derivation), which forge reads but does not write. */
function rc2Encrypt(plainDer: string, password: string): { algorithm: Asn1; ciphertext: string } {
  const salt = forge.random.getBytesSync(8);
  const saltBuffer = () => forge.util.createBuffer(salt);
  const key = pbe.generatePkcs12Key(password, saltBuffer(), 1, ITERATIONS, 5);
  const iv = pbe.generatePkcs12Key(password, saltBuffer(), 2, ITERATIONS, 8);
  const cipher = forge.rc2.createEncryptionCipher(key, 40);
  cipher.start(iv);
  cipher.update(forge.util.createBuffer(plainDer));
  cipher.finish();
  const algorithm = seq([oid('pbewithSHAAnd40BitRC2-CBC'), seq([octets(salt), integer(ITERATIONS)])]);
  return { algorithm, ciphertext: cipher.output.getBytes() };
}

function dataContentInfo(contentDer: string): Asn1 {
  return seq([oid('data'), explicit0([octets(contentDer)])]);
}

function encryptedContentInfo(contentDer: string, password: string, layout: Pkcs12Layout): Asn1 {
  const { algorithm, ciphertext } = pbeEncrypt(contentDer, password, layout, false);
  const encryptedContent = asn1.create(asn1.Class.CONTEXT_SPECIFIC, TAG_0, false, ciphertext);
  const encryptedData = seq([integer(0), seq([oid('data'), algorithm, encryptedContent])]);
  return seq([oid('encryptedData'), explicit0([encryptedData])]);
}

function macData(authSafeDer: string, password: string, layout: Pkcs12Layout): Asn1 {
  const md = layout === 'modern' ? forge.md.sha256.create() : forge.md.sha1.create();
  const size = layout === 'modern' ? 32 : 20;
  const salt = forge.random.getBytesSync(8);
  const key = forge.pkcs12.generateKey(password, forge.util.createBuffer(salt), 3, ITERATIONS, size, md);
  const hmac = forge.hmac.create();
  hmac.start(md, key);
  hmac.update(authSafeDer);
  const digest = hmac.getMac().getBytes();
  return seq([
    seq([
      seq([oid(layout === 'modern' ? 'sha256' : 'sha1'), asn1.create(asn1.Class.UNIVERSAL, asn1.Type.NULL, false, '')]),
      octets(digest),
    ]),
    octets(salt),
    integer(ITERATIONS),
  ]);
}

/** What goes into one PKCS#12 file. */
export interface Pkcs12Input {
  /** The private key, PKCS#8 DER. */
  keyDer: Buffer;
  /** The certificate that matches the key, DER. */
  certDer: Buffer;
  /** Issuer certificates (middle, root), DER. */
  chainDer: Buffer[];
  password: string;
  friendlyName?: string;
  layout: Pkcs12Layout;
}

/**
 * Builds a password-protected PKCS#12 file. In the legacy layout the CA certificates come before
 * the merchant certificate, as in some CFCA files: readers must pick the certificate that matches
 * the key (or its localKeyId), not the first bag.
 */
export function buildPkcs12(input: Pkcs12Input): Buffer {
  const localKeyId = createHash('sha1').update(input.certDer).digest().toString('binary');
  const attrs = attributes(localKeyId, input.friendlyName);
  const leafBag = certBag(input.certDer, attrs);
  const chainBags = input.chainDer.map((cert) => certBag(cert));
  const certBags = input.layout === 'legacy' ? [...chainBags, leafBag] : [leafBag, ...chainBags];

  const keyInfo = asn1.fromDer(binary(input.keyDer));
  const { algorithm, ciphertext } = pbeEncrypt(der(keyInfo), input.password, input.layout, true);
  const shrouded = seq([algorithm, octets(ciphertext)]);
  const keyBag = seq([oid('pkcs8ShroudedKeyBag'), explicit0([shrouded]), attrs]);

  const authSafe = seq([
    encryptedContentInfo(der(seq(certBags)), input.password, input.layout),
    dataContentInfo(der(seq([keyBag]))),
  ]);
  const authSafeDer = der(authSafe);
  const pfx = seq([integer(3), dataContentInfo(authSafeDer), macData(authSafeDer, input.password, input.layout)]);
  return Buffer.from(der(pfx), 'binary');
}

/** A positive certificate serial of `bytes` random bytes, as even-length hex (what forge expects). */
export function randomSerialHex(bytes: number): string {
  const serial = randomBytes(bytes);
  serial.writeUInt8((serial.readUInt8(0) & 0x7f) | 0x10, 0); // positive and without a leading zero byte
  return serial.toString('hex');
}
