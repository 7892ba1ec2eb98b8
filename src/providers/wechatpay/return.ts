import { RequestError } from '../../errors/index.js';
import type { ReturnInfo } from '../../spi/provider.js';
import type { CoreRequest } from '../../spi/types.js';
import { checkTradeNo } from './checkout.js';

/**
 * WeChat's return (`redirect_url`) is unsigned and fires whether the buyer paid or cancelled, so
 * it only names the trade (from the query string paymount built, see `withRedirect`) and the core
 * asks WeChat.
 */
export function parseWechatReturn(req: CoreRequest): ReturnInfo {
  const tradeNo = req.query.get('orderId');
  if (!tradeNo)
    throw new RequestError(
      'the return URL has no orderId (paymount builds redirect_url as /return/wechatpay?orderId=…)',
    );
  const problem = checkTradeNo(tradeNo);
  if (problem) throw new RequestError(`orderId in the return URL is not a WeChat Pay trade number: ${problem}`);
  return { tradeNo, hint: 'unknown' };
}
