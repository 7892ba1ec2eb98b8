import { createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto';

/** An RSA key pair as node:crypto objects and as the PEM text handed to merchants. */
export interface KeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** PKCS#8 PEM (what Alipay's key tool and WeChat's apiclient_key.pem hold). */
  privatePem: string;
  /** SPKI PEM. */
  publicPem: string;
}

/** The pair of a private key, with both PEM forms. */
export function keyPairOf(privateKey: KeyObject, publicKey: KeyObject = createPublicKey(privateKey)): KeyPair {
  return {
    privateKey,
    publicKey,
    privatePem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
  };
}

/** The pair of a saved PKCS#8 PEM private key. */
export function keyPairFromPem(privatePem: string): KeyPair {
  return keyPairOf(createPrivateKey(privatePem));
}

/** RSA-2048 on the libuv thread pool, so the keys of a start are made in parallel, off the event loop. */
export function newKeyPair(): Promise<KeyPair> {
  return new Promise((resolve, reject) => {
    generateKeyPair('rsa', { modulusLength: 2048 }, (error, publicKey, privateKey) => {
      if (error) reject(error);
      else resolve(keyPairOf(privateKey, publicKey));
    });
  });
}

const startKeys = new Map<string, Promise<KeyPair[]>>();

/**
 * The first `count` start key pairs of simulator `name`, made once per process. RSA-2048
 * generation is nearly all of a sandbox's start (a tenth of a second or more per key, sixteen keys),
 * so a second sandbox in the same process reuses them; each simulator still issues new
 * certificates, serials, ids and API keys around them at every start. Keys that another sandbox of
 * the process must not share (a rotation's) come from {@link newKeyPair} instead.
 */
export function startKeyPairs(name: string, count: number): Promise<KeyPair[]> {
  const cached = startKeys.get(name);
  const made = (cached ?? Promise.resolve([])).then(async (have) => {
    if (have.length >= count) return have;
    const more = await Promise.all(Array.from({ length: count - have.length }, () => newKeyPair()));
    return [...have, ...more];
  });
  startKeys.set(name, made);
  // A failed generation is not cached: the next start tries again.
  made.catch(() => {
    if (startKeys.get(name) === made) startKeys.delete(name);
  });
  return made.then((keys) => keys.slice(0, count));
}
