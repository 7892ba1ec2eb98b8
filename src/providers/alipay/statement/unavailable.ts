import type { ProviderError } from '../../../errors/index.js';
import { statementEmpty, statementNotReady } from '../../../wire/statement/errors.js';

/**
 * `alipay.data.dataservice.bill.downloadurl.query` answers `40004` / `isp.bill_not_exist` both
 * before the day's bill is generated (normally before 09:00 the next day, sometimes later) and for
 * a day with no business. The two are told apart by the time of asking: until noon of the next day
 * it is "not ready", after that "empty". (Newer answers may instead succeed with
 * `bill_file_code=EMPTY_DATA_WITH_BILL_FILE` and a file with no rows, which parses to no rows.)
 */

const NOON_NEXT_DAY_MS = (24 + 12 - 8) * 3600_000; // from 00:00 UTC of the bill date

/**
 * The statement error for a failed download-URL query, or `undefined` when the failure is not about
 * the bill's availability (the caller keeps its own error then).
 *
 * @param subCode - the answer's `sub_code` (some answers drop the `isp.` prefix).
 * @param timing - the bill date asked for (`yyyy-MM-dd`) and the time of asking; without it the
 *   answer is taken as "not ready".
 */
export function alipayStatementUnavailable(
  subCode: string | undefined,
  raw?: unknown,
  timing?: { billDate: string; now: Date },
): ProviderError | undefined {
  if (!subCode || !/(^|\.)bill_not_exist$/i.test(subCode)) return undefined;
  const day = timing && Date.parse(`${timing.billDate}T00:00:00Z`);
  if (timing && day && timing.now.getTime() >= day + NOON_NEXT_DAY_MS)
    return statementEmpty('alipay', `no bill exists for ${timing.billDate}: there was no business that day`, raw);
  return statementNotReady('alipay', 'the bill is not generated yet (Alipay generates it the next morning)', raw);
}
