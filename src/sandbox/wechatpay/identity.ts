import { randomBytes } from 'node:crypto';
import { keyPairFromPem, startKeyPairs, type KeyPair } from '../keys.js';
import { savedObject, savedString } from '../state-dir.js';
import { nonce } from './crypto.js';
import {
  digits,
  issueCa,
  issuedCertificate,
  issueMerchantCert,
  issuePlatformCert,
  merchantPkcs12,
  publicKeyId,
  START_KEY_COUNT,
  startKeysOf,
  type IssuedCertificate,
} from './pki.js';
import type { Merchant } from './trades.js';

/** The four sandbox merchants, by what they integrate. */
export type MerchantRole = 'v3PublicKey' | 'v3Certificates' | 'v2Md5' | 'v2Hmac';

const ROLES: Record<MerchantRole, Pick<Merchant, 'api' | 'verification' | 'signType'>> = {
  v3PublicKey: { api: 'v3', verification: 'public-key', signType: 'MD5' },
  v3Certificates: { api: 'v3', verification: 'certificate', signType: 'MD5' },
  v2Md5: { api: 'v2', verification: 'certificate', signType: 'MD5' },
  v2Hmac: { api: 'v2', verification: 'certificate', signType: 'HMAC-SHA256' },
};

const CHANNELS = ['wap', 'app', 'jsapi', 'mini'] as const;
type AppIdsOf<T> = Record<(typeof CHANNELS)[number], T>;
const perChannel = <T>(make: (channel: (typeof CHANNELS)[number]) => T): AppIdsOf<T> => ({
  wap: make('wap'),
  app: make('app'),
  jsapi: make('jsapi'),
  mini: make('mini'),
});

/** A certificate (PEM) and its private key (PKCS#8 PEM), as saved. */
export interface SavedCertificate {
  key: string;
  cert: string;
}

/** One merchant, as saved: its ids, API keys and merchant API certificate. */
export interface SavedMerchant extends SavedCertificate {
  mchId: string;
  /** One app per channel: H5 and JSAPI under official accounts, APP a mobile app, `mini` a mini-program. */
  appIds: AppIdsOf<string>;
  /** Each app's AppSecret (web OAuth's code exchange), kept so a restart hands out the same ones. */
  appSecrets: AppIdsOf<string>;
  apiV3Key: string;
  apiV2Key: string;
  /** apiclient_cert.p12 (passphrase = mchid), base64: kept so a restart hands out the same file. */
  pfx: string;
}

/**
 * What a state dir keeps of the simulated WeChat Pay: the CA, the WeChat Pay public key and its
 * id, the first platform certificate, and the four merchants. Platform certificates issued by a
 * rotation are not kept: a restart signs with the first one again.
 */
export interface WechatpayIdentity {
  ca: SavedCertificate;
  /** The private half of the WeChat Pay public key (PKCS#8 PEM). */
  publicKey: string;
  publicKeyId: string;
  platform: SavedCertificate;
  merchants: Record<MerchantRole, SavedMerchant>;
}

/** The identity, parsed for the simulator. */
export interface WechatpayPki {
  ca: IssuedCertificate;
  publicKey: KeyPair;
  publicKeyId: string;
  platform: IssuedCertificate;
  merchants: Record<MerchantRole, Merchant>;
  /** Each merchant's apiclient_cert.p12. */
  pfx: Record<MerchantRole, Buffer>;
}

const HEX = 'abcdef0123456789';

function appId(): string {
  return `wx${digits(16).replace(/\d/g, (d) => HEX.charAt(Number(d)))}`;
}

/**
 * A new identity: the process's start keys (see `startKeyPairs`) under new certificates, new
 * merchant numbers, app ids and API keys. The v2 merchants share a key pair: it only backs their
 * (distinct) client certificates.
 */
