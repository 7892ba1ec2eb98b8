import { ackReason, textAck } from '../../spi/ack.js';
import type { AckOutcome } from '../../spi/provider.js';
import type { CoreResponse } from '../../spi/types.js';

/**
 * UnionPay's acknowledgement: HTTP 200 is success whatever the body (demos answer `ok`); any
 * other status makes UnionPay retry. A failure carries a short reason for the gateway's logs.
 */
export function ack(outcome: AckOutcome): CoreResponse {
  if (outcome.ok) return textAck(200, 'ok');
  const status = outcome.status >= 400 && outcome.status <= 599 ? outcome.status : 500;
  return textAck(status, `fail: ${ackReason(outcome.message)}`);
}
