import { X509Certificate, type KeyObject } from 'node:crypto';
import { ProviderError, SignatureError } from '../../../errors/index.js';
import type { ProviderEnv } from '../../../spi/provider.js';
import type { V3Config } from '../config.js';
import { decryptGcm, type GcmEnvelope } from './aes.js';
import type { V3Send } from './client.js';
import type { KeyLookup } from './verify.js';

/** How long downloaded certificates are trusted before the next lookup downloads them again. */
const CACHE_TTL_MS = 12 * 60 * 60 * 1000;
/** Unknown serials (real rotations, or forged headers) trigger a download at most this often. */
const UNKNOWN_SERIAL_REFRESH_MS = 10_000;

interface CachedCert {
  serial: string;
  pem: string;
}

/** The certificates a `/v3/certificates` answer brings, decrypted: serial → certificate. */
type CertificateList = Map<string, X509Certificate>;

/**
 * The one map of WeChat Pay verification keys: `PUB_KEY_ID_…` public keys from the config, and
 * platform certificates by serial — given, cached in the store, or downloaded from
 * `/v3/certificates` (decrypted with the APIv3 key, the answer verified against the set it
 * brings). An unknown serial triggers one refresh, shared by concurrent callers
 * (docs/providers/wechatpay.md#platform-keys).
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
  readonly lookup: KeyLookup = Object.assign(
    (serial: string) => {
      const key = this.known(serial);
      // A PUB_KEY_ID_ key is configured or unknown; a certificate may still have to be loaded or downloaded.
      return key || serial.startsWith('PUB_KEY_ID_') ? Promise.resolve(key) : this.certificateKey(serial);
    },
    { known: (serial: string) => this.known(serial) },
  );

  /** The key when it is at hand: a configured public key, or a certificate loaded within the cache's lifetime. */
  private known(serial: string): KeyObject | undefined {
    if (serial.startsWith('PUB_KEY_ID_')) return this.v3.publicKeys.get(serial);
    return this.stale(this.env.clock().getTime()) ? undefined : this.certs.get(serial.toUpperCase());
  }

  /** Whether the certificates were loaded longer ago than they are trusted (or never). */
  private stale(now: number): boolean {
    return now - this.loadedAt > CACHE_TTL_MS;
  }

  /** A platform certificate's key by serial, when it is not {@link known}: loaded, or downloaded when unknown. */
  private async certificateKey(serial: string): Promise<KeyObject | undefined> {
    if (!this.v3.certificates) return undefined;
    const wanted = serial.toUpperCase();
    const now = this.env.clock().getTime();
    if (this.stale(now)) await this.once(() => this.load());
    const known = this.certs.get(wanted);
    if (known) return known;
    if (now - this.lastUnknownRefresh < UNKNOWN_SERIAL_REFRESH_MS) return undefined;
    this.lastUnknownRefresh = now;
    await this.once(() => this.download());
    return this.certs.get(wanted);
  }

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

  /**
   * Reads `{ data: [{ serial_no, encrypt_certificate }] }`: each certificate decrypted with the
   * APIv3 key; expired ones, and ones whose serial is not the one listed, left out. A certificate
   * that does not decrypt makes the whole answer unreadable (the APIv3 key is probably wrong).
   */
  private decrypt(json: Record<string, unknown>): CertificateList {
    // WeChat's answer: an item may be anything, null included.
    const list = json.data as ({ serial_no?: unknown; encrypt_certificate?: GcmEnvelope } | null)[] | undefined;
    if (!Array.isArray(list)) throw new Error('/v3/certificates answered something other than { data: [...] }');
    const now = this.env.clock();
    const fresh: CertificateList = new Map();
    for (const item of list) {
      if (typeof item?.serial_no !== 'string' || !item.encrypt_certificate) continue;
      let cert: X509Certificate;
      try {
        cert = new X509Certificate(decryptGcm(this.v3.apiV3Key, item.encrypt_certificate));
      } catch (error) {
        const why = error instanceof SignatureError ? error.message : 'it is not a certificate';
        throw new Error(`platform certificate ${item.serial_no}: ${why}`, { cause: error });
      }
      const serial = cert.serialNumber.toUpperCase();
      if (serial !== item.serial_no.toUpperCase()) continue;
      if (new Date(cert.validTo) <= now) continue;
      fresh.set(serial, cert);
    }
    return fresh;
  }

  private async download(): Promise<void> {
    let fresh: CertificateList = new Map();
    try {
      await this.send({
        method: 'GET',
        path: '/v3/certificates',
        what: 'downloading platform certificates',
        // Decrypted while the answer is read, so a list that does not decrypt is a malformed answer …
        check: (answer) => void (fresh = this.decrypt(answer)),
        // … and the list is signed by one of its own certificates (or the public key): accepted by every SDK.
        keys: async (serial) =>
          serial.startsWith('PUB_KEY_ID_')
            ? this.v3.publicKeys.get(serial)
            : (fresh.get(serial.toUpperCase())?.publicKey ?? this.certs.get(serial.toUpperCase())),
      });
    } catch (error) {
      if (error instanceof ProviderError && error.providerCode === 'RESOURCE_NOT_EXISTS') {
        throw new ProviderError({
          provider: 'wechatpay',
          providerCode: error.providerCode,
          message:
            'this merchant has no platform certificates (public-key mode): configure v3.platformPublicKey and ' +
            'v3.platformPublicKeyId instead of platformCertificates',
          raw: error.raw,
          cause: error,
        });
      }
      throw error;
    }
    const now = this.env.clock();
    for (const [serial, cert] of fresh) this.certs.set(serial, cert.publicKey);
    this.loadedAt = now.getTime();
    const entries: CachedCert[] = [...fresh].map(([serial, cert]) => ({ serial, pem: cert.toString() }));
    await this.env.store.set(this.cacheKey, JSON.stringify(entries), CACHE_TTL_MS, 'cache');
  }
}