export async function newWechatpayIdentity(now: Date): Promise<WechatpayIdentity> {
  const keys = startKeysOf(await startKeyPairs('wechatpay', START_KEY_COUNT));
  const ca = issueCa(keys.ca, now);
  const used = new Set<string>();
  const mchId = () => {
    for (;;) {
      const id = `19${digits(8)}`;
      if (!used.has(id)) return (used.add(id), id);
    }
  };
  const merchant = (key: KeyPair): SavedMerchant => {
    const id = mchId();
    const cert = issueMerchantCert(ca, key, id, now);
    return {
      mchId: id,
      appIds: perChannel(appId),
      appSecrets: perChannel(() => randomBytes(16).toString('hex')),
      apiV3Key: nonce(32),
      apiV2Key: nonce(32),
      key: key.privatePem,
      cert: cert.pem,
      pfx: merchantPkcs12(cert, ca, id).toString('base64'),
    };
  };
  const merchants = {
    v3PublicKey: merchant(keys.v3PublicKeyMerchant),
    v3Certificates: merchant(keys.v3CertificateMerchant),
    v2Md5: merchant(keys.v2Merchant),
    v2Hmac: merchant(keys.v2Merchant),
  };
  return {
    ca: { key: keys.ca.privatePem, cert: ca.pem },
    publicKey: keys.publicKey.privatePem,
    publicKeyId: publicKeyId(merchants.v3PublicKey.mchId),
    platform: { key: keys.platform.privatePem, cert: issuePlatformCert(ca, keys.platform, now).pem },
    merchants,
  };
}

/** Checks a saved identity's shape (a state dir file). */
export function readWechatpayIdentity(saved: unknown): WechatpayIdentity {
  const record = savedObject(saved, 'identity');
  const certificate = (value: unknown, path: string): SavedCertificate => {
    const entry = savedObject(value, path);
    return { key: savedString(entry, 'key', path), cert: savedString(entry, 'cert', path) };
  };
  const merchantsRecord = savedObject(record.merchants, 'identity.merchants');
  const merchant = (role: MerchantRole): SavedMerchant => {
    const path = `identity.merchants.${role}`;
    const entry = savedObject(merchantsRecord[role], path);
    const appIds = savedObject(entry.appIds, `${path}.appIds`);
    const secrets = savedObject(entry.appSecrets, `${path}.appSecrets`);
    return {
      ...certificate(entry, path),
      mchId: savedString(entry, 'mchId', path),
      appIds: perChannel((channel) => savedString(appIds, channel, `${path}.appIds`)),
      appSecrets: perChannel((channel) => savedString(secrets, channel, `${path}.appSecrets`)),
      apiV3Key: savedString(entry, 'apiV3Key', path),
      apiV2Key: savedString(entry, 'apiV2Key', path),
      pfx: savedString(entry, 'pfx', path),
    };
  };
  return {
    ca: certificate(record.ca, 'identity.ca'),
    publicKey: savedString(record, 'publicKey', 'identity'),
    publicKeyId: savedString(record, 'publicKeyId', 'identity'),
    platform: certificate(record.platform, 'identity.platform'),
    merchants: {
      v3PublicKey: merchant('v3PublicKey'),
      v3Certificates: merchant('v3Certificates'),
      v2Md5: merchant('v2Md5'),
      v2Hmac: merchant('v2Hmac'),
    },
  };
}

/** The keys and certificates the simulator works with, from an identity. */
export function wechatpayPki(identity: WechatpayIdentity): WechatpayPki {
  const certificate = (saved: SavedCertificate) => issuedCertificate(saved.cert, keyPairFromPem(saved.key));
  const merchant = (role: MerchantRole): Merchant => {
    const saved = identity.merchants[role];
    return {
      mchId: saved.mchId,
      appIds: { ...saved.appIds },
      apiV3Key: saved.apiV3Key,
      apiV2Key: saved.apiV2Key,
      certificate: certificate(saved),
      ...ROLES[role],
    };
  };
  const pfx = (role: MerchantRole) => Buffer.from(identity.merchants[role].pfx, 'base64');
  return {
    ca: certificate(identity.ca),
    publicKey: keyPairFromPem(identity.publicKey),
    publicKeyId: identity.publicKeyId,
    platform: certificate(identity.platform),
    merchants: {
      v3PublicKey: merchant('v3PublicKey'),
      v3Certificates: merchant('v3Certificates'),
      v2Md5: merchant('v2Md5'),
      v2Hmac: merchant('v2Hmac'),
    },
    pfx: {
      v3PublicKey: pfx('v3PublicKey'),
      v3Certificates: pfx('v3Certificates'),
      v2Md5: pfx('v2Md5'),
      v2Hmac: pfx('v2Hmac'),
    },
  };
}
