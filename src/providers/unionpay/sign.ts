import { createHash, type KeyObject } from 'node:crypto';
import { canonicalString } from '../../wire/canonical.js';
import { rsaSign } from '../../wire/rsa.js';

/** Fields of an ACP message: a flat map of strings. */
export type AcpFields = Record<string, string>;

/**
 * The string ACP 5.1.0 signs (docs/providers/unionpay.md#signing): every field but `signature`, sorted
 * by key, raw values joined with `&`, blank values left out. `signPubKeyCert` is included as received,
 * CR LF and all.
 */
export function signingString(fields: Readonly<AcpFields>): string {
  return canonicalString(fields, ['signature']);
}

/** Lowercase hex SHA-256 of the UTF-8 string: this hex *text* is what the RSA signature covers. */
export function signingDigest(fields: Readonly<AcpFields>): string {
  return createHash('sha256').update(signingString(fields), 'utf8').digest('hex');
}

/**
 * Signs a request (signMethod 01): SHA256withRSA over the ASCII of the SHA-256 hex digest. Runs
 * on the thread pool. Values with leading or trailing spaces are refused rather than trimmed,
 * because UnionPay's own SDK trims before signing and would then disagree with what is sent.
 */
export async function signRequest(fields: AcpFields, key: KeyObject): Promise<AcpFields> {
  const sent = sendable(fields);
  return { ...sent, signature: await rsaSign(key, signingDigest(sent), 'sha256') };
}

/** Drops empty fields (the signed set and the sent set must be the same) and refuses padded values. */
function sendable(fields: AcpFields): AcpFields {
  const out: AcpFields = {};
  for (const [k, v] of Object.entries(fields)) {
    if (k === 'signature' || v === undefined || v === '') continue;
    if (v.trim() !== v)
      throw new TypeError(
        `UnionPay field ${k} has leading or trailing whitespace, which UnionPay would trim before verifying`,
      );
    out[k] = v;
  }
  return out;
}
