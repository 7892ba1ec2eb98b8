import { randomInt } from 'node:crypto';
import { yuan } from '../wire/money.js';
import { beijingCompact } from '../wire/time.js';
import { business } from './errors.js';

/**
 * Trades and their refund ledger. A trade exists only once the buyer has entered the
 * cashier or the app SDK (before that, query and close say ACQ.TRADE_NOT_EXIST).
 *
 *   WAIT_BUYER_PAY → TRADE_SUCCESS (paid) → TRADE_FINISHED (refund window over)
 *   WAIT_BUYER_PAY → TRADE_CLOSED (expired or closed)
 *   TRADE_SUCCESS  → TRADE_CLOSED (refunded in full)
 *
 * Time-driven moves (expiry, end of the refund window) happen when a trade is next looked at,
 * measured with the simulator's clock, so tests can move time instead of waiting.
 */

export type TradeStatus = 'WAIT_BUYER_PAY' | 'TRADE_SUCCESS' | 'TRADE_FINISHED' | 'TRADE_CLOSED';

/** How long a paid trade stays refundable (Alipay: 3 months by default, then TRADE_FINISHED). */
const REFUND_WINDOW_MS = 90 * 24 * 60 * 60 * 1000;

export interface RefundEntry {
  outRequestNo: string;
  fen: number;
  reason?: string;
  at: Date;
  /** Where this refund's notify goes when not the trade's `notify_url` (a refund made in the merchant platform). */
  notifyUrl?: string;
}

export interface Trade {
  appId: string;
  sellerId: string;
  channel: 'wap' | 'app';
  outTradeNo: string;
  tradeNo: string;
  status: TradeStatus;
  totalFen: number;
  refundedFen: number;
  subject: string;
  body?: string;
  passbackParams?: string;
  notifyUrl?: string;
  createdAt: Date;
  expiresAt: Date;
  paidAt?: Date;
  closedAt?: Date;
  buyerId: string;
  buyerLogonId: string;
  /** Keyed by out_request_no. */
  refunds: Map<string, RefundEntry>;
}

/** Something the merchant is notified about. */
export type TradeEvent =
  { kind: 'payment' | 'close' | 'finish'; trade: Trade } | { kind: 'refund'; trade: Trade; refund: RefundEntry };

/** What tests see of a trade (amounts in yuan, like the gateway shows them). */
export interface TradeSnapshot {
  readonly status: TradeStatus;
  readonly tradeNo: string;
  readonly totalAmount: string;
  readonly refunded: string;
}

/** The facts a new trade is opened with. */
export interface TradeRequest {
  appId: string;
  sellerId: string;
  channel: 'wap' | 'app';
  outTradeNo: string;
  totalFen: number;
  subject: string;
  body?: string;
  passbackParams?: string;
  notifyUrl?: string;
  expiresAt: Date;
}

/** The buyer every sandbox payment comes from. */
const BUYER = { id: '2088102000009999', logonId: 'buy***@sandbox.paymount.test' };

export class TradeBook {
  private readonly trades = new Map<string, Trade>();
  private readonly byTradeNo = new Map<string, Trade>();
  private counter = 0;
  /** Live views for tests, keyed by out_trade_no. */
  readonly snapshots = new Map<string, TradeSnapshot>();

  constructor(
    private readonly clock: () => Date,
    private readonly emit: (event: TradeEvent) => void,
  ) {}

  /** A 28-digit trade_no: Beijing date + `2200` + 16 digits (unique within this simulator). */
  private nextTradeNo(): string {
    const date = beijingCompact(this.clock()).slice(0, 8);
    return `${date}2200${String(randomInt(10_000_000, 99_999_999))}${String(++this.counter).padStart(8, '0')}`;
  }

  /** Applies the moves that only depend on time. */
  refresh(trade: Trade): Trade {
    const now = this.clock();
    if (trade.status === 'WAIT_BUYER_PAY' && now.getTime() >= trade.expiresAt.getTime()) {
      trade.status = 'TRADE_CLOSED';
      trade.closedAt = now;
      this.emit({ kind: 'close', trade });
    } else if (
      trade.status === 'TRADE_SUCCESS' &&
      trade.paidAt &&
      now.getTime() - trade.paidAt.getTime() >= REFUND_WINDOW_MS
    ) {
      trade.status = 'TRADE_FINISHED';
      trade.closedAt = now;
      this.emit({ kind: 'finish', trade });
    }
    return trade;
  }

  /** Finds the trade of this app by trade_no (which wins) or out_trade_no. */
  find(appId: string, ids: { tradeNo?: string; outTradeNo?: string }): Trade | undefined {
    const trade = ids.tradeNo !== undefined ? this.byTradeNo.get(ids.tradeNo) : this.trades.get(ids.outTradeNo ?? '');
    if (trade?.appId !== appId) return undefined;
    if (ids.tradeNo !== undefined && ids.outTradeNo !== undefined && trade.outTradeNo !== ids.outTradeNo)
      return undefined;
    return this.refresh(trade);
  }

