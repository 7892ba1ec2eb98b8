import { randomBytes } from 'node:crypto';
import { beijingCompact } from '../wire/time.js';
import type { V2SignType } from './crypto.js';
import { digits, type IssuedCertificate } from './pki.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Order validity without `time_expire` (WeChat Pay: 7 days, then the order is closed). */
export const ORDER_LIFETIME_MS = 7 * DAY;
/** An APP `prepay_id` is usable for two hours. */
export const PREPAY_LIFETIME_MS = 2 * HOUR;
/** An H5 `h5_url`/`mweb_url` is usable for five minutes. */
export const H5_URL_LIFETIME_MS = 5 * MINUTE;
/** No refunds a year after payment (`TRADE_OVERDUE`). */
export const REFUND_WINDOW_MS = 365 * DAY;
/** At most 50 partial refunds per order. */
export const MAX_REFUNDS = 50;

/**
 * A merchant account registered in the simulator; each option set of the sandbox is one. Its app
 * ids: an H5 one, an Open Platform mobile app, an official account (JSAPI) and a mini-program.
 */
export interface Merchant {
  mchId: string;
  appIds: { wap: string; app: string; jsapi: string; mini: string };
  /** Which API the merchant integrates: decides the notify format. */
  api: 'v3' | 'v2';
  /** v3 only: how WeChat signs responses and notifies for this merchant. */
  verification: 'public-key' | 'certificate';
  apiV3Key: string;
  apiV2Key: string;
  signType: V2SignType;
  /** The merchant API certificate (v3 `serial_no`, mutual-TLS client certificate). */
  certificate: IssuedCertificate;
}

export type TradeState = 'NOTPAY' | 'SUCCESS' | 'REFUND' | 'CLOSED' | 'PAYERROR';
export type TradeType = 'MWEB' | 'APP' | 'JSAPI';

export interface Refund {
  outRefundNo: string;
  refundId: string;
  amount: number;
  /** The order total the merchant stated (must equal the trade's). */
  total: number;
  status: 'PROCESSING' | 'SUCCESS';
  createdAt: Date;
  successTime?: Date;
  notifyUrl?: string;
  reason?: string;
  /** Which protocol notifies it (a platform-initiated refund notifies in v2 even for v3 merchants). */
  notifyApi: 'v3' | 'v2';
  source: 'API' | 'VENDOR_PLATFORM';
}

export interface Trade {
  merchant: Merchant;
  outTradeNo: string;
  appId: string;
  tradeType: TradeType;
  description: string;
  total: number;
  currency: string;
  attach?: string;
  notifyUrl: string;
  clientIp?: string;
  /** Hosts a cashier `redirect_url` and `Referer` may have (the merchant's H5 domain). */
  h5Domains: string[];
  createdAt: Date;
  expiresAt: Date;
  state: TradeState;
  prepayId: string;
  prepayIssuedAt: Date;
  /** Parameters a repeated prepay must match (`OUT_TRADE_NO_USED` otherwise). */
  fingerprint: string;
  transactionId?: string;
  successTime?: Date;
  openid?: string;
  /** JSAPI: the payer the order was placed for (`payer.openid`); only that WeChat user may pay it. */
  payerOpenid?: string;
  refunds: Refund[];
}

export interface PrepayInput {
  appId: string;
  tradeType: TradeType;
  outTradeNo: string;
  description: string;
  total: number;
  currency: string;
  attach?: string;
  notifyUrl: string;
  clientIp?: string;
  expiresAt?: Date;
  h5Domains: string[];
  /** JSAPI: `payer.openid` / `openid`. */
  payerOpenid?: string;
}

export type PrepayResult = { trade: Trade } | { error: 'OUT_TRADE_NO_USED' | 'ORDERPAID' | 'ORDERCLOSED' };

export interface RefundInput {
  outRefundNo: string;
  amount: number;
  total: number;
  notifyUrl?: string;
  reason?: string;
  notifyApi: 'v3' | 'v2';
  source?: 'API' | 'VENDOR_PLATFORM';
}

export type RefundError =
  'NOT_PAID' | 'TRADE_OVERDUE' | 'REPEAT_MISMATCH' | 'TOTAL_MISMATCH' | 'TOO_MANY' | 'OVER_REFUND';
export type RefundResult = { refund: Refund; created: boolean } | { error: RefundError };

