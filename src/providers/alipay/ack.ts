import type { AckOutcome } from '../../spi/provider.js';
import type { CoreResponse } from '../../spi/types.js';
import { textAck } from '../../spi/ack.js';

/**
 * The acknowledgement Alipay reads: exactly `success`; any other answer has the notify sent again.
 * The refusal is a bare `fail`: Alipay keeps no reason, and the core has already logged it.
 */
export function ack(outcome: AckOutcome): CoreResponse {
  return outcome.ok ? textAck(200, 'success') : textAck(outcome.status, 'fail');
}
