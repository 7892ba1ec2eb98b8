import type { KeyObject } from 'node:crypto';
import { RequestError } from '../../../errors/index.js';
import type { ProviderEvent } from '../../../spi/provider.js';
import type { V3Config, WechatpayConfig } from '../config.js';
import { decryptGcm, type GcmEnvelope } from './aes.js';
import { echoedOrderId, idMismatch } from '../fields.js';
import { refundStatus } from '../operations.js';
import { fenOf, transactionResult } from './operations.js';
import { signedHeaders, verifyBody, type KeyLookup, type SignedHeaders } from './verify.js';

type Json = Record<string, unknown>;

function jsonObject(text: string, what: string): Json {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new RequestError(`${what} is not valid JSON`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw new RequestError(`${what} is not a JSON object`);
  return value as Json;
}

/**
 * A v3 notification, in the documented order (docs/providers/wechatpay.md#v3-notify-decryption):
 * verify the headers over the raw bytes first, then parse, then decrypt the resource with the APIv3
 * key, then translate. Payment and refund events are told apart by their content, so a shared
 * notify URL still works.
 *
 * The result is a promise only when the key must be looked up (a platform certificate not loaded
 * yet): a notification signed with a key at hand is read without one, since each promise level
 * between the route and this code costs about 5 % of a notification's CPU time
 * (docs/providers/wechatpay.md#v3-notify-decryption). The caller is async, so a throw here still rejects.
 */
export function parseV3Notify(
  config: WechatpayConfig,
  v3: V3Config,
  message: { headers: Record<string, string>; body: Buffer },
  lookup: KeyLookup,
  clock: () => Date,
): ProviderEvent | Promise<ProviderEvent> {
  if (message.body.length === 0) throw new RequestError('empty notification body');
  const signed = signedHeaders(message.headers, clock);
  const key = lookup.known?.(signed.serial);
  if (key) return readV3Notify(config, v3, signed, key, message.body, clock);
  return lookup(signed.serial).then((found) => readV3Notify(config, v3, signed, found, message.body, clock));
}

/** {@link parseV3Notify} once the key for the serial is found (`undefined`: none is known). */
function readV3Notify(
  config: WechatpayConfig,
  v3: V3Config,
  signed: SignedHeaders,
  key: KeyObject | undefined,
  body: Buffer,
  clock: () => Date,
): ProviderEvent {
  verifyBody(key, signed, body);
  // One byte per character: the same JSON is accepted as in UTF-8 (its syntax is ASCII, and no byte of
  // a multi-byte UTF-8 character is), and the fields read here are ASCII, at half the cost of a
  // UTF-8 read of a body with Chinese text (docs/providers/wechatpay.md#v3-notify-decryption).
  const envelope = jsonObject(body.toString('latin1'), 'the notification');
  const resource = envelope.resource as GcmEnvelope | undefined;
  if (!resource || typeof resource !== 'object') throw new RequestError('the notification has no resource to decrypt');
  const eventType = typeof envelope.event_type === 'string' ? envelope.event_type : '';
  const data = jsonObject(decryptGcm(v3.apiV3Key, resource, 'latin1'), 'the decrypted resource');
  const originalType = (resource as { original_type?: unknown }).original_type;

  if (originalType === 'refund' || eventType.startsWith('REFUND.')) return refundEvent(config, data);
  if (originalType !== undefined && originalType !== 'transaction' && !eventType.startsWith('TRANSACTION.')) {
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- original_type as WeChat Pay sent it
    return { type: 'ignored', reason: `unhandled event ${eventType || String(originalType)}`, raw: data };
  }
  return paymentEvent(config, data, clock);
}

/**
 * A decrypted transaction: its number and state are required to read it at all; its ids, amount
 * and times to pay (`transactionResult` reports those missing as a mismatch). `attach` echoes the
 * host's order id.
 */
function paymentEvent(config: WechatpayConfig, tx: Json, clock: () => Date): ProviderEvent {
  const tradeNo = tx.out_trade_no;
  if (typeof tradeNo !== 'string' || tradeNo === '') throw new RequestError('the transaction has no out_trade_no');
  const state = tx.trade_state;
  if (typeof state !== 'string' || state === '') throw new RequestError('the transaction has no trade_state');
  // WeChat's trade types are upper-case words (JSAPI, NATIVE, APP, MWEB…): another value is not
  // read as "no channel" (docs/providers/wechatpay.md#notify).
  if (tx.trade_type !== undefined && (typeof tx.trade_type !== 'string' || !/^[A-Z_]+$/.test(tx.trade_type)))
    throw new RequestError(`trade_type ${JSON.stringify(tx.trade_type)} is not a WeChat Pay trade type`);
  const result = transactionResult(config, tradeNo, tx);
  const orderId = echoedOrderId(tx);
  switch (result.status) {
    case 'paid': {
      // A number here would already have lost digits (28-digit ids): only a string is trusted.
      if (typeof tx.transaction_id !== 'string' || !/^\d{1,64}$/.test(tx.transaction_id))
        throw new RequestError('transaction_id must be a string of digits');
      const amount = fenOf((tx.amount as Json | undefined)?.total);
      if (amount === undefined) throw new RequestError('amount.total is missing or not an integer of fen');
      return {
        type: 'paid',
        tradeNo,
        orderId,
        transactionId: tx.transaction_id,
        amount,
        paidAt: result.paidAt ?? clock(),
        channel: result.channel,
        payer: result.payer,
        raw: tx,
        mismatch: result.mismatch,
      };
    }
    case 'closed':
      return {
        type: 'closed',
        tradeNo,
        orderId,
        transactionId: typeof tx.transaction_id === 'string' ? tx.transaction_id : undefined,
        reason: state,
        raw: tx,
        mismatch: result.mismatch,
      };
    default:
      return { type: 'ignored', reason: `trade_state ${state}`, raw: tx };
  }
}

/** A decrypted refund: its numbers, state and amount are required; `mchid` too (a mismatch when absent). */
function refundEvent(config: WechatpayConfig, r: Json): ProviderEvent {
  const tradeNo = r.out_trade_no;
  const refundId = r.out_refund_no;
  if (typeof tradeNo !== 'string' || typeof refundId !== 'string')
    throw new RequestError('the refund has no out_trade_no or out_refund_no');
  const amount = fenOf((r.amount as Json | undefined)?.refund);
  if (amount === undefined) throw new RequestError('amount.refund is missing or not an integer of fen');
  // The notify names the state refund_status; the API object calls it status.
  const state = r.refund_status ?? r.status;
  if (typeof state !== 'string' || state === '') throw new RequestError('the refund has no refund_status');
  return {
    type: 'refunded',
    tradeNo,
    refundId,
    providerRefundId: typeof r.refund_id === 'string' ? r.refund_id : undefined,
    amount,
    status: refundStatus(state),
    raw: r,
    mismatch: idMismatch(config, r, { mch: 'mchid' }),
  };
}
