import type { StatementRow, StatementRowKind } from '../../../spi/statement.js';
import { yuanToSignedFen } from '../../../wire/statement/decimal.js';
import { statementInvalid } from '../../../wire/statement/errors.js';
import type { Line } from '../../../wire/statement/lines.js';
import { checkTotal, fenCell, timeCell } from './money.js';
import { newFrame, readSection } from './section.js';

/**
 * The trade detail file (`<account>_<date>_业务明细.csv`, `bill_type=trade`): one row per payment
 * (业务类型 `交易`) and one per refund (`退款`, amounts negative, dated by the refund), between the
 * `业务明细列表` markers, then `#交易合计` and `#退款合计` lines that are checked against the rows.
 * Layout: Alipay open platform, `alipay.data.dataservice.bill.downloadurl.query` and its bill format notes.
 */

const WHAT = 'trade statement (业务明细)';
const REQUIRED = [
  '支付宝交易号',
  '商户订单号',
  '业务类型',
  '完成时间',
  '订单金额（元）',
  '商家实收（元）',
  '退款批次号/请求号',
  '服务费（元）',
] as const;

/** Counts the trade file's rows so the summary file can be checked against them. */
export interface TradeCounts {
  payments: number;
  refunds: number;
}

/** Streams the rows of a trade detail file in batches; `counts` is complete once the generator is done. */
export async function* readTradeDetail(
  lines: AsyncIterable<Line[]>,
  counts: TradeCounts,
): AsyncGenerator<StatementRow[]> {
  const frame = newFrame();
  let paymentReceived = 0;
  let refundReceived = 0;
  let lookup: Record<string, string | undefined> | undefined;
  for await (const batch of readSection(lines, '业务明细列表', REQUIRED, frame, WHAT)) {
    const c = (lookup ??= Object.fromEntries([...REQUIRED, '创建时间'].map((name) => [name, frame.column(name)])));
    const out: StatementRow[] = [];
    for (const row of batch) {
      const get = (column: string | undefined) => (column === undefined ? undefined : row.cells[column]);
      const type = get(c['业务类型']);
      const kind: StatementRowKind = type === '交易' ? 'payment' : type === '退款' ? 'refund' : 'other';
      const received = fenCell(get(c['商家实收（元）']), '商家实收（元）', row.line, WHAT);
      if (kind === 'payment') {
        counts.payments += 1;
        paymentReceived += received;
      }
      if (kind === 'refund') {
        counts.refunds += 1;
        refundReceived += received;
      }
      const fee = fenCell(get(c['服务费（元）']), '服务费（元）', row.line, WHAT);
      const refundId = kind === 'refund' ? get(c['退款批次号/请求号']) || undefined : undefined;
      out.push({
        provider: 'alipay',
        kind,
        tradeNo: get(c['商户订单号']) ?? '',
        transactionId: get(c['支付宝交易号']) || undefined,
        ...(refundId ? { refundId } : {}),
        amount: Math.abs(fenCell(get(c['订单金额（元）']), '订单金额（元）', row.line, WHAT)),
        fee,
        feeMilliFen: fee * 1000,
        time: timeCell(get(c['完成时间']) || get(c['创建时间']), '完成时间', row.line, WHAT),
        status: 'SUCCESS',
        raw: row.cells,
      });
    }
    yield out;
  }
  checkFooter(frame.footer, counts, paymentReceived, refundReceived);
}

// `#交易合计：6笔，商家实收共0.06元，商家优惠共0.00元` — full-width punctuation, ASCII accepted.
const TRADE_TOTAL = /^#交易合计[：:]\s*(\d+)\s*笔[，,]\s*商家实收共\s*([-+]?[\d.]+)\s*元/;
const REFUND_TOTAL = /^#退款合计[：:]\s*(\d+)\s*笔[，,]\s*商家实收退款共\s*([-+]?[\d.]+)\s*元/;

function checkFooter(footer: string[], counts: TradeCounts, paymentReceived: number, refundReceived: number): void {
  const trade = footer.map((line) => TRADE_TOTAL.exec(line)).find(Boolean);
  if (!trade) throw statementInvalid('alipay', `${WHAT} has no "#交易合计" totals line`);
  checkTotal('the number of payments (交易合计)', Number(trade[1]), counts.payments, WHAT, 0);
  checkTotal('the payments received (交易合计 商家实收)', yuan(trade[2] ?? ''), paymentReceived, WHAT);
  const refund = footer.map((line) => REFUND_TOTAL.exec(line)).find(Boolean);
  // Files with no refunds have been seen without the refund line; then there must be no refund rows.
  checkTotal('the number of refunds (退款合计)', refund ? Number(refund[1]) : 0, counts.refunds, WHAT, 0);
  // The refund sum is written negative, as the refund rows are; compare magnitudes.
  const refunded = refund ? Math.abs(yuan(refund[2] ?? '')) : 0;
  checkTotal('the refunds (退款合计 商家实收退款)', refunded, Math.abs(refundReceived), WHAT);
}

function yuan(text: string): number {
  const fen = yuanToSignedFen(text);
  if (fen === undefined) throw statementInvalid('alipay', `${WHAT}: the totals line amount "${text}" is not an amount`);
  return fen;
}