/** One H5 cashier URL: five minutes from issue. */
export interface H5Ticket {
  trade: Trade;
  prepayId: string;
  issuedAt: Date;
}

/**
 * The order book: NOTPAY → SUCCESS (→ REFUND) / CLOSED / PAYERROR, expiry applied lazily from the
 * injected clock, refunds as a per-order ledger idempotent on `out_refund_no`.
 */
export class TradeBook {
  private readonly trades = new Map<string, Trade>();
  private readonly prepays = new Map<string, Trade>();
  private readonly transactions = new Map<string, Trade>();
  private readonly refundsByNo = new Map<string, { trade: Trade; refund: Refund }>();
  private readonly tickets = new Map<string, H5Ticket>();

  constructor(private readonly clock: () => Date) {}

  private key(merchant: Merchant, id: string): string {
    return `${merchant.mchId}\u0000${id}`;
  }

  /** Closes an unpaid order whose validity ran out. */
  private refresh(trade: Trade): Trade {
    if ((trade.state === 'NOTPAY' || trade.state === 'PAYERROR') && this.clock().getTime() >= trade.expiresAt.getTime())
      trade.state = 'CLOSED';
    return trade;
  }

  get(merchant: Merchant, outTradeNo: string): Trade | undefined {
    const trade = this.trades.get(this.key(merchant, outTradeNo));
    return trade && this.refresh(trade);
  }

  byTransactionId(merchant: Merchant, transactionId: string): Trade | undefined {
    const trade = this.transactions.get(transactionId);
    return trade?.merchant === merchant ? this.refresh(trade) : undefined;
  }

  byPrepayId(prepayId: string): Trade | undefined {
    const trade = this.prepays.get(prepayId);
    return trade && this.refresh(trade);
  }

  /** Places an order, or answers a repeat: identical parameters reuse the order, others are refused. */
  prepay(merchant: Merchant, input: PrepayInput): PrepayResult {
    const now = this.clock();
    const fingerprint = JSON.stringify([
      input.appId,
      input.tradeType,
      input.description,
      input.total,
      input.currency,
      input.attach ?? '',
      input.payerOpenid ?? '',
    ]);
    const existing = this.get(merchant, input.outTradeNo);
    if (existing) {
      if (existing.state === 'SUCCESS' || existing.state === 'REFUND') return { error: 'ORDERPAID' };
      if (existing.state === 'CLOSED') return { error: 'ORDERCLOSED' };
      if (existing.fingerprint !== fingerprint) return { error: 'OUT_TRADE_NO_USED' };
      existing.notifyUrl = input.notifyUrl;
      existing.clientIp = input.clientIp ?? existing.clientIp;
      existing.h5Domains = [...new Set([...existing.h5Domains, ...input.h5Domains])];
      if (now.getTime() - existing.prepayIssuedAt.getTime() >= PREPAY_LIFETIME_MS) this.newPrepayId(existing, now);
      return { trade: existing };
    }
    const trade: Trade = {
      merchant,
      outTradeNo: input.outTradeNo,
      appId: input.appId,
      tradeType: input.tradeType,
      description: input.description,
      total: input.total,
      currency: input.currency,
      attach: input.attach,
      notifyUrl: input.notifyUrl,
      clientIp: input.clientIp,
      h5Domains: input.h5Domains,
      ...(input.payerOpenid ? { payerOpenid: input.payerOpenid } : {}),
      createdAt: now,
      expiresAt: input.expiresAt ?? new Date(now.getTime() + ORDER_LIFETIME_MS),
      state: 'NOTPAY',
      prepayId: '',
      prepayIssuedAt: now,
      fingerprint,
      refunds: [],
    };
    this.newPrepayId(trade, now);
    this.trades.set(this.key(merchant, input.outTradeNo), trade);
    return { trade };
  }

  private newPrepayId(trade: Trade, now: Date): void {
    // Real shape: "wx" + Beijing yyyyMMddHHmmss + hex, about 36 characters.
    trade.prepayId = `wx${beijingCompact(now)}${randomBytes(10).toString('hex')}`;
    trade.prepayIssuedAt = now;
    this.prepays.set(trade.prepayId, trade);
  }

  /** True while an APP or JSAPI `prepay_id` may still be used. */
  prepayUsable(trade: Trade, prepayId: string): boolean {
    return trade.prepayId === prepayId && this.clock().getTime() - trade.prepayIssuedAt.getTime() < PREPAY_LIFETIME_MS;
  }

