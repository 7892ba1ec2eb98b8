import { randomBytes } from 'node:crypto';
import { compact } from '../wire/fields.js';
import { encodeFormJava } from '../wire/form.js';
import { yuan } from '../wire/money.js';
import { beijingCompact, beijingDateTime } from '../wire/time.js';
import type { SimulatorContext } from '../types.js';
import type { Signer } from './response.js';
import { signV1 } from './sign.js';
import type { Trade, TradeEvent } from './trades.js';

/**
 * Asynchronous notifications (Alipay "异步通知说明"): form-urlencoded with spaces as `+`,
 * Alipay's malformed Content-Type, V1-signed, the same `notify_id` on every retry, retried on
 * Alipay's schedule until the merchant answers exactly `success`.
 */

const MINUTE = 60_000;
/** 4m, 10m, 10m, 1h, 2h, 6h, 15h (Alipay "异步通知说明"), in ms of provider time. */
export const NOTIFY_SCHEDULE: readonly number[] = [
  4 * MINUTE,
  10 * MINUTE,
  10 * MINUTE,
  60 * MINUTE,
  120 * MINUTE,
  360 * MINUTE,
  900 * MINUTE,
];

/** What Alipay has been seen to send; strict body parsers leave such a body unparsed. */
export const NOTIFY_CONTENT_TYPE = 'application/x-www-form-urlencoded; text/html; charset=UTF-8';

const time = (date: Date | undefined) => (date ? beijingDateTime(date) : undefined);

/** The fields of one notification, before signing. */
export function notifyFields(event: TradeEvent, now: Date, notifyId: string): Record<string, string> {
  const trade: Trade = event.trade;
  const paid = trade.paidAt !== undefined;
  const moved = event.kind === 'refund' ? event.refund.fen : trade.totalFen;
  const status =
    event.kind === 'payment'
      ? 'TRADE_SUCCESS'
      : event.kind === 'finish'
        ? 'TRADE_FINISHED'
        : event.kind === 'close'
          ? 'TRADE_CLOSED'
          : trade.refundedFen === trade.totalFen
            ? 'TRADE_CLOSED'
            : 'TRADE_SUCCESS';
  return compact({
    notify_time: beijingDateTime(now),
    notify_type: 'trade_status_sync',
    notify_id: notifyId,
    app_id: trade.appId,
    auth_app_id: trade.appId,
    charset: 'utf-8',
    version: '1.0',
    trade_no: trade.tradeNo,
    out_trade_no: trade.outTradeNo,
    buyer_id: trade.buyerId,
    buyer_logon_id: trade.buyerLogonId,
    seller_id: trade.sellerId,
    seller_email: 'sandbox-seller@paymount.test',
    trade_status: status,
    total_amount: yuan(trade.totalFen),
    receipt_amount: paid ? yuan(trade.totalFen) : undefined,
    invoice_amount: paid ? yuan(trade.totalFen) : undefined,
    buyer_pay_amount: paid ? yuan(trade.totalFen) : undefined,
    point_amount: paid ? '0.00' : undefined,
    refund_fee: event.kind === 'refund' ? yuan(trade.refundedFen) : undefined,
    out_biz_no: event.kind === 'refund' ? event.refund.outRequestNo : undefined,
    subject: trade.subject,
    body: trade.body,
    gmt_create: time(trade.createdAt),
    gmt_payment: time(trade.paidAt),
    gmt_refund: event.kind === 'refund' ? time(event.refund.at) : undefined,
    gmt_close: status === 'TRADE_CLOSED' || status === 'TRADE_FINISHED' ? time(trade.closedAt) : undefined,
    // camelCase keys in notifies, unlike the query API.
    fund_bill_list: paid ? JSON.stringify([{ amount: yuan(moved), fundChannel: 'ALIPAYACCOUNT' }]) : undefined,
    // Echoed exactly as the merchant sent it (already percent-encoded by the merchant).
    passback_params: trade.passbackParams,
  });
}

/** Sends the notifications of trade events; `drain()` waits until each is handed to the notifier. */
export function createNotifySender(ctx: SimulatorContext, signerOf: (trade: Trade) => Signer) {
  const pending = new Set<Promise<void>>();

  async function send(event: TradeEvent): Promise<void> {
    // eslint-disable-next-line @typescript-eslint/prefer-nullish-coalescing -- an empty notify_url counts as none
    const url = (event.kind === 'refund' && event.refund.notifyUrl) || event.trade.notifyUrl;
    if (!url) return;
    const now = ctx.clock();
    const notifyId = `${beijingCompact(now)}${randomBytes(12).toString('hex')}`;
    const signed = await signV1(notifyFields(event, now, notifyId), signerOf(event.trade).key);
    ctx.notifier.deliver({
      provider: 'alipay',
      kind: event.kind,
      orderId: event.trade.outTradeNo,
      url,
      headers: { 'content-type': NOTIFY_CONTENT_TYPE, 'user-agent': 'Mozilla/4.0' },
      body: encodeFormJava(signed),
      schedule: NOTIFY_SCHEDULE,
      isAck: (status, body) => status === 200 && body === 'success',
    });
  }

  return {
    /** Starts sending; errors are kept off the request that caused the event. */
    emit(event: TradeEvent): void {
      const done: Promise<void> = send(event)
        .catch(() => undefined)
        .finally(() => pending.delete(done));
      pending.add(done);
    },
    /** Resolves once every notification emitted so far has been scheduled for delivery. */
    async drain(): Promise<void> {
      await Promise.all([...pending]);
    },
  };
}
