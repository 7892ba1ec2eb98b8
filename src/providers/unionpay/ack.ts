import type { AckOutcome } from '../../spi/provider.js';
import type { CoreResponse } from '../../spi/types.js';

const TEXT = { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' };

/**
 * UnionPay's acknowledgement: HTTP 200 is success whatever the body (demos answer `ok`); any
 * other status makes UnionPay retry. A failure carries a short reason for the gateway's logs.
 */
export function ack(outcome: AckOutcome): CoreResponse {
  if (outcome.ok) return { status: 200, headers: TEXT, body: 'ok' };
  const status = outcome.status >= 400 && outcome.status <= 599 ? outcome.status : 500;
  return { status, headers: TEXT, body: `fail: ${outcome.message.replace(/\s+/g, ' ').slice(0, 200)}` };
}