  /** A fresh H5 cashier ticket (the opaque `package` of the URL). */
  issueTicket(trade: Trade): string {
    const pkg = digits(10);
    this.tickets.set(pkg, { trade, prepayId: trade.prepayId, issuedAt: this.clock() });
    return pkg;
  }

  ticket(pkg: string): H5Ticket | undefined {
    const ticket = this.tickets.get(pkg);
    if (ticket) this.refresh(ticket.trade);
    return ticket;
  }

  /** The buyer paid: a 28-digit transaction id, as WeChat's. False when the order cannot be paid. */
  pay(trade: Trade): boolean {
    this.refresh(trade);
    if (trade.state !== 'NOTPAY' && trade.state !== 'PAYERROR') return false;
    const now = this.clock();
    trade.state = 'SUCCESS';
    trade.successTime = now;
    trade.transactionId = `4200${digits(6)}${beijingCompact(now).slice(0, 8)}${digits(10)}`;
    trade.openid = trade.payerOpenid ?? `o${randomBytes(20).toString('base64url').slice(0, 27)}`;
    this.transactions.set(trade.transactionId, trade);
    return true;
  }

  /** The buyer's payment failed (bank refused): the order stays payable until it expires. */
  fail(trade: Trade): void {
    this.refresh(trade);
    if (trade.state === 'NOTPAY') trade.state = 'PAYERROR';
  }

  /** Close: re-entrant on closed orders; refused for paid ones. */
  close(trade: Trade): 'ok' | 'ORDERPAID' {
    this.refresh(trade);
    if (trade.state === 'SUCCESS' || trade.state === 'REFUND') return 'ORDERPAID';
    trade.state = 'CLOSED';
    return 'ok';
  }

  refund(trade: Trade, input: RefundInput): RefundResult {
    const now = this.clock();
    const key = this.key(trade.merchant, input.outRefundNo);
    const previous = this.refundsByNo.get(key);
    if (previous) {
      // Same out_refund_no = the same refund (a retry); anything else under that number is refused.
      if (previous.trade !== trade || previous.refund.amount !== input.amount || previous.refund.total !== input.total)
        return { error: 'REPEAT_MISMATCH' };
      return { refund: previous.refund, created: false };
    }
    if (trade.state !== 'SUCCESS' && trade.state !== 'REFUND') return { error: 'NOT_PAID' };
    // pay() sets successTime as the trade becomes SUCCESS; REFUND only follows SUCCESS.
    if (!trade.successTime) throw new Error(`trade ${trade.outTradeNo} was paid without a success time`);
    if (now.getTime() - trade.successTime.getTime() > REFUND_WINDOW_MS) return { error: 'TRADE_OVERDUE' };
    if (input.total !== trade.total) return { error: 'TOTAL_MISMATCH' };
    if (trade.refunds.length >= MAX_REFUNDS) return { error: 'TOO_MANY' };
    const refunded = trade.refunds.reduce((sum, r) => sum + r.amount, 0);
    if (refunded + input.amount > trade.total) return { error: 'OVER_REFUND' };
    const refund: Refund = {
      outRefundNo: input.outRefundNo,
      refundId: `50${digits(5)}${digits(6)}${beijingCompact(now).slice(0, 8)}${digits(8)}`,
      amount: input.amount,
      total: input.total,
      status: 'PROCESSING',
      createdAt: now,
      notifyUrl: input.notifyUrl,
      reason: input.reason,
      notifyApi: input.notifyApi,
      source: input.source ?? 'API',
    };
    trade.refunds.push(refund);
    trade.state = 'REFUND';
    this.refundsByNo.set(key, { trade, refund });
    return { refund, created: true };
  }

  findRefund(merchant: Merchant, outRefundNo: string): { trade: Trade; refund: Refund } | undefined {
    return this.refundsByNo.get(this.key(merchant, outRefundNo));
  }

  /** The bank finished the refund. */
  completeRefund(refund: Refund): void {
    if (refund.status !== 'PROCESSING') return;
    refund.status = 'SUCCESS';
    refund.successTime = this.clock();
  }

  /** Every order, for assertions in tests. */
  all(): Trade[] {
    return [...this.trades.values()].map((t) => this.refresh(t));
  }
}
