/**
 * Payment channel: a mobile web page (`wap`, H5), a native app through the provider's SDK
 * (`app`), a page inside the provider's own app browser paying through its script bridge
 * (`jsapi`), or a mini-program inside that app (`mini`). The last two pay for a known payer:
 * checkout needs the payer's `openid` under the channel's app id.
 */
export type Channel = 'wap' | 'app' | 'jsapi' | 'mini';

/** Every {@link Channel}, in the order error messages list them. */
export const CHANNELS: readonly Channel[] = ['wap', 'app', 'jsapi', 'mini'];

/**
 * The framework-neutral request the core works on. Adapters build it; `rawBody` holds the exact
 * bytes the client sent whenever the adapter could get them (signatures are over those bytes).
 */
export interface CoreRequest {
  method: string;
  /** Path relative to the mount point, always starting with `/`. */
  path: string;
  query: URLSearchParams;
  /** Header names lower-cased. */
  headers: Record<string, string>;
  /** The exact request body bytes, when the adapter has them. */
  rawBody?: Buffer;
  /** What a host body parser left behind, when the bytes are gone (last resort). */
  parsedBody?: unknown;
  /** Set by the adapter when reading the body failed (too large, aborted); the route answers it. */
  bodyError?: { status: number; message: string };
  /**
   * How to keep the raw body in this framework (e.g. "mount paymount before express.json()"),
   * named in the error when a body parser consumed the signed bytes. Set by the adapter.
   */
  bodyHint?: string;
  /** Client IP address (WeChat H5 needs the payer's IP). */
  ip?: string;
  /**
   * Where the adapter is mounted (Express `req.baseUrl`, the Koa or fetch prefix), so the core can
   * say so once when it differs from `publicUrl`'s path (every notify would then miss the router).
   */
  mountPath?: string;
  /** The framework's own request object (Express `req`, Koa `ctx`, a Web `Request`). */
  native?: unknown;
}

/** The core's response; adapters copy it onto the framework's response. */
export interface CoreResponse {
  status: number;
  headers: Record<string, string>;
  body?: string | Buffer;
}

/** An order as the host returns it from `getOrder`. */
export interface Order {
  id: string;
  /** Integer number of fen (分): 12.34 yuan is `1234`. */
  amount: number;
  subject: string;
  currency?: 'CNY';
  description?: string;
  status?: 'pending' | 'paid' | 'closed';
  /** After this instant the provider must refuse payment. */
  expiresAt?: Date;
}

/**
 * The signed parameter set a page inside the provider's app (or a mini-program) hands to the
 * app's payment call, keys exactly as the call takes them. `signType` is `RSA` for a signature
 * made with the merchant's private key, else the digest the merchant's API key signs with.
 */
export interface JsapiParams {
  appId: string;
  /** Unix seconds, 10 digits, as a string. */
  timeStamp: string;
  nonceStr: string;
  /** `prepay_id=…`. */
  package: string;
  signType: 'RSA' | 'MD5' | 'HMAC-SHA256';
  paySign: string;
}

/** What the browser or app receives from checkout. One shape for every provider. */
export type CheckoutResult =
  | { type: 'redirect'; url: string }
  | { type: 'form'; action: string; method: 'POST'; fields: Record<string, string> }
  | { type: 'app'; provider: string; params: Record<string, string> }
  | { type: 'jsapi'; provider: string; params: JsapiParams };

/** A text shown to buyers, in each language of the buyer pages. */
export interface LocalizedText {
  'zh-CN': string;
  en: string;
}

/**
 * An app's built-in browser (a chat app's web view), told by its user agent. The user agent only
 * chooses a flow: anyone can send any user agent, so it never proves anything.
 */
export interface InAppBrowser {
  /** The app's name as buyers know it. */
  name: LocalizedText;
  /** True when `userAgent` is this browser's. */
  test(userAgent: string): boolean;
}

/**
 * Where paymount writes what happened (never secrets): `info` for every checkout created, payment
 * fulfilled, refund, close and mismatch; `warn` for refused input; `error` for failures that need
 * a person. Each entry is a message and a flat detail object (order id, provider, trade number,
 * request id). `createPayments` also takes a console-style or pino-style logger and adapts it.
 */
export interface Logger {
  info(message: string, detail?: Record<string, unknown>): void;
  warn(message: string, detail?: Record<string, unknown>): void;
  error(message: string, detail?: Record<string, unknown>): void;
}
