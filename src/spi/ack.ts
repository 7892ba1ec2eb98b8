import type { CoreResponse } from './types.js';

const TEXT = { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' };

/** A plain-text acknowledgement, the form Alipay and UnionPay read. */
export function textAck(status: number, body: string): CoreResponse {
  return { status, headers: { ...TEXT }, body };
}

/**
 * A failure reason as one short line of plain text: it ends up in the provider's logs, so no line
 * breaks and a bounded length.
 */
export function ackReason(message: string, max = 200): string {
  return message.replace(/\s+/g, ' ').trim().slice(0, max);
}
