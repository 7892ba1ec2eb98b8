import { createPrivateKey, createPublicKey, generateKeyPair, randomBytes, type KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

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
/** The start keys made or read so far, by simulator, as the key cache saves them. */
const madeKeys = new Map<string, string[]>();
let cacheFile: string | undefined;

/** Where {@link useKeyCache} keeps keys by default: the project's `node_modules/.cache`, when there is one. */
export function defaultKeyCache(): string | undefined {
  const modules = resolve('node_modules');
  return existsSync(modules) ? join(modules, '.cache', 'paymount-sandbox') : undefined;
}

function readCachedKey(pem: unknown): KeyPair | undefined {
  if (typeof pem !== 'string') return undefined;
  try {
    const pair = keyPairFromPem(pem);
    const details = pair.privateKey.asymmetricKeyDetails;
    return pair.privateKey.asymmetricKeyType === 'rsa' && details?.modulusLength === 2048 ? pair : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Keeps the start keys in `dir/keys.json` (0600) for the next processes, and reads the ones an
 * earlier process left: RSA-2048 generation is nearly all of a cold start. Only keys are kept;
 * certificates, serials, ids and API keys are still new at every start. A file this version cannot
 * read is ignored and rewritten. Without a directory nothing is read or written.
 */
export async function useKeyCache(dir: string | undefined): Promise<void> {
  if (dir === undefined) return;
  cacheFile = join(resolve(dir), 'keys.json');
  let saved: unknown;
  try {
    saved = JSON.parse(await readFile(cacheFile, 'utf8'));
  } catch {
    return;
  }
  const keys = (saved as { format?: unknown; keys?: unknown } | null)?.keys;
  if ((saved as { format?: unknown }).format !== 1 || typeof keys !== 'object' || keys === null) return;
  for (const [name, pems] of Object.entries(keys as Record<string, unknown>)) {
    if (startKeys.has(name) || !Array.isArray(pems)) continue;
    const pairs = pems.map(readCachedKey);
    if (pairs.length === 0 || pairs.some((pair) => pair === undefined)) continue;
    startKeys.set(name, Promise.resolve(pairs as KeyPair[]));
    madeKeys.set(name, pems as string[]);
  }
}

/** Best effort: a cache that cannot be written costs the next process its keys, nothing more. */
async function saveKeyCache(): Promise<void> {
  const file = cacheFile;
  if (file === undefined) return;
  try {
    await mkdir(join(file, '..'), { recursive: true, mode: 0o700 });
    const aside = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
    const body = {
      note: 'RSA keys reused by paymount sandboxes started in this project; delete at will.',
      format: 1,
      keys: Object.fromEntries(madeKeys),
    };
    await writeFile(aside, JSON.stringify(body), { mode: 0o600 });
    await rename(aside, file);
  } catch {
    // Read-only node_modules, a full disk: the keys of this process stay in memory.
  }
}

/**
 * The first `count` start key pairs of simulator `name`, made once per process (or read from the
 * key cache, see {@link useKeyCache}). RSA-2048 generation is nearly all of a sandbox's start (a
 * tenth of a second or more per key, sixteen keys), so a second sandbox reuses them; each
 * simulator still issues new certificates, serials, ids and API keys around them at every start.
 * Keys that another sandbox must not share (a rotation's) come from {@link newKeyPair} instead.
 */
export function startKeyPairs(name: string, count: number): Promise<KeyPair[]> {
  const cached = startKeys.get(name);
  const made = (cached ?? Promise.resolve([])).then(async (have) => {
    if (have.length >= count) return have;
    const more = await Promise.all(Array.from({ length: count - have.length }, () => newKeyPair()));
    const all = [...have, ...more];
    madeKeys.set(
      name,
      all.map((pair) => pair.privatePem),
    );
    await saveKeyCache();
    return all;
  });
  startKeys.set(name, made);
  // A failed generation is not cached: the next start tries again.
  made.catch(() => {
    if (startKeys.get(name) === made) startKeys.delete(name);
  });
  return made.then((keys) => keys.slice(0, count));
}
