import type { KeyObject } from 'node:crypto';
import { issuePlatformCert, newKeyPair, newKeyPairSync, type IssuedCertificate, type KeyPair } from './pki.js';
import type { Merchant } from './trades.js';

/** How long a retired platform certificate stays listed by `/v3/certificates` after a rotation. */
export const RETIRED_LISTING_MS = 5 * 24 * 60 * 60 * 1000;

/** The key WeChat signs one message with, and the `Wechatpay-Serial` that names it. */
export interface PlatformSigner {
  serial: string;
  key: KeyObject;
}

/**
 * WeChat's own signing keys: the WeChat Pay public key (`PUB_KEY_ID_…`, never rotates) and the
 * platform certificates (rotate; the retired one stays downloadable for a while, as in the real
 * five-day overlap, so merchants that cache by serial keep verifying older messages).
 */
export class Platform {
  private readonly certificates: { cert: IssuedCertificate; retiredAt?: Date }[] = [];
  /** The next rotation's key, made in the background so `rotate()` rarely generates one inline. */
  private spare: KeyPair | undefined;

  constructor(
    private readonly ca: IssuedCertificate,
    readonly publicKey: KeyPair,
    readonly publicKeyId: string,
    first: IssuedCertificate,
    private readonly clock: () => Date,
    /** The first rotation's key, when the caller has one ready (else it is made in the background now). */
    spare?: KeyPair,
  ) {
    this.certificates.push({ cert: first });
    if (spare) this.spare = spare;
    else this.refill();
  }

  private refill(): void {
    newKeyPair().then(
      (keys) => {
        this.spare = keys;
      },
      () => undefined,
    );
  }

  /** The newest entry: the constructor adds the first, and entries are only ever added. */
  private get latest(): { cert: IssuedCertificate; retiredAt?: Date } {
    const entry = this.certificates.at(-1);
    if (!entry) throw new Error('platform certificate list is empty');
    return entry;
  }

  /** The certificate signing from now on. */
  get current(): IssuedCertificate {
    return this.latest.cert;
  }

  /** Issues a new certificate (new serial) and signs with it from now on. */
  rotate(): IssuedCertificate {
    const now = this.clock();
    this.latest.retiredAt = now;
    const keys = this.spare ?? newKeyPairSync();
    this.spare = undefined;
    this.refill();
    const next = issuePlatformCert(this.ca, keys, now);
    this.certificates.push({ cert: next });
    return next;
  }

  /** What `/v3/certificates` lists now: the current certificate and recently retired ones. */
  listed(): IssuedCertificate[] {
    const now = this.clock().getTime();
    return this.certificates
      .filter((c) => !c.retiredAt || now - c.retiredAt.getTime() < RETIRED_LISTING_MS)
      .map((c) => c.cert);
  }

  /** Public-key merchants get the `PUB_KEY_ID_…` key; certificate merchants the current certificate. */
  signerFor(merchant: Merchant): PlatformSigner {
    if (merchant.verification === 'public-key') return { serial: this.publicKeyId, key: this.publicKey.privateKey };
    return { serial: this.current.serial, key: this.current.keys.privateKey };
  }
}
