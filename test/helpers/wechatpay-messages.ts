/**
 * WeChat Pay messages as WeChat builds them, written for the tests from WeChat Pay's public
 * documentation with node:crypto only, so a notify built here checks paymount's verification
 * against the documented rules rather than against paymount's own signing code.
 */
import { createCipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import { sortedPairs } from './signing.js';

/**
 * API v3 "证书和回调报文解密": AEAD_AES_256_GCM with the APIv3 key's 32 bytes as the key, a
 * 12-character nonce as the IV, `associated_data` as the AAD, and the 16-byte tag appended to the
 * ciphertext before base64.
 */
export function gcmResource(
  apiV3Key: string,
  plaintext: string,
  associatedData: string,
): { algorithm: 'AEAD_AES_256_GCM'; ciphertext: string; associated_data: string; nonce: string } {
  const nonce = randomBytes(6).toString('hex');
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(apiV3Key, 'utf8'), Buffer.from(nonce, 'utf8'));
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const sealed = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return {
    algorithm: 'AEAD_AES_256_GCM',
    ciphertext: sealed.toString('base64'),
    associated_data: associatedData,
    nonce,
  };
}

/**
 * API v2 "安全规范": the sorted string of the non-empty fields but `sign`, `&key=<API key>`
 * appended, then MD5, or HMAC-SHA256 keyed with the API key, in upper-case hex.
 */
export function v2Signature(
  fields: Readonly<Record<string, string>>,
  apiKey: string,
  type: 'MD5' | 'HMAC-SHA256',
): string {
  const text = `${sortedPairs(fields, ['sign'])}&key=${apiKey}`;
  const hash = type === 'MD5' ? createHash('md5') : createHmac('sha256', apiKey);
  return hash.update(text, 'utf8').digest('hex').toUpperCase();
}

/** An API v2 XML message: `<xml>` with one CDATA element per non-empty field, in the given order. */
export function v2Xml(fields: Readonly<Record<string, string>>): string {
  const elements = Object.entries(fields)
    .filter(([, value]) => value !== '')
    // A CDATA section cannot hold "]]>": close it before ">" and open a new one.
    .map(([name, value]) => `<${name}><![CDATA[${value.replace(/]]>/g, ']]]]><![CDATA[>')}]]></${name}>`);
  return `<xml>${elements.join('')}</xml>`;
}
