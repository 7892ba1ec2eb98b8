import type { StatementDownloadOptions, StatementKind, StatementRow } from '../../../spi/statement.js';
import type { PaymentStore } from '../../../spi/store.js';
import { encodeForm } from '../../../wire/form.js';
import { gateway } from '../../../wire/gateway.js';
import { httpClient, type HttpClient, type HttpTransport } from '../../../wire/http.js';
import { DEFAULT_MAX_BYTES } from '../../../wire/statement/bytes.js';
import { statementInvalid } from '../../../wire/statement/errors.js';
import { beijingCompact } from '../../../wire/time.js';
import { unionpayStages, type AcpRequest } from '../client.js';
import { GATEWAYS, type UnionpayConfig } from '../config.js';
import { acpTime, envelope } from '../fields.js';
import { loadRefund } from '../refunds.js';
import { signRequest } from '../sign.js';
import type { AcpVerifier } from '../verify.js';
import { unionpayFileContent } from './file-content.js';
import { parseUnionpayStatement } from './index.js';
import { unionpayStatementUnavailable } from './unavailable.js';

/**
 * The merchant reconciliation file (ACP 5.1.0 file transfer, "全渠道平台接入接口规范 第5部分 文件接口"):
 * a signed request (`txnType=76`, `txnSubType=01`, `bizType=000000`, `fileType=00`, `settleDate`
 * MMDD) posted to the root of UnionPay's file host, not to the gateway; the signed answer carries
 * the zip in `fileContent` (base64 of a zlib stream). The signature covers `fileContent`, so the
 * answer is read whole (bounded by `maxBytes`) and verified before the zip is opened.
 */

/** UnionPay's file hosts (`acpsdk.fileTransUrl` of its SDKs), by environment. */
export const FILE_HOSTS = {
  production: 'https://filedownload.95516.com/',
  test: 'https://filedownload.test.95516.com/',
} as const;

/** UnionPay offers the transaction file only: no fund-flow statement. */
export const UNIONPAY_STATEMENT_KINDS: readonly StatementKind[] = ['trades'];

/**
 * Where the file transfer goes: the file host of UnionPay's named environments, else the root of
 * the gateway URL (a sandbox serves both).
 */
export function fileTransferUrl(config: UnionpayConfig): string {
  const base = config.endpoints.back.replace(/\/gateway\/api\/backTransReq\.do$/, '');
  if (base === GATEWAYS.production) return FILE_HOSTS.production;
  if (base === GATEWAYS.test) return FILE_HOSTS.test;
  return `${base}/`;
}

/**
 * The clearing day an instant belongs to, `YYYY-MM-DD`: UnionPay's day runs from 23:00 Beijing time
 * the day before to 23:00, so a payment at 23:30 is in the next day's file.
 */
export function unionpayStatementDay(at: Date): string {
  const compact = beijingCompact(new Date(at.getTime() + 3600_000));
  return `${compact.slice(0, 4)}-${compact.slice(4, 6)}-${compact.slice(6, 8)}`;
}

/** `Provider.statement` of one UnionPay configuration. */
export function unionpayStatements(
  config: UnionpayConfig,
  verify: AcpVerifier,
  env: { clock: () => Date; store: PaymentStore },
) {
  let http: HttpTransport | undefined;
  const url = fileTransferUrl(config);
  return async function* statement(
    day: string,
    _kind: StatementKind,
    options: StatementDownloadOptions,
  ): AsyncGenerator<StatementRow> {
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    http ??= httpClient({ provider: 'unionpay', timeoutMs: config.timeoutMs, ca: config.ca });
    const stages = unionpayStages(config, verify);
    const call = gateway<AcpRequest, Record<string, string>>(
      {
        ...stages,
        request: async (c) => ({
          url,
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8' },
          body: encodeForm(await signRequest(c.fields, config.signingKey)),
        }),
        identity: (answer, c) =>
          stages.identity?.(answer, c) ??
          (answer.settleDate !== undefined && answer.settleDate !== c.fields.settleDate
            ? `the answer is the file of ${answer.settleDate}, not ${c.fields.settleDate}`
            : undefined),
      },
      held(http, maxBytes),
    );
    const settleDate = day.slice(5, 7) + day.slice(8, 10);
    const answer = await call({
      endpoint: 'back',
      what: 'file transfer (76)',
      fields: {
        ...envelope(config),
        txnType: '76',
        txnSubType: '01',
        bizType: '000000',
        settleDate,
        txnTime: acpTime(env.clock()),
        fileType: '00',
      },
      // 98: no file (yet); signed, it answers the call rather than failing it.
      accept: NO_FILE,
    });
    const unavailable = unionpayStatementUnavailable(answer, { settleDate: day, now: env.clock() });
    if (unavailable) throw unavailable;
    if (!answer.fileContent) throw statementInvalid('unionpay', 'the file transfer answer has no fileContent');
    for await (const row of parseUnionpayStatement(unionpayFileContent(answer.fileContent), {
      settleDate: day,
      maxBytes,
    }))
      yield row.kind === 'refund' ? await withHostRefundId(env.store, row) : row;
  };
}

const NO_FILE: ReadonlySet<string> = new Set(['98']);

/**
 * A refund paymount made went out under an `orderId` of its own (`refunds.ts`); the file names
 * that one. The host knows the refund by its own refund id: put that in the row when the store
 * remembers the refund. A refund made elsewhere (the merchant service platform) keeps the file's.
 */
async function withHostRefundId(store: PaymentStore, row: StatementRow): Promise<StatementRow> {
  if (!row.refundId) return row;
  const record = await loadRefund(store, row.refundId);
  return record ? { ...row, refundId: record.refundId } : row;
}

/** The answer read whole, as its signature needs, but streamed in and bounded by `maxBytes`. */
function held(http: HttpTransport, maxBytes: number): HttpClient {
  return async (req) => {
    const res = await http.stream(req, { maxBytes });
    const chunks: Buffer[] = [];
    for await (const chunk of res.body) chunks.push(chunk);
    return { status: res.status, headers: res.headers, body: Buffer.concat(chunks) };
  };
}
