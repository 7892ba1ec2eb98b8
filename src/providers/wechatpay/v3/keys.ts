import { X509Certificate, type KeyObject } from 'node:crypto';
import { ProviderError, SignatureError } from '../../../errors/index.js';
import type { ProviderEnv } from '../../../spi/provider.js';
import type { V3Config } from '../config.js';
import { decryptGcm, type GcmEnvelope } from './aes.js';
import { v3Error } from './response.js';
import type { V3Send } from './transport.js';
import { verifySigned } from './verify.js';

/** How long downloaded certificates are trusted before the next lookup downloads them again. */
const CACHE_TTL_MS = 12 * 60 * 60 * 1000;
/** Unknown serials (real rotations, or forged headers) trigger a download at most this often. */
const UNKNOWN_SERIAL_REFRESH_MS = 10_000;

interface CachedCert {
  serial: string;
  pem: string;
}

/**
 * The one map of WeChat Pay verification keys: `PUB_KEY_ID_…` public keys from the config, and
 * platform certificates by serial — given, cached in the store, or downloaded from
 * `/v3/certificates` (decrypted with the APIv3 key, the response verified against the set it
 * brings). An unknown serial triggers one refresh, shared by concurrent callers (spec §B.5).
 */
export class PlatformKeys {
  private readonly certs = new Map<string, KeyObject>();
  private loadedAt = -Infinity;
  private lastUnknownRefresh = -Infinity;
  private inflight: Promise<void> | undefined;
  private readonly cacheKey: string;

  constructor(
    private readonly v3: V3Config,
    mchId: string,
    private readonly send: V3Send,
    private readonly env: Pick<ProviderEnv, 'clock' | 'store' | 'logger'>,
  ) {
    this.cacheKey = `paymount:wechatpay:${mchId}:platform-certificates`;
    for (const [serial, cert] of v3.givenCertificates) this.certs.set(serial, cert.publicKey);
    // Certificates given in the config are used as they are; only an unknown serial downloads.
    if (v3.givenCertificates.size > 0) this.loadedAt = Infinity;
  }

  /** The key for a `Wechatpay-Serial`, or `undefined` when neither the config nor a refresh knows it. */
  readonly lookup = async (serial: string): Promise<KeyObject | undefined> => {
    if (serial.startsWith('PUB_KEY_ID_')) return this.v3.publicKeys.get(serial);
    if (!this.v3.certificates) return undefined;
    const wanted = serial.toUpperCase();
    const now = this.env.clock().getTime();
    if (now - this.loadedAt > CACHE_TTL_MS) await this.once(() => this.load());
    const known = this.certs.get(wanted);
    if (known) return known;
    if (now - this.lastUnknownRefresh < UNKNOWN_SERIAL_REFRESH_MS) return undefined;
    this.lastUnknownRefresh = now;
    await this.once(() => this.download());
    return this.certs.get(wanted);
  };

  private once(task: () => Promise<void>): Promise<void> {
    this.inflight ??= task().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  /** From the store when another instance (or an earlier run) downloaded recently; else download. */
  private async load(): Promise<void> {
    const cached = await this.env.store.get(this.cacheKey);
    if (cached) {
      try {
        const entries = JSON.parse(cached) as CachedCert[];
        const now = this.env.clock();
        for (const { serial, pem } of entries) {
          const cert = new X509Certificate(pem);
          if (new Date(cert.validTo) > now) this.certs.set(serial, cert.publicKey);
        }
        this.loadedAt = now.getTime();
        return;
      } catch {
        this.env.logger.warn('ignoring an unreadable cached WeChat Pay platform certificate list');
      }
    }
    await this.download();
  }

  private async download(): Promise<void> {
    const res = await this.send('GET', '/v3/certificates');
    if (res.status !== 200) {
      const error = v3Error(res, 'downloading platform certificates');
      if (error.code === 'RESOURCE_NOT_EXISTS') {
        throw new ProviderError({
          provider: 'wechatpay',
          code: error.code,
          message:
            'this merchant has no platform certificates (public-key mode): configure v3.platformPublicKey and v3.platformPublicKeyId instead of platformCertificates',
          raw: error.raw,
        });
      }
      throw error;
    }
    let list: Array<{ serial_no?: unknown; encrypt_certificate?: GcmEnvelope }>;
    try {
      list = (JSON.parse(res.body.toString('utf8')) as { data: typeof list }).data;
      if (!Array.isArray(list)) throw new Error('no data');
    } catch {
      throw new ProviderError({
        provider: 'wechatpay',
        code: 'RESPONSE_INVALID',
        message: '/v3/certificates answered something other than { data: [...] }',
      });
    }
    const now = this.env.clock();
    const fresh = new Map<string, X509Certificate>();
    for (const item of list) {
      if (typeof item.serial_no !== 'string' || !item.encrypt_certificate) continue;
      let cert: X509Certificate;
      try {
        cert = new X509Certificate(decryptGcm(this.v3.apiV3Key, item.encrypt_certificate));
      } catch (error) {
        throw new ProviderError({
          provider: 'wechatpay',
          code: 'CERTIFICATE_DECRYPT_FAILED',
          message:
            error instanceof SignatureError
              ? `platform certificate ${item.serial_no}: ${error.message}`
              : `platform certificate ${item.serial_no} is not a certificate`,
          cause: error,
        });
      }
      const serial = cert.serialNumber.toUpperCase();
      if (serial !== item.serial_no.toUpperCase()) continue;
      if (new Date(cert.validTo) <= now) continue;
      fresh.set(serial, cert);
    }
    // The list is signed by one of its own certificates (or the public key): accepted by every SDK.
    try {
      await verifySigned(
        { headers: res.headers, body: res.body },
        async (serial) =>
          serial.startsWith('PUB_KEY_ID_')
            ? this.v3.publicKeys.get(serial)
            : (fresh.get(serial.toUpperCase())?.publicKey ?? this.certs.get(serial.toUpperCase())),
        this.env.clock,
      );
    } catch (error) {
      throw new ProviderError({
        provider: 'wechatpay',
        code: 'RESPONSE_SIGNATURE_INVALID',
        message: `/v3/certificates: ${(error as Error).message}`,
        cause: error,
      });
    }
    for (const [serial, cert] of fresh) this.certs.set(serial, cert.publicKey);
    this.loadedAt = now.getTime();
    const entries: CachedCert[] = [...fresh].map(([serial, cert]) => ({ serial, pem: cert.toString() }));
    await this.env.store.set(this.cacheKey, JSON.stringify(entries), CACHE_TTL_MS, 'cache');
  }
}
