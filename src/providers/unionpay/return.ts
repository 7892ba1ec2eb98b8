import { RequestError } from '../../errors/index.js';
import type { ReturnInfo } from '../../spi/provider.js';
import type { CoreRequest } from '../../spi/types.js';
import type { UnionpayConfig } from './config.js';
import { SUCCESS, TXN } from './fields.js';
import { configMismatch, signedFields } from './notify.js';
import type { AcpVerifier } from './verify.js';

/**
 * `POST /return/unionpay`: the browser brings the signed result back (front notification). It is
 * verified but never payment proof: success only makes the core query UnionPay (hint `unknown`),
 * any other respCode is a final failure for this attempt (hint `failed`).
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
  if (mismatch) {
    throw new RequestError(`this return is for UnionPay merchant ${mismatch.actual}, not ${mismatch.expected}`);
  }
  if (fields.txnType !== TXN.consume)
    throw new RequestError(`this return is for UnionPay txnType ${fields.txnType ?? '(none)'}, not a payment (01)`);
  const tradeNo = fields.orderId;
  if (!tradeNo) throw new RequestError('verified UnionPay return lacks orderId');
  return { tradeNo, hint: SUCCESS.has(fields.respCode ?? '') ? 'unknown' : 'failed' };
}
