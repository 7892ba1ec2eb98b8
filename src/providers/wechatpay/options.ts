import type { KeyInput } from '../../wire/keys.js';

/** API v3 credentials (JSON API, RSA signatures, AES-GCM notifications). */
export interface WechatpayV3Options {
  /** The APIv3 key: 32 characters, set in 商户平台 → API安全. Decrypts notifications and certificates. */
  apiV3Key: string;
  /** The merchant API private key (`apiclient_key.pem`). */
  privateKey: KeyInput;
  /** The serial (hex) of the MERCHANT certificate `apiclient_cert.pem`, not a platform serial. */
  certificateSerial: string;
  /** WeChat Pay public key mode: `pub_key.pem` … */
  platformPublicKey?: KeyInput;
  /** … and its id, `PUB_KEY_ID_…`. */
  platformPublicKeyId?: string;
  /**
   * Platform certificate mode: `'download'` fetches them from `/v3/certificates`; PEMs given here
   * are used at once and still refreshed from there when an unknown serial shows up.
   */
  platformCertificates?: 'download' | string[];
}

/** API v2 credentials (XML API, MD5/HMAC-SHA256). */
export interface WechatpayV2Options {
  /** The API v2 key: 32 characters, independent of the APIv3 key. */
  apiKey: string;
  /** Default `MD5`. Responses and notifications must use the same algorithm. */
  signType?: 'MD5' | 'HMAC-SHA256';
  /** `apiclient_cert.p12` and its passphrase (usually the mchid), for refunds over mutual TLS. */
  clientCertificate?: { pfx: Buffer; passphrase: string };
}

/** Options of {@link wechatpay}. With both `v3` and `v2`, v3 makes every API call; v2 then only reads v2 notifications. */
export interface WechatpayOptions {
  /** The merchant number (商户号), usually 10 digits. */
  mchId: string;
  /** The app id bound to the mchid; APP payments need an Open Platform mobile app id, which differs from H5's. */
  appId: string | { wap: string; app: string };
  v3?: WechatpayV3Options;
  v2?: WechatpayV2Options;
  /** `scene_info.h5_info` of H5 payments. */
  h5?: { appName: string; appUrl?: string; bundleId?: string; packageName?: string };
  /** Base URL of the API. Default (`'production'`) `https://api.mch.weixin.qq.com`. */
  gateway?: 'production' | string;
  /** Extra CA (PEM) to trust for the gateway: test environments and the sandbox. */
  ca?: string;
}
