import { createCipheriv, createHash, createHmac, hash as digestOf, pbkdf2Sync, randomBytes } from 'node:crypto';
import forge from 'node-forge';

/**
 * PKCS#12 files in the layouts merchants meet. node-forge writes one layout only and derives its
 * keys in JavaScript (a third of a sandbox start went there), so the bags are assembled here from
 * forge's ASN.1 pieces and encrypted with node:crypto:
 *
 * - `modern`: certificates and key under PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC), HMAC-SHA256 MAC —
 *   what `openssl pkcs12 -export` writes with OpenSSL 3;
 * - `legacy`: key under pbeWithSHAAnd3-KeyTripleDES-CBC, certificates under
 *   pbeWithSHAAnd40BitRC2-CBC, HMAC-SHA1 MAC — the layout of UnionPay's older test pfx, which
 *   OpenSSL 3 refuses without `-legacy`;
 * - `clear-certificates`: key under 3DES, certificates unencrypted, HMAC-SHA1 MAC — what forge's
 *   `toPkcs12Asn1` writes with `algorithm: '3des'`, and OpenSSL 3 reads.
 *
 * RC2 is the one cipher node:crypto lacks (OpenSSL 3 keeps it in the legacy provider): forge runs
 * it, over the few kilobytes of certificates, with keys derived here.
 */
export type Pkcs12Layout = 'modern' | 'legacy' | 'clear-certificates';

const { asn1, pki } = forge;
/** OpenSSL's default (PKCS12_DEFAULT_ITER). */
const ITERATIONS = 2048;

type Asn1 = forge.asn1.Asn1;

const seq = (value: Asn1[]) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, value);
const set = (value: Asn1[]) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SET, true, value);
const oidOf = (name: string): string => {
  const dotted = pki.oids[name];
  if (dotted === undefined) throw new Error(`node-forge knows no OID named ${name}`);
  return dotted;
};
const oid = (name: string) =>
  asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(oidOf(name)).getBytes());
/** Tag number 0 of a context-specific element ([0]), which forge's types name `Type.NONE`. */
const TAG_0 = asn1.Type.NONE;
const octets = (bytes: Buffer) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, binary(bytes));
const integer = (n: number) =>
  asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, asn1.integerToDer(n).getBytes());
const nothing = () => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.NULL, false, '');
const explicit0 = (value: Asn1[]) => asn1.create(asn1.Class.CONTEXT_SPECIFIC, TAG_0, true, value);
const der = (value: Asn1) => Buffer.from(asn1.toDer(value).getBytes(), 'binary');
const binary = (buffer: Buffer) => buffer.toString('binary');

/**
 * The PKCS#12 key derivation (RFC 7292 appendix B.2): `id` 1 for a key, 2 for an IV, 3 for the
 * MAC key. The password is a BMPString (UTF-16BE) with its two-byte terminator.
 */
export function pkcs12Kdf(
  password: string,
  salt: Buffer,
  id: 1 | 2 | 3,
  iterations: number,
  size: number,
  hash: 'sha1' | 'sha256',
): Buffer {
  const u = hash === 'sha1' ? 20 : 32;
  const v = 64;
  const utf16le = Buffer.from(`${password}\u0000`, 'utf16le');
  const pass = Buffer.alloc(utf16le.length);
  for (let i = 0; i < utf16le.length; i += 2) pass.writeUInt16BE(utf16le.readUInt16LE(i), i);
  const fill = (source: Buffer) => {
    const out = Buffer.alloc(source.length === 0 ? 0 : v * Math.ceil(source.length / v));
    for (let i = 0; i < out.length; i++) out[i] = source.readUInt8(i % source.length);
    return out;
  };
  const d = Buffer.alloc(v, id);
  const input = Buffer.concat([fill(salt), fill(pass)]);
  const out: Buffer[] = [];
  for (let produced = 0; produced < size; produced += u) {
    let a = createHash(hash).update(d).update(input).digest();
    // One-shot hashing: the 2,047 rounds of each derivation were most of a start's PKCS#12 cost with createHash.
    for (let r = 1; r < iterations; r++) a = digestOf(hash, a, 'buffer');
    out.push(a);
    // I_j = (I_j + B + 1) mod 2^(8v), B = A repeated to v bytes.
    const b = fill(a);
    for (let j = 0; j < input.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const sum = input.readUInt8(j + k) + b.readUInt8(k) + carry;
        input[j + k] = sum & 0xff;
        carry = sum >> 8;
      }
    }
  }
  return Buffer.concat(out).subarray(0, size);
}

const encrypt = (cipher: string, key: Buffer, iv: Buffer, plain: Buffer) => {
  const c = createCipheriv(cipher, key, iv);
  return Buffer.concat([c.update(plain), c.final()]);
};

/** pbeWithSHAAnd3-KeyTripleDES-CBC (PKCS#12 key derivation). */
function tripleDes(plain: Buffer, password: string): { algorithm: Asn1; ciphertext: Buffer } {
  const salt = randomBytes(8);
  const key = pkcs12Kdf(password, salt, 1, ITERATIONS, 24, 'sha1');
  const iv = pkcs12Kdf(password, salt, 2, ITERATIONS, 8, 'sha1');
  const algorithm = seq([oid('pbeWithSHAAnd3-KeyTripleDES-CBC'), seq([octets(salt), integer(ITERATIONS)])]);
  return { algorithm, ciphertext: encrypt('des-ede3-cbc', key, iv, plain) };
}

