import type { X509Certificate } from 'node:crypto';

/** The company name UnionPay's signing certificates carry in slot [2] of their CN. */
export const UNIONPAY_NAME = '中国银联股份有限公司';
/** What the pre-2020 *test* signing certificates carried in that slot instead. */
const TEST_SIGN_SLOT = '00040000:SIGN';

/**
 * UnionPay's CN rule, exactly as the official SDKs apply it (spec §4.4): split the subject CN on
 * `@`, take element [2]. Production accepts only UnionPay's company name; the test environment's
 * rule (`ifValidateCNName=false`) also accepts `00040000:SIGN`. Fewer than three parts fail.
 */
export function unionpayCnOk(cert: X509Certificate, production: boolean): boolean {
  const cn = commonName(cert);
  if (cn === undefined) return false;
  const slot = cn.split('@')[2];
  if (slot === undefined) return false;
  return slot === UNIONPAY_NAME || (!production && slot === TEST_SIGN_SLOT);
}

/** The subject CN as UTF-8 text (`toLegacyObject` decodes UTF8String attributes). */
export function commonName(cert: X509Certificate): string | undefined {
  const cn = (cert.toLegacyObject().subject as unknown as Record<string, string | string[] | undefined>).CN;
  return Array.isArray(cn) ? cn[cn.length - 1] : cn;
}
