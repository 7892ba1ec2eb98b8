import { ProviderError } from '../../../errors/index.js';
import type { StatementDownloadOptions, StatementKind, StatementRow } from '../../../spi/statement.js';
import { download } from '../../../wire/download.js';
import { httpClient } from '../../../wire/http.js';
import { DEFAULT_MAX_BYTES } from '../../../wire/statement/bytes.js';
import type { AlipayCall } from '../client.js';
import type { AlipayConfig } from '../config.js';
import type { AlipayBillType } from './archive.js';
import { parseAlipayStatement } from './index.js';
import { alipayStatementUnavailable } from './unavailable.js';

/**
 * The daily bill in two steps (Alipay open platform, `alipay.data.dataservice.bill.downloadurl.query`):
 * the gateway method, signed and verified like every call, answers a `bill_download_url` that is
 * valid for 30 seconds; a plain GET of it streams the `<account>_<date>.csv.zip`. The archive is
 * vouched for by the verified answer that named it and by its own totals lines and summary file.
 */

const METHOD = 'alipay.data.dataservice.bill.downloadurl.query';

/** `trade` is the 业务明细 of payments and refunds; `signcustomer` the account ledger (账务明细). */
const BILL_TYPES: Record<StatementKind, AlipayBillType> = { trades: 'trade', funds: 'signcustomer' };

/** The statements Alipay offers. */
export const ALIPAY_STATEMENT_KINDS: readonly StatementKind[] = ['trades', 'funds'];

/** `Provider.statement` of one Alipay configuration. */
export function alipayStatements(config: AlipayConfig, call: AlipayCall, clock: () => Date) {
  let fetchFile: ReturnType<typeof fileDownload> | undefined;
  return async function* statement(
    day: string,
    kind: StatementKind,
    options: StatementDownloadOptions,
  ): AsyncGenerator<StatementRow> {
    const billType = BILL_TYPES[kind];
    let answer;
    try {
      answer = await call(METHOD, { bill_type: billType, bill_date: day });
    } catch (error) {
      const unavailable =
        error instanceof ProviderError &&
        error.provider === 'alipay' &&
        alipayStatementUnavailable(error.subCode, error.raw, { billDate: day, now: clock() });
      throw unavailable ?? error;
    }
    const url = answer.bill_download_url;
    if (typeof url !== 'string' || !/^https?:\/\//i.test(url)) {
      throw new ProviderError({
        provider: 'alipay',
        code: 'RESPONSE_MALFORMED',
        message: `${METHOD}: the answer has no bill_download_url`,
        raw: answer,
      });
    }
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    fetchFile ??= fileDownload(config);
    const file = await fetchFile(url, { maxBytes });
    yield* parseAlipayStatement(file.body, { billType, maxBytes });
  };
}

/** The GET of `bill_download_url`: no signature, the URL's token is the authorisation. */
function fileDownload(config: AlipayConfig) {
  const http = httpClient({ provider: 'alipay', timeoutMs: config.timeoutMs, ca: config.ca });
  return download<string>(
    {
      provider: 'alipay',
      describe: () => 'bill_download_url',
      // Some integrators report the file host refusing clients without a browser-like User-Agent.
      request: (url) => ({ url, method: 'GET', headers: { 'user-agent': 'Mozilla/5.0 (compatible; paymount)' } }),
    },
    http.stream,
  );
}
