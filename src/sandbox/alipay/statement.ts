import AdmZip from 'adm-zip';
import iconv from 'iconv-lite';
import {
  beijing,
  beijingInstant,
  beijingText,
  dosTime,
  feeAt,
  nextDay,
  onDay,
  type StatementRecord,
  yuan,
} from '../statement-records.js';

/**
 * The file behind Alipay's `bill_download_url`: `<account>_<yyyyMMdd>.csv.zip`, where the account is
 * the PID followed by `0156`, holding GBK CSV files with GBK entry names (no UTF-8 flag), CRLF line
 * ends, `#` comment lines, dashed markers around the rows and `#` totals lines, as Alipay's bill
 * format notes for `alipay.data.dataservice.bill.downloadurl.query` lay them out.
 */

/** Options of {@link alipayStatement}. */
export interface AlipayStatementOptions {
  /** The bill day, `yyyy-MM-dd` (Beijing). Records of other days are left out. */
  day: string;
  /** The merchant's 16-digit PID (`2088…`). */
  pid: string;
  /** `trade` (业务明细, default) or `signcustomer` (账务明细, the account ledger). */
  billType?: 'trade' | 'signcustomer';
  /** The 导出时间 written in the files. Default 08:00 the next day. */
  exportedAt?: Date;
  /** Fee (服务费) in basis points when a record has none. Default 0: the files show `0.00`. */
  feeRate?: number;
  /** Ledger only: the balance before the day's first row, in fen. Default 0. */
  openingBalance?: number;
  /** Put the summary entry first. Default: on odd days, so clients cannot rely on entry order. */
  summaryFirst?: boolean;
}

/** The downloaded archive: its file name and bytes. */
export interface AlipayStatementFile {
  fileName: string;
  bytes: Buffer;
}

const TAB = '\t';
const dashes = (n: number) => '-'.repeat(n);

/** Builds the archive Alipay serves for one day's bill of the given records. */
export function alipayStatement(
  records: readonly StatementRecord[],
  options: AlipayStatementOptions,
): AlipayStatementFile {
  const account = `${options.pid}0156`;
  const date = options.day.replace(/-/g, '');
  const exportedAt = options.exportedAt ?? beijingInstant(nextDay(options.day), 8);
  const rows = onDay(records, options.day);
  const ctx = { account, day: options.day, exportedAt, rate: options.feeRate ?? 0 };
  const files: [name: string, text: string][] =
    options.billType === 'signcustomer'
      ? [[`${account}_${date}_账务明细.csv`, ledger(rows, ctx, options.openingBalance ?? 0)]]
      : [
          [`${account}_${date}_业务明细.csv`, detail(rows, ctx)],
          [`${account}_${date}_业务明细(汇总).csv`, summary(rows, ctx)],
        ];
  if (options.summaryFirst ?? Number(options.day.slice(8)) % 2 === 1) files.reverse();
  // Entry names in GBK with the UTF-8 flag clear, as Alipay's archives have them.
  const zip = new AdmZip({
    noSort: true,
    decoder: {
      efs: false,
      encode: (name: string) => iconv.encode(name, 'gbk'),
      decode: (b: Buffer) => iconv.decode(b, 'gbk'),
    },
  });
  for (const [name, text] of files) {
    const entry = zip.addFile(name, iconv.encode(text.split('\n').join('\r\n'), 'gbk'));
    entry.header.timeval = dosTime(exportedAt);
  }
  return { fileName: `${account}_${date}.csv.zip`, bytes: zip.toBuffer() };
}

interface Context {
  account: string;
  day: string;
  exportedAt: Date;
  rate: number;
}

/** `[2024年01月01日 00:00:00]` */
function cnTime(date: Date): string {
  const b = beijing(date);
  return `[${b.yyyy}年${b.MM}月${b.dd}日 ${b.HH}:${b.mm}:${b.ss}]`;
}

function preamble(title: string, ctx: Context): string[] {
  const start = beijingInstant(ctx.day);
  const end = beijingInstant(nextDay(ctx.day));
  return [`#${title}`, `#账号：[${ctx.account}]`, `#起始日期：${cnTime(start)}   终止日期：${cnTime(end)}`];
}

const feeOf = (r: StatementRecord, ctx: Context) => r.fee ?? feeAt(r.amount, ctx.rate);

const TRADE_HEADER =
  '支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,' +
  '订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,' +
  '商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注';

