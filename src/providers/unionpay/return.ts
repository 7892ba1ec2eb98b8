import { RequestError } from '../../errors/index.js';
import type { ReturnInfo } from '../../spi/provider.js';
import type { CoreRequest } from '../../spi/types.js';
import type { UnionpayConfig } from './config.js';
import { SUCCESS, TXN } from './fields.js';
import { configMismatch, required, signedFields } from './notify.js';
import { echoedOrderId } from './reserved.js';
import type { AcpVerifier } from './verify.js';

/**
 * `POST /return/unionpay`: the browser brings the signed result back (front notification). It is
 * verified but never payment proof: success only makes the core query UnionPay (hint `unknown`),
 * any other respCode is a final failure for this attempt (hint `failed`). It names the merchant,
 * the transaction type, the order and the result, each required; `reqReserved` echoes the host's
 * order id.
 */
export function parseReturn(config: UnionpayConfig, verify: AcpVerifier, req: CoreRequest): ReturnInfo {
  if (req.method !== 'POST') {
    throw new RequestError(
      'UnionPay returns the buyer with a form POST of signed fields; a plain GET carries nothing to verify',
    );
  }
  const fields = signedFields(req);
  verify(fields);
  const mismatch = configMismatch(config, fields);
  if (mismatch?.reason === 'missing') throw new RequestError(`this return has no ${mismatch.field}`);
  if (mismatch) {
    throw new RequestError(
      `this return is for UnionPay ${mismatch.field} ${mismatch.actual}, not ${mismatch.expected}`,
    );
  }
  const txnType = required(fields, 'txnType');
  if (txnType !== TXN.consume)
    throw new RequestError(`this return is for UnionPay txnType ${txnType}, not a payment (01)`);
  const tradeNo = required(fields, 'orderId');
  const respCode = required(fields, 'respCode');
  const orderId = echoedOrderId(fields.reqReserved, 'payment');
  return { tradeNo, ...(orderId === undefined ? {} : { orderId }), hint: SUCCESS.has(respCode) ? 'unknown' : 'failed' };
}
