import { randomBytes } from 'node:crypto';
import { signRsa, verifyRsa } from '../wire/rsa.js';
import type { SandboxResponse } from '../types.js';
import { nonce } from './crypto.js';
import type { PlatformSigner } from './platform.js';
import type { SimState, WxRequest } from './state.js';
import type { Merchant } from './trades.js';

/** WeChat's clock tolerance for the Authorization timestamp. */
const WINDOW_S = 300;
const SCHEME = 'WECHATPAY2-SHA256-RSA2048';

/** `Request-ID` as WeChat prints it: hex, opaque. */
export function requestId(): string {
  return randomBytes(16).toString('hex').toUpperCase();
}

/** A v3 error: status + `{code, message, detail?}`, no `Wechatpay-*` headers (errors are unsigned). */
export function v3Error(
  status: number,
  code: string,
  message: string,
  detail?: Record<string, unknown>,
): SandboxResponse {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'request-id': requestId() },
    body: JSON.stringify(detail ? { code, message, detail } : { code, message }),
  };
}

/** The four `Wechatpay-*` headers over `TIMESTAMP\nNONCE\nBODY\n`. */
export async function v3SignatureHeaders(
  signer: PlatformSigner,
  body: string,
  now: Date,
): Promise<Record<string, string>> {
  const timestamp = String(Math.floor(now.getTime() / 1000));
  const nonceStr = nonce(32);
  const signature = await signRsa(signer.key, `${timestamp}\n${nonceStr}\n${body}\n`);
  return {
    'wechatpay-timestamp': timestamp,
    'wechatpay-nonce': nonceStr,
    'wechatpay-signature': signature,
    'wechatpay-serial': signer.serial,
  };
}

/** A signed 2xx answer (204 has an empty, still signed, body). */
export async function v3Signed(
  state: SimState,
  merchant: Merchant,
  status: number,
  payload?: unknown,
): Promise<SandboxResponse> {
  const body = payload === undefined ? '' : JSON.stringify(payload);
  const headers = await v3SignatureHeaders(state.platform.signerFor(merchant), body, state.ctx.clock());
  headers['request-id'] = requestId();
  if (body) headers['content-type'] = 'application/json; charset=utf-8';
  return { status, headers, body };
}

/** Parses `WECHATPAY2-SHA256-RSA2048 k="v",k="v"`; undefined when malformed. */
export function parseAuthorization(header: string | undefined): Record<string, string> | undefined {
  if (!header || !header.startsWith(`${SCHEME} `)) return undefined;
  const attrs: Record<string, string> = Object.create(null);
  const rest = header.slice(SCHEME.length + 1).trim();
  const pattern = /\s*([a-z_]+)="([^"]*)"\s*(,|$)/gy;
  let consumed = 0;
  for (let m = pattern.exec(rest); m; m = pattern.exec(rest)) {
    if (m[1]! in attrs) return undefined;
    attrs[m[1]!] = m[2]!;
    consumed = pattern.lastIndex;
    if (consumed >= rest.length) break;
  }
  if (consumed !== rest.length) return undefined;
  for (const key of ['mchid', 'nonce_str', 'timestamp', 'serial_no', 'signature']) if (!attrs[key]) return undefined;
  return attrs;
}

const FORMAT_HELP = 'Http头Authorization值格式错误，请参考《微信支付商户REST API签名规则》';

/**
 * Checks the merchant's v3 request signature the way WeChat does: scheme and five attributes,
 * known mchid, `serial_no` = the merchant certificate serial, timestamp within 5 minutes, a fresh
 * nonce, and SHA256withRSA over `METHOD\nPATH?QUERY\nTIMESTAMP\nNONCE\nBODY\n`.
 */
