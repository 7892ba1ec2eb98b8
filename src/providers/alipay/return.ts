import { RequestError } from '../../errors/index.js';
import type { Fields } from '../../wire/form.js';
import type { ReturnInfo } from '../../spi/provider.js';
import type { CoreRequest } from '../../spi/types.js';
import type { AlipayConfig } from './config.js';
import { mismatchOf } from './fields.js';
import { verifyFields } from './notify.js';

/**
 * The browser's return from the WAP cashier (docs/providers/alipay.md#return): verified under the
 * V1 rule over exactly the query Alipay sent. It only names the trade; paid or not is decided by
 * the store or a query.
 */
export function parseReturn(config: AlipayConfig, req: CoreRequest): ReturnInfo {
  const fields = Object.create(null) as Fields;
  for (const [key, value] of req.query) {
    if (key in fields) throw new RequestError(`the return has "${key}" twice`);
    fields[key] = value;
  }
  if (!fields.out_trade_no)
    throw new RequestError('not an Alipay return: out_trade_no is missing (open this page only through the cashier)');
  verifyFields(config, fields, 'return');
  // The return carries app_id and seller_id like the notify: a missing one is refused too.
  const mismatch = mismatchOf(config, fields);
  if (mismatch?.reason === 'missing')
    throw new RequestError(`the return has no ${mismatch.field}, which Alipay always sends`, 'MERCHANT_MISMATCH');
  if (mismatch)
    throw new RequestError(
      `the return is for ${mismatch.reason} ${mismatch.actual}, not this shop's ${mismatch.expected}`,
      'MERCHANT_MISMATCH',
    );
  return { tradeNo: fields.out_trade_no, hint: 'unknown' };
}