function detail(rows: StatementRecord[], ctx: Context): string {
  const lines = preamble('支付宝业务明细查询', ctx);
  lines.push(`#${dashes(41)}业务明细列表${dashes(40)}`, TRADE_HEADER);
  const sums = { payments: 0, paid: 0, refunds: 0, refunded: 0 };
  for (const r of rows) {
    const refund = r.kind === 'refund';
    const signed = refund ? -r.amount : r.amount;
    const fee = refund ? -feeOf(r, ctx) : feeOf(r, ctx);
    if (refund) {
      sums.refunds += 1;
      sums.refunded += signed;
    } else {
      sums.payments += 1;
      sums.paid += signed;
    }
    const zero = '0.00';
    lines.push(
      [
        r.transactionId + TAB,
        r.tradeNo + TAB,
        (refund ? '退款' : '交易') + TAB,
        csvText(r.subject ?? ''),
        beijingText(r.paidAt ?? r.time),
        beijingText(r.time),
        TAB,
        TAB,
        TAB,
        TAB,
        (r.payer ?? '*沙(138****0000)') + TAB,
        yuan(signed),
        yuan(signed),
        zero,
        zero,
        zero,
        zero,
        zero,
        '',
        zero + TAB,
        zero,
        (refund ? (r.refundId ?? '') : '') + TAB,
        yuan(fee),
        zero,
        '',
      ].join(','),
    );
  }
  lines.push(
    `#${dashes(41)}业务明细列表结束${dashes(36)}`,
    `#交易合计：${sums.payments}笔，商家实收共${yuan(sums.paid)}元，商家优惠共0.00元`,
    `#退款合计：${sums.refunds}笔，商家实收退款共${yuan(sums.refunded)}元，商家优惠退款共0.00元`,
    `#导出时间：${cnTime(ctx.exportedAt)}`,
  );
  return lines.join('\n') + '\n';
}

function summary(rows: StatementRecord[], ctx: Context): string {
  const payments = rows.filter((r) => r.kind === 'payment');
  const refunds = rows.filter((r) => r.kind === 'refund');
  const net = payments.reduce((s, r) => s + r.amount, 0) - refunds.reduce((s, r) => s + r.amount, 0);
  const fee = payments.reduce((s, r) => s + feeOf(r, ctx), 0) - refunds.reduce((s, r) => s + feeOf(r, ctx), 0);
  const figures = [payments.length, refunds.length, yuan(net), yuan(net), '0.00', '0.00', '0.00', yuan(fee), '0.00'];
  const lines = preamble('支付宝业务汇总查询', ctx);
  lines.push(
    `#${dashes(41)}业务汇总列表${dashes(40)}`,
    '门店编号,门店名称,交易订单总笔数,退款订单总笔数,订单金额（元）,商家实收（元）,支付宝优惠（元）,商家优惠（元）,' +
      '卡消费金额（元）,服务费（元）,分润（元）,实收净额（元）',
    ['', '', ...figures, yuan(net - fee)].join(','),
    ['合计', '', ...figures, yuan(net - fee)].join(','),
    `#${dashes(40)}业务汇总列表结束${dashes(37)}`,
    `#导出时间：${cnTime(ctx.exportedAt)}`,
  );
  return lines.join('\n') + '\n';
}

function ledger(rows: StatementRecord[], ctx: Context, opening: number): string {
  const lines = preamble('支付宝账务明细查询', ctx);
  lines.push(
    `#${dashes(41)}账务明细列表${dashes(40)}`,
    '账务流水号,业务流水号,商户订单号,商品名称,发生时间,对方账号,收入金额（+元）,支出金额（-元）,账户余额（元）,' +
      '交易渠道,业务类型,备注',
  );
  let balance = opening;
  let serial = 0;
  const totals = { in: 0, inSum: 0, out: 0, outSum: 0 };
  const push = (r: StatementRecord, type: string, counterpart: string, delta: number, remark = '') => {
    balance += delta;
    serial += 1;
    if (delta > 0) {
      totals.in += 1;
      totals.inSum += delta;
    } else {
      totals.out += 1;
      totals.outSum += delta;
    }
    const id = `${ctx.day.replace(/-/g, '')}2000400111${String(serial).padStart(12, '0')}`;
    lines.push(
      [
        id + TAB,
        r.transactionId + TAB,
        r.tradeNo + TAB,
        csvText(type === '收费' ? '服务费' : (r.subject ?? '')),
        beijingText(r.time),
        counterpart + TAB,
        yuan(Math.max(delta, 0)),
        yuan(Math.min(delta, 0)),
        yuan(balance),
        '支付宝' + TAB,
        type + TAB,
        remark,
      ].join(','),
    );
  };
  for (const r of rows) {
    const fee = feeOf(r, ctx);
    const payer = r.payer ?? '*沙(138****0000)';
    if (r.kind === 'payment') {
      push(r, '在线支付', payer, r.amount);
      if (fee) push(r, '收费', '支付宝(中国)网络技术有限公司', -fee);
    } else {
      push(r, '交易退款', payer, -r.amount, r.refundId ?? '');
      if (fee) push(r, '收费退回', '支付宝(中国)网络技术有限公司', fee);
    }
  }
  lines.push(
    `#${dashes(40)}账务明细列表结束${dashes(37)}`,
    `#支出合计：${totals.out}笔，共${yuan(totals.outSum)}元`,
    `#收入合计：${totals.in}笔，共${yuan(totals.inSum)}元`,
    `#导出时间：${cnTime(ctx.exportedAt)}`,
  );
  return lines.join('\n') + '\n';
}

/** Alipay writes free text as is; a comma or line break would break the row, so it is replaced. */
const csvText = (text: string) => text.replace(/[,\r\n]/g, ' ');
