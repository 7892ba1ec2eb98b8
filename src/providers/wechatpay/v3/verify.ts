import type { KeyObject } from 'node:crypto';
import { SignatureError } from '../../../errors/index.js';
import { rsaVerify } from '../../../wire/rsa.js';
import { responseMessage } from './sign.js';

/** Five minutes either way (docs/providers/wechatpay.md#v3-verification: 5 minutes or more is rejected). */
export const WINDOW_SECONDS = 300;

const PROBE = 'WECHATPAY/SIGNTEST/';
const SIGNATURE_TYPE = 'WECHATPAY2-SHA256-RSA2048';

/**
 * Finds the platform key for a `Wechatpay-Serial` (may download certificates once). `known`, when
 * given, answers at once for keys already at hand, so that a notification signed with one is
 * verified without waiting on a promise (docs/providers/wechatpay.md#v3-notify-decryption).
 */
export interface KeyLookup {
  (serial: string): Promise<KeyObject | undefined>;
  known?: (serial: string) => KeyObject | undefined;
}

/** The signing headers of a v3 response or notification, present and checked. */
export interface SignedHeaders {
  timestamp: string;
  nonceStr: string;
  signature: string;
  serial: string;
}

/** The signed envelope of a v3 response or notification. */
export interface SignedMessage {
  headers: Record<string, string>;
  body: Buffer;
}

/**
 * The `Wechatpay-*` headers of a response or notification, checked before any key is looked up:
 * all present, a supported type, the timestamp within 5 minutes of `clock`, and not a signature
 * probe (`WECHATPAY/SIGNTEST/…`, refused without costing a verify). Throws {@link SignatureError}.
 */
export function signedHeaders(h: Record<string, string>, clock: () => Date): SignedHeaders {
  const timestamp = h['wechatpay-timestamp'];
  const nonceStr = h['wechatpay-nonce'];
  const signature = h['wechatpay-signature'];
  const serial = h['wechatpay-serial'];
  if (!timestamp || !nonceStr || !signature || !serial) {
    const missing = [
      ['Wechatpay-Timestamp', timestamp],
      ['Wechatpay-Nonce', nonceStr],
      ['Wechatpay-Signature', signature],
      ['Wechatpay-Serial', serial],
    ]
      .filter(([, v]) => !v)
      .map(([n]) => n);
    throw new SignatureError(`missing ${missing.join(', ')}: not a signed WeChat Pay v3 message`, 'SIGNATURE_MISSING');
  }
  const type = h['wechatpay-signature-type'];
  if (type !== undefined && type !== SIGNATURE_TYPE)
    throw new SignatureError(`unsupported Wechatpay-Signature-Type ${JSON.stringify(type)}`);
  if (!/^\d{1,12}$/.test(timestamp)) throw new SignatureError('Wechatpay-Timestamp is not Unix seconds');
  const skew = Math.abs(Math.floor(clock().getTime() / 1000) - Number(timestamp));
  if (skew >= WINDOW_SECONDS) {
    throw new SignatureError(
      `Wechatpay-Timestamp is ${skew} s away from this server's clock (limit ${WINDOW_SECONDS} s): ` +
        "a replay, or this server's clock is wrong",
      'SIGNATURE_STALE',
    );
  }
  if (signature.startsWith(PROBE)) {
    throw new SignatureError(
      'a WeChat Pay signature probe (WECHATPAY/SIGNTEST/…) was rejected, as WeChat expects; ' +
        'it resends a correctly signed copy',
      'SIGNATURE_PROBE',
    );
  }
  return { timestamp, nonceStr, signature, serial };
}

/**
 * Exactly one RSA verification of `signed` over the exact body bytes, with the key found for its
 * serial (`undefined`: none is known). Throws {@link SignatureError}.
 */
export function verifyBody(key: KeyObject | undefined, signed: SignedHeaders, body: Buffer): void {
  const { timestamp, nonceStr, signature, serial } = signed;
  if (!key) {
    throw new SignatureError(
      `no WeChat Pay platform key for Wechatpay-Serial ${JSON.stringify(serial)}: ` +
        (serial.startsWith('PUB_KEY_ID_')
          ? 'configure v3.platformPublicKey with its v3.platformPublicKeyId (商户平台 → API安全 → 微信支付公钥)'
          : "a platform certificate serial; configure v3.platformCertificates ('download') — " +
            'and never your own merchant certificate'),
      'SIGNATURE_UNKNOWN_KEY',
    );
  }
  if (!rsaVerify(key, responseMessage(timestamp, nonceStr, body), signature)) {
    throw new SignatureError(
      `the Wechatpay-Signature does not verify with the key ${serial}: ` +
        "the body was altered (or re-serialised by a body parser), or the key is not WeChat Pay's",
    );
  }
}

/**
 * Verifies a response or notification: {@link signedHeaders}, the key by serial (from `lookup`,
 * without waiting when it is {@link KeyLookup.known}), then {@link verifyBody}. Returns the serial
 * that verified.
 */
export async function verifySigned(message: SignedMessage, lookup: KeyLookup, clock: () => Date): Promise<string> {
  const signed = signedHeaders(message.headers, clock);
  verifyBody(lookup.known?.(signed.serial) ?? (await lookup(signed.serial)), signed, message.body);
  return signed.serial;
}
