import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { SignatureError } from '../../../errors/index.js';

/** The `resource` / `encrypt_certificate` envelope of v3 notifications and `/v3/certificates`. */
export interface GcmEnvelope {
  algorithm?: string;
  ciphertext: string;
  nonce: string;
  associated_data?: string;
}

const TAG_BYTES = 16;

/**
 * AEAD_AES_256_GCM with the APIv3 key's 32 bytes as the key, the nonce string as IV and
 * `associated_data` (possibly empty) as AAD; the ciphertext's last 16 bytes are the tag
 * (docs/providers/wechatpay.md#v3-notify-decryption). A failed tag is a hard error that names the most
 * likely cause. `read` says how the envelope's text was decoded from its bytes, so that the nonce
 * and additional data are turned back into exactly the bytes that were sent.
 */
export function decryptGcm(apiV3Key: Buffer, envelope: GcmEnvelope, read: 'utf8' | 'latin1' = 'utf8'): string {
  if (envelope.algorithm !== undefined && envelope.algorithm !== 'AEAD_AES_256_GCM') {
    throw new SignatureError(
      `unsupported resource algorithm ${JSON.stringify(envelope.algorithm)} (expected AEAD_AES_256_GCM)`,
      'DECRYPT_FAILED',
    );
  }
  if (typeof envelope.ciphertext !== 'string' || typeof envelope.nonce !== 'string' || envelope.nonce.length === 0) {
    throw new SignatureError('the encrypted resource lacks ciphertext or nonce', 'DECRYPT_FAILED');
  }
  const data = Buffer.from(envelope.ciphertext, 'base64');
  if (data.length <= TAG_BYTES)
    throw new SignatureError('the encrypted resource is too short to hold a GCM tag', 'DECRYPT_FAILED');
  try {
    const decipher = createDecipheriv('aes-256-gcm', apiV3Key, Buffer.from(envelope.nonce, read));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    decipher.setAAD(Buffer.from(envelope.associated_data ?? '', read));
    return Buffer.concat([decipher.update(data.subarray(0, data.length - TAG_BYTES)), decipher.final()]).toString(
      'utf8',
    );
  } catch {
    throw new SignatureError(
      'the encrypted resource did not authenticate (AES-GCM tag mismatch): v3.apiV3Key is probably wrong ' +
        'or was reset in the merchant platform, or the payload was altered',
      'DECRYPT_FAILED',
    );
  }
}

/** The inverse, for tests and tools: a fresh 12-character nonce unless one is given. */
export function encryptGcm(
  apiV3Key: Buffer,
  plaintext: string,
  associatedData: string,
  nonce = randomBytes(9).toString('base64url').slice(0, 12),
): GcmEnvelope {
  const cipher = createCipheriv('aes-256-gcm', apiV3Key, Buffer.from(nonce, 'utf8'));
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return { algorithm: 'AEAD_AES_256_GCM', ciphertext: body.toString('base64'), nonce, associated_data: associatedData };
}
