import { statementInvalid } from '../../../wire/statement/errors.js';
import type { Line } from '../../../wire/statement/lines.js';
import { newFrame, readSection } from './section.js';

/**
 * The trade summary file (`…_业务明细(汇总).csv`): one row per store and a `合计` row. Only its
 * counts are used, as a cross-check of the detail file (whose own totals lines check the amounts).
 */

const WHAT = 'trade summary (业务明细(汇总))';
const PAYMENTS = '交易订单总笔数';
const REFUNDS = '退款订单总笔数';

/** The `合计` row's counts. */
export interface SummaryCounts {
  payments: number;
  refunds: number;
}

/** Reads the summary file (a few lines) and returns its `合计` counts. */
export async function readSummary(lines: AsyncIterable<Line[]>): Promise<SummaryCounts> {
  const frame = newFrame();
  let total: SummaryCounts | undefined;
  for await (const batch of readSection(lines, '业务汇总列表', [PAYMENTS, REFUNDS], frame, WHAT)) {
    for (const row of batch) {
      const [first = ''] = frame.columns;
      if (!row.cells[first]?.startsWith('合计')) continue;
      const count = (name: string) => {
        // readSection refused a header without this column.
        const text = row.cells[frame.column(name) ?? ''] ?? '';
        if (!/^\d+$/.test(text)) throw statementInvalid('alipay', `${WHAT}: ${name} "${text}" is not a count`);
        return Number(text);
      };
      total = { payments: count(PAYMENTS), refunds: count(REFUNDS) };
    }
  }
  if (!total) throw statementInvalid('alipay', `${WHAT} has no "合计" row`);
  return total;
}
