import { RequestError } from '../../errors/index.js';
import type { Fields } from '../../wire/form.js';
import { yuanToFen } from '../../wire/money.js';
import { parseBeijing } from '../../wire/time.js';
import { missingField, type ProviderMismatch } from '../../spi/provider.js';
import type { AlipayConfig } from './config.js';

/**
 * The fields of Alipay's signed messages that paymount checks or reports, read strictly. Alipay
 * signs the sorted `k=v&k=v` string of raw values, so moving a field into its neighbour's value
 * (`seller_email=a@b.c&seller_id=2088…` as one `seller_email`) keeps the signature valid: a field
 * Alipay always sends is therefore required, and a value paymount reads must have its documented
 * form, never `…&k=v` (docs/providers/alipay.md#merchant-checks, docs/after-payment.md).
 */

/** `passback_params` as paymount writes it: `encodeURIComponent(order.id)`, nothing else. */
const URI_COMPONENT = /^[A-Za-z0-9\-_.!~*'()%]+$/;
/** `buyer_id` is a 16-digit `2088…` user id; newer apps get an alphanumeric `buyer_open_id`. */
const BUYER_ID = /^2088\d{12}$/;
const OPEN_ID = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * Checks that a verified notify or return is for this app and seller: `app_id` always, `seller_id`
 * when `sellerId` is configured; a missing one is a mismatch like a different one.
 */
export function mismatchOf(config: AlipayConfig, fields: Fields): ProviderMismatch | undefined {
  if (!fields.app_id) return missingField('app_id', config.appId);
  if (fields.app_id !== config.appId)
    return { reason: 'app', field: 'app_id', expected: config.appId, actual: fields.app_id };
  if (config.sellerId) {
    if (!fields.seller_id) return missingField('seller_id', config.sellerId);
    if (fields.seller_id !== config.sellerId)
      return { reason: 'merchant', field: 'seller_id', expected: config.sellerId, actual: fields.seller_id };
  }
  return undefined;
}

/**
 * The host's order id that checkout put in `passback_params` (Alipay echoes it still URL-encoded),
 * or `undefined` for a trade checked out without one. Anything but an encoded component is refused.
 */
export function echoedOrderId(fields: Fields): string | undefined {
  const value = fields.passback_params;
  if (!value) return undefined;
  if (!URI_COMPONENT.test(value)) throw notOurPassback(value);
  try {
    return decodeURIComponent(value);
  } catch {
    throw notOurPassback(value);
  }
}

const notOurPassback = (value: string) =>
  new RequestError(`passback_params ${JSON.stringify(value.slice(0, 80))} is not the order id paymount sent`);

/** An amount in yuan, as fen; a malformed one is refused. */
export function amountOf(fields: Fields, name: string): number {
  const fen = yuanToFen(fields[name] ?? '');
  if (fen === undefined) throw new RequestError(`${name} "${fields[name] ?? ''}" is not an amount in yuan`);
  return fen;
}

/** A Beijing time (`yyyy-MM-dd HH:mm:ss`); a malformed one is refused. */
export function timeOf(fields: Fields, name: string): Date {
  const date = parseBeijing(fields[name] ?? '');
  if (!date) throw new RequestError(`${name} "${fields[name] ?? ''}" is not a time yyyy-MM-dd HH:mm:ss`);
  return date;
}

/** The buyer: `buyer_id` or, for newer apps, `buyer_open_id`; `undefined` when neither is there. */
export function payerOf(fields: Fields): string | undefined {
  if (fields.buyer_id) {
    if (!BUYER_ID.test(fields.buyer_id)) throw new RequestError(`buyer_id "${fields.buyer_id}" is not a 2088… id`);
    return fields.buyer_id;
  }
  if (fields.buyer_open_id) {
    if (!OPEN_ID.test(fields.buyer_open_id))
      throw new RequestError(`buyer_open_id "${fields.buyer_open_id}" is not an Alipay open id`);
    return fields.buyer_open_id;
  }
  return undefined;
}

/** The first of `names` a paid notify lacks, as a mismatch: Alipay sends each with every paid trade. */
export function missingFrom(fields: Fields, names: Record<string, string>): ProviderMismatch | undefined {
  for (const [name, expected] of Object.entries(names)) if (!fields[name]) return missingField(name, expected);
  return undefined;
}