  /**
   * The buyer enters the cashier: creates the trade, or returns the open one when the merchant
   * sends the same order again. Different facts under a used out_trade_no are refused.
   */
  open(request: TradeRequest): Trade {
    const existing = this.trades.get(request.outTradeNo);
    if (existing) {
      this.refresh(existing);
      if (
        existing.appId !== request.appId ||
        existing.totalFen !== request.totalFen ||
        existing.subject !== request.subject
      ) {
        throw business(
          'ACQ.CONTEXT_INCONSISTENT',
          `交易信息被篡改 (out_trade_no ${request.outTradeNo} was already used with a different amount, subject or app)`,
        );
      }
      if (existing.status === 'TRADE_SUCCESS' || existing.status === 'TRADE_FINISHED')
        throw business('ACQ.TRADE_HAS_SUCCESS', '交易已被支付 (this order is already paid)');
      if (existing.status === 'TRADE_CLOSED')
        throw business('ACQ.TRADE_HAS_CLOSE', '交易已经关闭 (this order was closed or has expired)');
      return existing;
    }
    const now = this.clock();
    if (now.getTime() >= request.expiresAt.getTime())
      throw business('ACQ.TRADE_HAS_CLOSE', '交易已超时关闭 (time_expire has passed: the order can no longer be paid)');
    const trade: Trade = {
      ...request,
      tradeNo: this.nextTradeNo(),
      status: 'WAIT_BUYER_PAY',
      refundedFen: 0,
      createdAt: now,
      buyerId: BUYER.id,
      buyerLogonId: BUYER.logonId,
      refunds: new Map(),
    };
    this.trades.set(trade.outTradeNo, trade);
    this.byTradeNo.set(trade.tradeNo, trade);
    this.snapshots.set(trade.outTradeNo, this.snapshotOf(trade));
    return trade;
  }

  private snapshotOf(trade: Trade): TradeSnapshot {
    const refresh = (t: Trade) => this.refresh(t);
    return {
      get status() {
        return refresh(trade).status;
      },
      tradeNo: trade.tradeNo,
      get totalAmount() {
        return yuan(trade.totalFen);
      },
      get refunded() {
        return yuan(trade.refundedFen);
      },
    };
  }

  /** Every trade, for the daily bill. */
  all(): Trade[] {
    return [...this.trades.values()].map((trade) => this.refresh(trade));
  }

  /** The buyer pays. */
  pay(trade: Trade): void {
    this.refresh(trade);
    if (trade.status === 'TRADE_CLOSED')
      throw business('ACQ.TRADE_HAS_CLOSE', '交易已经关闭 (the order expired or was closed before payment)');
    if (trade.status !== 'WAIT_BUYER_PAY')
      throw business('ACQ.TRADE_HAS_SUCCESS', '交易已被支付 (this order is already paid)');
    trade.status = 'TRADE_SUCCESS';
    trade.paidAt = this.clock();
    this.emit({ kind: 'payment', trade });
  }

  /** alipay.trade.close: only an unpaid trade can be closed. */
  close(trade: Trade): void {
    if (trade.status !== 'WAIT_BUYER_PAY') {
      throw business(
        'ACQ.TRADE_STATUS_ERROR',
        `交易状态不合法 (the trade is ${trade.status}; only WAIT_BUYER_PAY can be closed)`,
      );
    }
    trade.status = 'TRADE_CLOSED';
    trade.closedAt = this.clock();
    this.emit({ kind: 'close', trade });
  }

  /**
   * alipay.trade.refund against the ledger keyed by (trade, out_request_no): a repeat with the
   * same amount succeeds without moving money; a repeat with another amount is refused.
   */
  refund(
    trade: Trade,
    outRequestNo: string,
    fen: number,
    reason?: string,
    notifyUrl?: string,
  ): { entry: RefundEntry; fundChange: boolean } {
    const earlier = trade.refunds.get(outRequestNo);
    if (earlier) {
      if (earlier.fen !== fen) {
        throw business(
          'ACQ.DISCORDANT_REPEAT_REQUEST',
          `请求信息不一致 (out_request_no ${outRequestNo} already refunded ${yuan(earlier.fen)}, this request says ${yuan(fen)})`,
        );
      }
      return { entry: earlier, fundChange: false };
    }
    if (trade.status === 'TRADE_FINISHED')
      throw business('ACQ.TRADE_HAS_FINISHED', '交易已完结 (the refund window of this trade is over)');
    if (trade.status !== 'TRADE_SUCCESS')
      throw business(
        'ACQ.TRADE_STATUS_ERROR',
        `交易状态不合法 (the trade is ${trade.status}; only a paid trade can be refunded)`,
      );
    if (trade.refundedFen + fen > trade.totalFen) {
      throw business(
        'ACQ.REASON_TRADE_REFUND_FEE_ERR',
        `退款金额超限 (refund ${yuan(fen)} + already refunded ${yuan(trade.refundedFen)} exceeds the total ${yuan(trade.totalFen)})`,
      );
    }
    const entry: RefundEntry = { outRequestNo, fen, reason, at: this.clock(), ...(notifyUrl ? { notifyUrl } : {}) };
    trade.refunds.set(outRequestNo, entry);
    trade.refundedFen += fen;
    if (trade.refundedFen === trade.totalFen) {
      trade.status = 'TRADE_CLOSED';
      trade.closedAt = entry.at;
    }
    this.emit({ kind: 'refund', trade, refund: entry });
    return { entry, fundChange: true };
  }
}