export function authenticate(req: WxRequest, state: SimState): { merchant: Merchant } | { error: SandboxResponse } {
  const attrs = parseAuthorization(req.headers.authorization);
  if (!attrs) {
    const issue = req.headers.authorization
      ? `expected ${SCHEME} mchid="…",nonce_str="…",timestamp="…",serial_no="…",signature="…"`
      : 'the Authorization header is missing';
    return { error: v3Error(401, 'SIGN_ERROR', FORMAT_HELP, { field: 'Authorization', location: 'header', issue }) };
  }
  const merchant = state.merchants.get(attrs.mchid!);
  if (!merchant)
    return {
      error: v3Error(400, 'MCH_NOT_EXISTS', '商户号不存在', { field: 'mchid', value: attrs.mchid, location: 'header' }),
    };
  if (attrs.serial_no!.toUpperCase() !== merchant.certificate.serial) {
    const platformSerial =
      attrs.serial_no!.startsWith('PUB_KEY_ID_') ||
      state.platform.listed().some((c) => c.serial === attrs.serial_no!.toUpperCase());
    const issue = platformSerial
      ? 'serial_no is a WeChat Pay platform serial / public key id: the Authorization header takes the serial of the MERCHANT certificate (apiclient_cert.pem)'
      : `serial_no ${attrs.serial_no} is not the serial of this merchant's API certificate`;
    return {
      error: v3Error(401, 'SIGN_ERROR', '商户证书序列号有误。请使用签名私钥匹配的证书序列号', {
        field: 'serial_no',
        location: 'header',
        issue,
      }),
    };
  }
  const now = Math.floor(state.ctx.clock().getTime() / 1000);
  const timestamp = Number(attrs.timestamp);
  if (!/^\d{1,10}$/.test(attrs.timestamp!) || Math.abs(now - timestamp) >= WINDOW_S) {
    const issue = /^\d{13}$/.test(attrs.timestamp!)
      ? 'timestamp is in milliseconds: use Unix seconds'
      : `timestamp ${attrs.timestamp} is more than 5 minutes from ${now}`;
    return {
      error: v3Error(401, 'SIGN_ERROR', 'Http头Authorization中的timestamp与发起请求的时间不得超过5分钟', {
        field: 'timestamp',
        location: 'header',
        issue,
      }),
    };
  }
  const message = (target: string) =>
    `${req.method}\n${target}\n${attrs.timestamp}\n${attrs.nonce_str}\n${req.body.toString('utf8')}\n`;
  const publicKey = merchant.certificate.keys.publicKey;
  if (!verifyRsa(publicKey, message(req.target), attrs.signature!)) {
    // Only on failure: try the likely mistake, to say what it was (real WeChat just says 签名错误).
    const prefix = new URL(state.ctx.baseUrl).pathname;
    const bare = req.target.startsWith(prefix) ? req.target.slice(prefix.length) : undefined;
    const issue =
      bare && verifyRsa(publicKey, message(bare), attrs.signature!)
        ? `the signature covers "${bare}" but the URL requested was "${req.target}": sign the path of the URL actually sent, gateway prefix included`
        : `the signature does not verify over "${req.method}\\n${req.target}\\n${attrs.timestamp}\\n${attrs.nonce_str}\\n<body, ${req.body.length} bytes>\\n" with the merchant certificate's key`;
    return { error: v3Error(401, 'SIGN_ERROR', '签名错误', { field: 'signature', location: 'header', issue }) };
  }
  // A replayed request (same nonce inside the window) is refused once its signature is known good.
  const nonceKey = `${merchant.mchId}\u0000${attrs.nonce_str}`;
  for (const [key, expiry] of state.nonces) {
    // Insertion order is expiry order, so pruning stops at the first live entry.
    if (expiry >= now) break;
    state.nonces.delete(key);
  }
  if (state.nonces.has(nonceKey))
    return {
      error: v3Error(401, 'SIGN_ERROR', 'Http头Authorization中的nonce_str重复', {
        field: 'nonce_str',
        location: 'header',
        issue: 'this nonce was already used: every request needs a new random nonce',
      }),
    };
  state.nonces.set(nonceKey, now + WINDOW_S);
  return { merchant };
}
