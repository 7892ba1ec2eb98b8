import type { KeyObject } from 'node:crypto';
import { rsaSign } from '../../../wire/rsa.js';

/**
 * The v3 request message: five lines, each ending in `\n`, the body exactly as sent
 * (docs/providers/wechatpay.md#v3-request-signing).
 */
export function requestMessage(
  method: string,
  canonicalUrl: string,
  timestamp: string,
  nonceStr: string,
  body: string,
): string {
  return `${method}\n${canonicalUrl}\n${timestamp}\n${nonceStr}\n${body}\n`;
}

/** Builds the `Authorization` header value from its parts. */
export function authorizationHeader(parts: {
  mchId: string;
  nonceStr: string;
  timestamp: string;
  serialNo: string;
  signature: string;
}): string {
  return (
    `WECHATPAY2-SHA256-RSA2048 mchid="${parts.mchId}",nonce_str="${parts.nonceStr}",` +
    `timestamp="${parts.timestamp}",serial_no="${parts.serialNo}",signature="${parts.signature}"`
  );
}

/** Signs one request (on the thread pool) and returns the `Authorization` header value. */
export async function signRequest(
  key: KeyObject,
  init: {
    mchId: string;
    serialNo: string;
    method: string;
    canonicalUrl: string;
    body: string;
    timestamp: string;
    nonceStr: string;
  },
): Promise<string> {
  const signature = await rsaSign(
    key,
    requestMessage(init.method, init.canonicalUrl, init.timestamp, init.nonceStr, init.body),
  );
  return authorizationHeader({
    mchId: init.mchId,
    nonceStr: init.nonceStr,
    timestamp: init.timestamp,
    serialNo: init.serialNo,
    signature,
  });
}

/**
 * The APP client message: `appid\ntimestamp\nnoncestr\nprepayid\n` with the bare prepay id — not
 * JSAPI's `prepay_id=` line, the most common APP mistake (docs/providers/wechatpay.md#app-checkout).
 */
export function appMessage(appId: string, timestamp: string, nonceStr: string, prepayId: string): string {
  return `${appId}\n${timestamp}\n${nonceStr}\n${prepayId}\n`;
}

/**
 * The verification message of responses and notifications: `timestamp\nnonce\nbody\n`
 * (docs/providers/wechatpay.md#v3-verification).
 */
export function responseMessage(timestamp: string, nonceStr: string, body: Buffer | string): Buffer {
  return Buffer.concat([
    Buffer.from(`${timestamp}\n${nonceStr}\n`, 'utf8'),
    typeof body === 'string' ? Buffer.from(body, 'utf8') : body,
    Buffer.from('\n'),
  ]);
}
