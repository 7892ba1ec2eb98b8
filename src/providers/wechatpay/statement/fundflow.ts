import type { StatementRow, StatementRowKind } from '../../../spi/statement.js';
import type { Line } from '../../../wire/statement/lines.js';
import { Cells, checkFigure } from './cells.js';
import { type BillFrame, type BillRow, readBill } from './table.js';

/**
 * Fund-flow bills (v3 `fundflowbill`): one row per movement of the merchant account (收入 income,
 * 支出 expense), then totals by direction. Rows carry the WeChat Pay business id but no merchant
 * order number; 业务凭证号 holds the merchant refund number on refund rows.
 * Format: WeChat Pay merchant documentation, "申请资金账单" (fund-flow bill) and its file format.
 */

const WHAT = 'fund-flow bill';
const AMOUNT = '收支金额（元）';

/** Streams a fund-flow bill's rows in batches, then checks its totals row against them. */
export async function* readFundFlowBill(lines: AsyncIterable<Line[]>): AsyncGenerator<StatementRow[]> {
  const frame: BillFrame = { columns: [] };
  let cells: Cells | undefined;
  const income = { count: 0, sum: 0 };
  const expense = { count: 0, sum: 0 };
  let count = 0;
  for await (const batch of readBill(lines, ['资金流水总笔数'], frame, WHAT)) {
    const c = (cells ??= new Cells(frame.columns, WHAT));
    const out: StatementRow[] = [];
    for (const row of batch) {
      const amount = Math.abs(c.money(row, AMOUNT));
      const side = c.get(row, '收支类型') === '收入' ? income : expense;
      count += 1;
      side.count += 1;
      side.sum += amount;
      out.push(fundRow(c, row, amount));
    }
    yield out;
  }
  const totals = frame.totals;
  // readBill sets the totals when it reaches them, and refuses a bill that ends without them.
  if (!totals) throw new Error(`${WHAT}: the bill was read without its totals row`);
  checkFigure(WHAT, '资金流水总笔数', totals['资金流水总笔数'] ?? '', count, 0);
  checkFigure(WHAT, '收入笔数', totals['收入笔数'] ?? '', income.count, 0);
  checkFigure(WHAT, '收入金额', totals['收入金额'] ?? '', income.sum, 2);
  checkFigure(WHAT, '支出笔数', totals['支出笔数'] ?? '', expense.count, 0);
  // The expense total may be written with or without its minus sign.
  checkFigure(WHAT, '支出金额', (totals['支出金额'] ?? '').replace(/^-/, ''), expense.sum, 2);
}

function fundRow(cells: Cells, row: BillRow, amount: number): StatementRow {
  const get = (name: string) => cells.get(row, name) || undefined; // an empty cell is no value
  const type = get('业务类型') ?? '';
  const kind: StatementRowKind = type === '交易' ? 'payment' : type === '退款' ? 'refund' : 'other';
  const refundId = kind === 'refund' ? get('业务凭证号') : undefined;
  return {
    provider: 'wechatpay',
    kind,
    tradeNo: '',
    transactionId: get('微信支付业务单号'),
    ...(refundId ? { refundId } : {}),
    amount,
    fee: 0,
    feeMilliFen: 0,
    time: cells.time(row, '记账时间'),
    status: 'SUCCESS',
    raw: row.cells,
  };
}
