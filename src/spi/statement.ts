/**
 * The one row shape every provider's daily statement (对账单) is read into, whatever the file
 * looked like: a zip of GBK CSV files at Alipay, backtick-prefixed CSV at WeChat Pay, fixed-width
 * records at UnionPay. Each provider's parser (`src/providers/<name>/statement`) documents how its
 * columns map onto it.
 */

/** The provider a statement row came from. */
export type StatementProvider = 'alipay' | 'wechatpay' | 'unionpay';

/**
 * What a row records. `refund` covers every movement of money back to the payer (refunds, and
 * UnionPay cancellations); `other` is a row that is neither (fund-flow and ledger movements such
 * as withdrawals, fee deductions, UnionPay error adjustments).
 */
export type StatementRowKind = 'payment' | 'refund' | 'other';

/** One business row of a provider statement, normalised. */
export interface StatementRow {
  /** The provider whose statement this row is from. */
  provider: StatementProvider;
  /** Whether the row is a payment, a refund (or cancellation), or another movement. */
  kind: StatementRowKind;
  /**
   * The merchant's trade number (Alipay `out_trade_no`, WeChat `out_trade_no`, UnionPay `orderId`).
   * For a refund it is the order the refund belongs to when the file names it; it is empty when the
   * file does not (UnionPay refund records name only the payment's `queryId`, held in
   * `transactionId`; fund-flow rows carry no order).
   */
  tradeNo: string;
  /**
   * The host's order id the row belongs to. Set by `payments.statement` from paymount's records
   * (the trade number's claim, the derived-number rules, the payment a refund names); `undefined`
   * when paymount cannot tell, e.g. a trade of another system sharing the merchant account.
   * Providers' readers leave it unset.
   */
  orderId?: string;
  /**
   * The provider's id of the payment (Alipay `trade_no`, WeChat `transaction_id`, UnionPay
   * `queryId`). On refund rows: the id of the payment that was refunded.
   */
  transactionId?: string;
  /**
   * The merchant's refund number (Alipay `out_request_no`, WeChat `out_refund_no`, UnionPay refund
   * `orderId`). For a refund paymount made it is the host's refund id (`payments.refund`'s
   * `refundId`); UnionPay refunds go out under an `orderId` of their own, which the provider maps
   * back from its records.
   */
  refundId?: string;
  /** The provider's own id of the refund, when the file has one (WeChat `refund_id`, UnionPay refund `queryId`). */
  providerRefundId?: string;
  /** Integer fen, never negative: the direction is given by `kind`. */
  amount: number;
  /**
   * The provider's fee in integer fen, signed as the provider reports it: positive when charged,
   * negative when returned (on refunds). WeChat Pay reports fees to 0.00001 yuan; this is that
   * figure rounded half away from zero to the fen, and `feeMilliFen` holds it exactly.
   */
  fee: number;
  /** The fee exactly, in thousandths of a fen (0.00001 yuan); `fee * 1000` for providers that report whole fen. */
  feeMilliFen: number;
  /**
   * When the movement completed: payment time, refund time. Statements write Beijing time (UTC+8)
   * without an offset; this is that instant.
   */
  time: Date;
  /**
   * The provider's status word for the row. `SUCCESS` for every row of a file that lists completed
   * business only (Alipay, UnionPay, WeChat payments); WeChat refund rows carry their refund status
   * as written (`SUCCESS`, `PROCESSING`, `FAIL`, `CHANGE`).
   */
  status: string;
  /** The row as the provider wrote it: column name → cell, with padding, tabs and backticks removed. */
  raw: Record<string, string>;
}

/** Counts and sums of a set of statement rows, in integer fen (fees in thousandths of a fen). */
export interface StatementTotals {
  /** Number of payment rows. */
  payments: number;
  /** Sum of the payment rows' `amount`. */
  paymentAmount: number;
  /** Number of refund rows. */
  refunds: number;
  /** Sum of the refund rows' `amount`. */
  refundAmount: number;
  /** Number of rows of kind `other`. */
  others: number;
  /** Sum of every row's `feeMilliFen`. */
  feeMilliFen: number;
}

/**
 * Options every statement parser accepts.
 */
export interface StatementParseOptions {
  /**
   * Refuse a zip archive (Alipay, UnionPay) larger than this many bytes. A zip is read from its
   * central directory, which sits at its end, so the archive is held (compressed) while its entries
   * are inflated as streams; WeChat Pay bills are streamed whole. Default 256 MiB.
   */
  maxBytes?: number;
}

/**
 * Which statement of a day: `trades`, the payments and refunds of the day (every provider), or
 * `funds`, the movements of the merchant account (Alipay `signcustomer`, WeChat Pay v3 fund-flow
 * bill; UnionPay has none).
 */
export type StatementKind = 'trades' | 'funds';

/** How a statement is downloaded. */
export interface StatementDownloadOptions {
  /**
   * The most bytes downloaded. A zip (Alipay, UnionPay) is held compressed while its entries are
   * read, so this bounds memory too. Default 256 MiB.
   */
  maxBytes?: number;
  /**
   * Ask for a compressed download where the provider offers the choice (WeChat Pay
   * `tar_type=GZIP`). Default true; Alipay and UnionPay files are always zips.
   */
  compressed?: boolean;
}

/** Options of `payments.statement`. */
export interface StatementOptions extends StatementDownloadOptions {
  /** `trades` (default) or `funds`. */
  kind?: StatementKind;
}
