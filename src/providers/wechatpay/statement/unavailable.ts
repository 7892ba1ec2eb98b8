import type { ProviderError } from '../../../errors/index.js';
import { statementEmpty, statementNotReady } from '../../../wire/statement/errors.js';

/**
 * v3 `GET /v3/bill/tradebill` and `/v3/bill/fundflowbill` answer HTTP 400 with
 * `{"code":"NO_STATEMENT_EXIST"}` for a day with no business and `STATEMENT_CREATING` while the
 * bill is generated (trade bills from 08:00 the next day, fund-flow bills from 10:00).
 * WeChat Pay documentation: https://pay.weixin.qq.com/docs/merchant/apis/bill-download/trade-bill/get-trade-bill.html
 */

/**
 * The statement error for a v3 bill request's error code, or `undefined` for any other code (the
 * caller keeps its own error then).
 */
export function wechatpayStatementUnavailable(code: string | undefined, raw?: unknown): ProviderError | undefined {
  if (code === 'NO_STATEMENT_EXIST')
    return statementEmpty('wechatpay', 'no bill for that day (NO_STATEMENT_EXIST)', raw);
  if (code === 'STATEMENT_CREATING')
    return statementNotReady('wechatpay', 'the bill is still being generated (STATEMENT_CREATING)', raw);
  return undefined;
}
