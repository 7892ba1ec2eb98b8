import { RequestError } from '../../errors/index.js';

/**
 * `reqReserved`, which UnionPay echoes signed in the notifies, returns and queries of the
 * transaction that carried it (≤ 1024 bytes, no `& = { } [ ]`: docs/providers/unionpay.md#limits).
 * paymount writes two forms:
 *
 * - a payment: `order:<host order id, URL-encoded>`, so that a trade number leads back to its
 *   order when the store has forgotten it (a derived `P…` number says nothing of its order);
 * - a refund or cancel: `<payment orderId>|<refundId>`, followed by `;order:<host order id,
 *   URL-encoded>` when it fits.
 *
 * The payment's orderId is alphanumeric, a refund id holds no `;` or `:`, and an encoded component
 * holds none of `& = { } [ ] ; : |`, so each part reads back unambiguously.
 */

const MAX_BYTES = 1024;
const ORDER = 'order:';
const REFUND_SEPARATOR = `;${ORDER}`;
/** What `encodeURIComponent` produces. */
const COMPONENT = /^[A-Za-z0-9\-_.!~*'()%]+$/;

const fits = (value: string) => Buffer.byteLength(value, 'utf8') <= MAX_BYTES;

/** `reqReserved` of a payment: the host's order id, or `undefined` when it does not fit. */
export function paymentReserved(orderId: string): string | undefined {
  const value = `${ORDER}${encodeURIComponent(orderId)}`;
  return fits(value) ? value : undefined;
}

/** `reqReserved` of a refund or cancel: the payment's orderId and the host's refundId (and order id when it fits). */
export function reqReservedOf(tradeNo: string, refundId: string, orderId?: string): string {
  const base = `${tradeNo}|${refundId}`;
  if (orderId === undefined) return base;
  const full = `${base}${REFUND_SEPARATOR}${encodeURIComponent(orderId)}`;
  return fits(full) ? full : base;
}

/** The refund part of a refund's `reqReserved`: the payment's orderId and the host's refundId. */
export function parseReqReserved(value: string | undefined): { orderId: string; refundId: string } | undefined {
  if (!value) return undefined;
  const end = value.indexOf(REFUND_SEPARATOR);
  const head = end < 0 ? value : value.slice(0, end);
  const bar = head.indexOf('|');
  if (bar <= 0 || bar === head.length - 1) return undefined;
  const orderId = head.slice(0, bar);
  return /^[0-9A-Za-z]+$/.test(orderId) ? { orderId, refundId: head.slice(bar + 1) } : undefined;
}

/**
 * The host's order id a verified message echoes in `reqReserved`, or `undefined` when it carries
 * none (a checkout made before paymount sent it). A value in neither of paymount's forms — one
 * with another field folded into it, say — is refused.
 */
export function echoedOrderId(value: string | undefined, kind: 'payment' | 'refund'): string | undefined {
  if (!value) return undefined;
  const refused = () => new RequestError(`reqReserved ${JSON.stringify(value.slice(0, 80))} is not what paymount sent`);
  let encoded: string;
  if (kind === 'payment') {
    if (!value.startsWith(ORDER)) throw refused();
    encoded = value.slice(ORDER.length);
  } else {
    const at = value.indexOf(REFUND_SEPARATOR);
    if (at < 0) return undefined;
    encoded = value.slice(at + REFUND_SEPARATOR.length);
  }
  if (!COMPONENT.test(encoded)) throw refused();
  try {
    return decodeURIComponent(encoded);
  } catch {
    throw refused();
  }
}
