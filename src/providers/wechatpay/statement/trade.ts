import type { StatementRow, StatementRowKind } from '../../../spi/statement.js';
import { milliFenToFen } from '../../../wire/statement/decimal.js';
import type { Line } from '../../../wire/statement/lines.js';
import { Cells, checkFigure } from './cells.js';
import { type BillFrame, readBill } from './table.js';

/**
 * Trade bills (`bill_type` ALL, SUCCESS, REFUND; v2 `downloadbill` and v3 `tradebill`). Columns are
 * read by name: the column set differs per bill type and changed over time (`订单金额` and
 * `申请退款金额` exist only in the current format; older bills have `总金额`). A refund is its own
 * row (交易状态 `REFUND`), with the payment's 微信订单号 and its own 微信退款单号.
 */

const WHAT = 'trade bill';

/** Totals-row figure → the detail column it sums (and its scale: fees have five decimals). */
const SUMS: readonly (readonly [total: string, column: string, scale: number])[] = [
  ['应结订单总金额', '应结订单金额', 2],
  ['退款总金额', '退款金额', 2],
  ['充值券退款总金额', '充值券退款金额', 2],
  ['手续费总金额', '手续费', 5],
  ['订单总金额', '订单金额', 2],
  ['申请退款总金额', '申请退款金额', 2],
  // Bills in the older format.
  ['总退款金额', '退款金额', 2],
  ['总代金券或立减优惠退款金额', '代金券或立减优惠退款金额', 2],
];

/** Each summed column once (two totals figures may sum the same column). */
const COLUMNS = [...new Map(SUMS.map(([, column, scale]) => [column, scale])).entries()];

/** Where a refund row's time is, in order of preference. */
const REFUND_TIMES = ['退款成功时间', '退款申请时间', '交易时间'];

/** Streams a trade bill's rows in batches, then checks its totals row against them. */
export async function* readTradeBill(lines: AsyncIterable<Line[]>): AsyncGenerator<StatementRow[]> {
  const frame: BillFrame = { columns: [] };
  let cells: Cells | undefined;
  let count = 0;
  const sums = new Map<string, number>();
  for await (const batch of readBill(lines, ['总交易单数'], frame, WHAT)) {
    const c = (cells ??= new Cells(frame.columns, WHAT));
    const summed = COLUMNS.filter(([column]) => c.has(column));
    const out: StatementRow[] = [];
    for (const row of batch) {
      count += 1;
      for (const [column, scale] of summed) sums.set(column, (sums.get(column) ?? 0) + c.money(row, column, scale));
      out.push(tradeRow(c, row));
    }
    yield out;
  }
  const c = cells ?? new Cells(frame.columns, WHAT);
  const totals = frame.totals;
  // readBill sets the totals when it reaches them, and refuses a bill that ends without them.
  if (!totals) throw new Error(`${WHAT}: the bill was read without its totals row`);
  checkFigure(WHAT, '总交易单数 (rows)', totals['总交易单数'] ?? '', count, 0);
  for (const [total, column, scale] of SUMS) {
    const stated = totals[total];
    if (stated !== undefined && c.has(column)) checkFigure(WHAT, total, stated, sums.get(column) ?? 0, scale);
  }
}

function tradeRow(cells: Cells, row: Parameters<Cells['get']>[0]): StatementRow {
  const get = (name: string) => cells.get(row, name) ?? '';
  const state = get('交易状态');
  const kind: StatementRowKind =
    state === 'SUCCESS' ? 'payment' : state === 'REFUND' || state === 'REVOKED' ? 'refund' : 'other';
  const orderAmount = cells.has('订单金额') ? cells.money(row, '订单金额') : cells.money(row, '总金额');
  const refundAmount = cells.money(row, '申请退款金额') || cells.money(row, '退款金额');
  const feeMilliFen = cells.money(row, '手续费', 5);
  // Refund bills carry the refund's own times; ALL bills date a refund row by 交易时间.
  const when = kind === 'refund' ? REFUND_TIMES.find((c) => get(c)) : '交易时间';
  const id = (name: string) => {
    const value = get(name);
    return value && value !== '0' ? value : undefined;
  };
  const refundId = kind === 'refund' ? id('商户退款单号') : undefined;
  const providerRefundId = kind === 'refund' ? id('微信退款单号') : undefined;
  return {
    provider: 'wechatpay',
    kind,
    tradeNo: get('商户订单号'),
    transactionId: id('微信订单号'),
    ...(refundId ? { refundId } : {}),
    ...(providerRefundId ? { providerRefundId } : {}),
    amount: Math.abs(kind === 'refund' && refundAmount ? refundAmount : orderAmount),
    fee: milliFenToFen(feeMilliFen),
    feeMilliFen,
    time: cells.time(row, when ?? '交易时间'),
    status: kind === 'refund' && state === 'REFUND' ? get('退款状态') || 'SUCCESS' : state,
    raw: row.cells,
  };
}