/** pbeWithSHAAnd40BitRC2-CBC, which forge reads but does not write, and node:crypto lacks. */
function rc2(plain: Buffer, password: string): { algorithm: Asn1; ciphertext: Buffer } {
  const salt = randomBytes(8);
  const key = pkcs12Kdf(password, salt, 1, ITERATIONS, 5, 'sha1');
  const iv = pkcs12Kdf(password, salt, 2, ITERATIONS, 8, 'sha1');
  const cipher = forge.rc2.createEncryptionCipher(forge.util.createBuffer(binary(key)), 40);
  cipher.start(forge.util.createBuffer(binary(iv)));
  cipher.update(forge.util.createBuffer(binary(plain)));
  cipher.finish();
  const algorithm = seq([oid('pbewithSHAAnd40BitRC2-CBC'), seq([octets(salt), integer(ITERATIONS)])]);
  return { algorithm, ciphertext: Buffer.from(cipher.output.getBytes(), 'binary') };
}

/** PBES2: PBKDF2-HMAC-SHA256 and AES-256-CBC (RFC 8018), the password's UTF-8 bytes as OpenSSL uses them. */
function pbes2(plain: Buffer, password: string): { algorithm: Asn1; ciphertext: Buffer } {
  const salt = randomBytes(8);
  const iv = randomBytes(16);
  const key = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, ITERATIONS, 32, 'sha256');
  const kdf = seq([
    oid('pkcs5PBKDF2'),
    seq([octets(salt), integer(ITERATIONS), integer(32), seq([oid('hmacWithSHA256'), nothing()])]),
  ]);
  const algorithm = seq([oid('pkcs5PBES2'), seq([kdf, seq([oid('aes256-CBC'), octets(iv)])])]);
  return { algorithm, ciphertext: encrypt('aes-256-cbc', key, iv, plain) };
}

function pbeEncrypt(plain: Buffer, password: string, layout: Pkcs12Layout, forKey: boolean) {
  if (layout === 'modern') return pbes2(plain, password);
  return layout === 'legacy' && !forKey ? rc2(plain, password) : tripleDes(plain, password);
}

/** `localKeyId` ties the key bag to its certificate bag (SHA-1 of the certificate, as OpenSSL does). */
function attributes(localKeyId: Buffer, friendlyName?: string): Asn1 {
  const attrs = [seq([oid('localKeyId'), set([octets(localKeyId)])])];
  if (friendlyName)
    attrs.push(
      seq([oid('friendlyName'), set([asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BMPSTRING, false, friendlyName)])]),
    );
  return set(attrs);
}

function certBag(certDer: Buffer, attrs?: Asn1): Asn1 {
  const value = seq([oid('x509Certificate'), explicit0([octets(certDer)])]);
  return seq([oid('certBag'), explicit0([value]), ...(attrs ? [attrs] : [])]);
}

function dataContentInfo(content: Buffer): Asn1 {
  return seq([oid('data'), explicit0([octets(content)])]);
}

function encryptedContentInfo(content: Buffer, password: string, layout: Pkcs12Layout): Asn1 {
  const { algorithm, ciphertext } = pbeEncrypt(content, password, layout, false);
  const encryptedContent = asn1.create(asn1.Class.CONTEXT_SPECIFIC, TAG_0, false, binary(ciphertext));
  const encryptedData = seq([integer(0), seq([oid('data'), algorithm, encryptedContent])]);
  return seq([oid('encryptedData'), explicit0([encryptedData])]);
}

function macData(authSafe: Buffer, password: string, layout: Pkcs12Layout): Asn1 {
  const hash = layout === 'modern' ? 'sha256' : 'sha1';
  const salt = randomBytes(8);
  const key = pkcs12Kdf(password, salt, 3, ITERATIONS, hash === 'sha256' ? 32 : 20, hash);
  const digest = createHmac(hash, key).update(authSafe).digest();
  return seq([seq([seq([oid(hash), nothing()]), octets(digest)]), octets(salt), integer(ITERATIONS)]);
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
  const localKeyId = createHash('sha1').update(input.certDer).digest();
  const attrs = attributes(localKeyId, input.friendlyName);
  const leafBag = certBag(input.certDer, attrs);
  const chainBags = input.chainDer.map((cert) => certBag(cert));
  const certBags = der(seq(input.layout === 'legacy' ? [...chainBags, leafBag] : [leafBag, ...chainBags]));

  const { algorithm, ciphertext } = pbeEncrypt(input.keyDer, input.password, input.layout, true);
  const keyBag = seq([oid('pkcs8ShroudedKeyBag'), explicit0([seq([algorithm, octets(ciphertext)])]), attrs]);

  const authSafe = der(
    seq([
      input.layout === 'clear-certificates'
        ? dataContentInfo(certBags)
        : encryptedContentInfo(certBags, input.password, input.layout),
      dataContentInfo(der(seq([keyBag]))),
    ]),
  );
  return der(seq([integer(3), dataContentInfo(authSafe), macData(authSafe, input.password, input.layout)]));
}

/** A positive certificate serial of `bytes` random bytes, as even-length hex (what forge expects). */
export function randomSerialHex(bytes: number): string {
  const serial = randomBytes(bytes);
  serial[0] = (serial.readUInt8(0) & 0x7f) | 0x10; // positive and without a leading zero byte
  return serial.toString('hex');
}
