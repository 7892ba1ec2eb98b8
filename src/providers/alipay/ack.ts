import type { AckOutcome } from '../../spi/provider.js';
import type { CoreResponse } from '../../spi/types.js';
import { textAck } from '../../spi/ack.js';

/**
 * The acknowledgement Alipay reads (spec §8.5): exactly `success`, or anything else to be sent the
 * notify again. `fail` carries no reason: Alipay keeps none, and the status tells the host's logs.
 */
export function ack(outcome: AckOutcome): CoreResponse {
  return outcome.ok ? textAck(200, 'success') : textAck(outcome.status, 'fail');
}
