import type { KeyObject } from 'node:crypto';
import { SignatureError } from '../../../errors/index.js';
import { rsaVerify } from '../../../wire/rsa.js';
import { responseMessage } from './sign.js';

/** Five minutes either way (docs/providers/wechatpay.md#v3-verification: 5 minutes or more is rejected). */
export const WINDOW_SECONDS = 300;

const PROBE = 'WECHATPAY/SIGNTEST/';
const SIGNATURE_TYPE = 'WECHATPAY2-SHA256-RSA2048';

/** Finds the platform key for a `Wechatpay-Serial` (may download certificates once). */
export type KeyLookup = (serial: string) => Promise<KeyObject | undefined>;

/** The signed envelope of a v3 response or notification. */
export interface SignedMessage {
  headers: Record<string, string>;
  body: Buffer;
}

/**
 * Verifies the `Wechatpay-*` headers of a response or notification over the exact body bytes:
 * all headers present, timestamp within 5 minutes of `clock`, key chosen by serial, exactly one
 * RSA verification. Signature probes (`WECHATPAY/SIGNTEST/…`) fail here without costing a verify.
 * Throws {@link SignatureError}; returns the serial that verified.
 */
export async function verifySigned(message: SignedMessage, lookup: KeyLookup, clock: () => Date): Promise<string> {
  const h = message.headers;
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
  const key = await lookup(serial);
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
  if (!rsaVerify(key, responseMessage(timestamp, nonceStr, message.body), signature)) {
    throw new SignatureError(
      `the Wechatpay-Signature does not verify with the key ${serial}: ` +
        "the body was altered (or re-serialised by a body parser), or the key is not WeChat Pay's",
    );
  }
  return serial;
}
