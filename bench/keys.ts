import { generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';

/**
 * Throwaway key material, generated when the bench starts: no fixture key is reused, and nothing
 * here is ever a merchant's key.
 */

const generate = promisify(generateKeyPair);

/** An RSA-2048 pair as KeyObjects and as the PEM text the peer SDKs take. */
export interface RsaPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
  privatePem: string;
  publicPem: string;
}

export async function rsaPair(): Promise<RsaPair> {
  const { privateKey, publicKey } = await generate('rsa', { modulusLength: 2048 });
  return {
    privateKey,
    publicKey,
    privatePem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
  };
}
