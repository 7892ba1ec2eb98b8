import { ProviderError } from '../../../errors/index.js';
import { statementEmpty, statementNotReady } from '../../../wire/statement/errors.js';

/**
 * The file-transfer answer (`txnType=76`) has `respCode=00` when it carries a file. Integrators
 * treat `98` as "no file (yet)": UnionPay does not tell a file not generated yet from a day that
 * has none, so the time of asking decides, as for the other providers: until noon of the day after
 * the clearing day it is "not ready", after that "empty".
 */

const NOON_NEXT_DAY_MS = (24 + 12 - 8) * 3600_000; // from 00:00 UTC of the clearing date

/**
 * The error for a file-transfer answer without a file, or `undefined` when `respCode` is `00`.
 *
 * @param fields - the verified answer's fields (`respCode`, `respMsg`, …).
 * @param timing - the clearing date asked for (`yyyy-MM-dd`) and the time of asking.
 */
export function unionpayStatementUnavailable(
  fields: Readonly<Record<string, string | undefined>>,
  timing?: { settleDate: string; now: Date },
): ProviderError | undefined {
  const code = fields.respCode;
  if (code === '00') return undefined;
  const message = fields.respMsg ?? '';
  if (code === '98') {
    const day = timing && Date.parse(`${timing.settleDate}T00:00:00Z`);
    if (timing && day && timing.now.getTime() >= day + NOON_NEXT_DAY_MS)
      return statementEmpty('unionpay', `no file for clearing day ${timing.settleDate} (98 ${message})`, fields);
    return statementNotReady('unionpay', `the file is not available yet (98 ${message})`, fields);
  }
  return new ProviderError({
    provider: 'unionpay',
    providerCode: code ?? 'NO_RESPCODE',
    message: `file transfer failed: ${message || 'no respMsg'}`,
    raw: fields,
  });
}
