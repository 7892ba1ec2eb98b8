import type { StatementRow, StatementRowKind } from '../../../spi/statement.js';
import { yuanToSignedFen } from '../../../wire/statement/decimal.js';
import { statementInvalid } from '../../../wire/statement/errors.js';
import type { Line } from '../../../wire/statement/lines.js';
import { checkTotal, fenCell, timeCell } from './money.js';
import { newFrame, readSection } from './section.js';

/**
 * The account ledger (`<account>_<date>_账务明细.csv`, `bill_type=signcustomer`): one row per
 * balance movement between the `账务明细列表` markers, then `#支出合计` / `#收入合计` lines that are
 * checked against the rows. Columns are read by name: newer exports add columns, kept in `raw`.
 * Layout: Alipay open platform, `alipay.data.dataservice.bill.downloadurl.query` and its bill format notes.
 */

const WHAT = 'account ledger (账务明细)';
const INCOME = '收入金额（+元）';
const EXPENSE = '支出金额（-元）';
const REQUIRED = ['业务流水号', '商户订单号', '发生时间', INCOME, EXPENSE, '业务类型'] as const;

/** Ledger business types that are a payment received; anything with `退款` is a refund paid out. */
const PAYMENT_TYPES = new Set(['在线支付', '交易', '交易付款']);

/** Streams the rows of a ledger file in batches and checks its totals lines once the rows are read. */
export async function* readLedger(lines: AsyncIterable<Line[]>): AsyncGenerator<StatementRow[]> {
  const frame = newFrame();
  const income = { count: 0, sum: 0 };
  const expense = { count: 0, sum: 0 };
  let lookup: Record<string, string | undefined> | undefined;
  for await (const batch of readSection(lines, '账务明细列表', REQUIRED, frame, WHAT)) {
    const c = (lookup ??= Object.fromEntries(REQUIRED.map((name) => [name, frame.column(name)])));
    const out: StatementRow[] = [];
    for (const row of batch) {
      const get = (column: string | undefined) => (column === undefined ? undefined : row.cells[column]);
      const credit = fenCell(get(c[INCOME]), INCOME, row.line, WHAT);
      const debit = fenCell(get(c[EXPENSE]), EXPENSE, row.line, WHAT);
      if (credit) {
        income.count += 1;
        income.sum += Math.abs(credit);
      }
      if (debit) {
        expense.count += 1;
        expense.sum += Math.abs(debit);
      }
      const type = get(c['业务类型']) ?? '';
      const kind: StatementRowKind = type.includes('退款') ? 'refund' : PAYMENT_TYPES.has(type) ? 'payment' : 'other';
      out.push({
        provider: 'alipay',
        kind,
        tradeNo: get(c['商户订单号']) ?? '',
        transactionId: get(c['业务流水号']) || undefined,
        amount: Math.abs(credit || debit),
        fee: 0,
        feeMilliFen: 0,
        time: timeCell(get(c['发生时间']), '发生时间', row.line, WHAT),
        status: 'SUCCESS',
        raw: row.cells,
      });
    }
    yield out;
  }
  // `#支出合计：2笔，共-20.00元` / `#收入合计：3笔，共30.00元`
  for (const [label, side] of [
    ['支出合计', expense],
    ['收入合计', income],
  ] as const) {
    const m = new RegExp(`^#${label}[：:]\\s*(\\d+)\\s*笔[，,]\\s*共\\s*([-+]?[\\d.]+)\\s*元`).exec(
      frame.footer.find((line) => line.startsWith(`#${label}`)) ?? '',
    );
    if (!m) throw statementInvalid('alipay', `${WHAT} has no "#${label}" totals line`);
    const [, rows = '', amount = ''] = m; // both groups are required by the pattern
    const sum = yuanToSignedFen(amount);
    if (sum === undefined) throw statementInvalid('alipay', `${WHAT}: "#${label}" amount "${amount}" is not an amount`);
    checkTotal(`the number of rows in ${label}`, Number(rows), side.count, WHAT, 0);
    checkTotal(`the amount of ${label}`, Math.abs(sum), side.sum, WHAT);
  }
}
