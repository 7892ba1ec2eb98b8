import { RequestError } from '../../errors/index.js';
import type { Fields } from '../../wire/form.js';
import type { ReturnInfo } from '../../spi/provider.js';
import type { CoreRequest } from '../../spi/types.js';
import type { AlipayConfig } from './config.js';
import { mismatchOf, verifyFields } from './notify.js';

/**
 * The browser's return from the WAP cashier (spec §9): verified under the V1 rule over exactly the
 * query Alipay sent. It only names the trade; paid or not is decided by the store or a query.
 */
export function parseReturn(config: AlipayConfig, req: CoreRequest): ReturnInfo {
  const fields: Fields = Object.create(null);
  for (const [key, value] of req.query) {
    if (key in fields) throw new RequestError(`the return has "${key}" twice`);
    fields[key] = value;
  }
  if (!fields.out_trade_no)
    throw new RequestError('not an Alipay return: out_trade_no is missing (open this page only through the cashier)');
  verifyFields(config, fields, 'return');
  const mismatch = mismatchOf(config, fields);
  if (mismatch)
    throw new RequestError(
      `the return is for ${mismatch.reason} ${mismatch.actual}, not this shop's ${mismatch.expected}`,
      'MERCHANT_MISMATCH',
    );
  return { tradeNo: fields.out_trade_no, hint: 'unknown' };
}
