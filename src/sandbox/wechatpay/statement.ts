import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { beijingText, decimal, feeAt, onDay, type StatementRecord, yuan } from '../statement-records.js';

/**
 * WeChat Pay bills, as `download_url` (v3) or `downloadbill` (v2) serve them: UTF-8 CSV, a plain
 * header row, data rows with a backtick before every field, a plain totals header and a totals row
 * prefixed the same way; fees with five decimals (negative on refunds); a refund as its own row.
 * Format: https://pay.weixin.qq.com/docs/merchant/products/bill-download/format-trade.html
 */

/** Options of {@link wechatpayTradeBill}. */
export interface WechatpayTradeBillOptions {
  /** The bill day, `yyyy-MM-dd` (Beijing). Records of other days are left out. */
  day: string;
  appId: string;
  mchId: string;
  /** `ALL` (default), `SUCCESS` (payments only) or `REFUND` (refunds only). */
  billType?: 'ALL' | 'SUCCESS' | 'REFUND';
  /** `current` (default) or `legacy`: the older columns some merchants still get (总金额, no 订单金额). */
  format?: 'current' | 'legacy';
  /** Fee in basis points when a record has none; WeChat Pay's usual 0.6% is 60 (the default). */
  feeRate?: number;
}

const CURRENT = {
  ALL:
    '交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,' +
    '应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,' +
    '手续费,费率,订单金额,申请退款金额,费率备注',
  SUCCESS:
    '交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,' +
    '应结订单金额,代金券金额,商品名称,商户数据包,手续费,费率,订单金额,费率备注',
  REFUND:
    '交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,' +
    '应结订单金额,代金券金额,退款申请时间,退款成功时间,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,' +
    '退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注',
};
const CURRENT_TOTALS = '总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额';

const LEGACY = {
  ALL:
    '交易时间,公众账号ID,商户号,子商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,' +
    '总金额,代金券或立减优惠金额,微信退款单号,商户退款单号,退款金额,代金券或立减优惠退款金额,退款类型,退款状态,' +
    '商品名称,商户数据包,手续费,费率',
  SUCCESS:
    '交易时间,公众账号ID,商户号,子商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,' +
    '总金额,代金券或立减优惠金额,商品名称,商户数据包,手续费,费率',
  REFUND:
    '交易时间,公众账号ID,商户号,子商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,' +
    '总金额,代金券或立减优惠金额,退款申请时间,退款成功时间,微信退款单号,商户退款单号,退款金额,' +
    '代金券或立减优惠退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率',
};
const LEGACY_TOTALS = '总交易单数,总交易额,总退款金额,总代金券或立减优惠退款金额,手续费总金额';

/** Builds a trade bill for one day of the given records (UTF-8 bytes). */
export function wechatpayTradeBill(records: readonly StatementRecord[], options: WechatpayTradeBillOptions): Buffer {
  const billType = options.billType ?? 'ALL';
  const legacy = options.format === 'legacy';
  const header = (legacy ? LEGACY : CURRENT)[billType];
  const columns = header.split(',');
  const rate = options.feeRate ?? 60;
  const rows = onDay(records, options.day).filter(
    (r) => billType === 'ALL' || (billType === 'SUCCESS') === (r.kind === 'payment'),
  );
  const lines = [header];
  const sums = new Map<string, number>();
  const add = (name: string, units: number) => sums.set(name, (sums.get(name) ?? 0) + units);
  for (const r of rows) {
    const refund = r.kind === 'refund';
    // Fees are exact to 0.00001 yuan: the rate applied to fen gives thousandths of a fen.
    const feeMilli = r.fee !== undefined ? r.fee * 1000 : Math.round((r.amount * rate) / 10);
    const processing = refund && r.refundStatus !== undefined && r.refundStatus !== 'SUCCESS';
    const values: Record<string, string> = {
      交易时间: beijingText(refund && billType === 'REFUND' ? (r.paidAt ?? r.time) : r.time),
      公众账号ID: options.appId,
      商户号: options.mchId,
      特约商户号: '0',
      子商户号: '0',
      设备号: '',
      微信订单号: r.transactionId,
      商户订单号: r.tradeNo,
      用户标识: r.payer ?? 'oSandboxPayer000000000000000',
      交易类型: r.channel === 'app' ? 'APP' : 'MWEB',
      交易状态: refund ? 'REFUND' : 'SUCCESS',
      付款银行: 'OTHERS',
      货币种类: 'CNY',
      应结订单金额: yuan(refund ? 0 : r.amount),
      总金额: yuan(refund ? 0 : r.amount),
      代金券金额: '0.00',
      代金券或立减优惠金额: '0.00',
      退款申请时间: refund ? beijingText(r.time) : '',
      退款成功时间: refund && !processing ? beijingText(r.time) : '',
      微信退款单号: refund ? (r.providerRefundId ?? '') : '0',
      商户退款单号: refund ? (r.refundId ?? '') : '0',
      退款金额: yuan(refund ? r.amount : 0),
      充值券退款金额: '0.00',
      代金券或立减优惠退款金额: '0.00',
      退款类型: refund ? 'ORIGINAL' : '',
      退款状态: refund ? (r.refundStatus ?? 'SUCCESS') : '',
      商品名称: r.subject ?? '',
      商户数据包: '',
      手续费: decimal(refund ? -feeMilli : feeMilli, 5),
      费率: `${decimal(rate, 2)}%`,
      订单金额: yuan(refund ? 0 : r.amount),
      申请退款金额: yuan(refund ? r.amount : 0),
      费率备注: '',
    };
    lines.push(
      columns
        .map((c) => {
          const value = values[c];
          if (value === undefined) throw new Error(`statement column ${c} has no value`);
          return '`' + value;
        })
        .join(','),
    );
    add('应结订单金额', refund ? 0 : r.amount);
    add('退款金额', refund ? r.amount : 0);
    add('手续费', refund ? -feeMilli : feeMilli);
    add('申请退款金额', refund ? r.amount : 0);
  }
  const sum = (name: string) => sums.get(name) ?? 0;
  const totals = legacy
    ? [rows.length, yuan(sum('应结订单金额')), yuan(sum('退款金额')), '0.00', decimal(sum('手续费'), 5)]
    : [
        rows.length,
        yuan(sum('应结订单金额')),
        yuan(sum('退款金额')),
        '0.00',
        decimal(sum('手续费'), 5),
        yuan(sum('应结订单金额')),
        yuan(sum('申请退款金额')),
      ];
  lines.push(legacy ? LEGACY_TOTALS : CURRENT_TOTALS, totals.map((t) => '`' + String(t)).join(','));
  return Buffer.from(lines.join('\r\n') + '\r\n', 'utf8');
}

/** Options of {@link wechatpayFundFlowBill}. */
export interface WechatpayFundFlowBillOptions {
  /** The bill day, `yyyy-MM-dd` (Beijing). */
  day: string;
  mchId: string;
  /** The balance before the day's first movement, in fen. Default 0. */
  openingBalance?: number;
  /** Fee in basis points when a record has none. Default 60. */
  feeRate?: number;
}

const FUND_HEADER =
  '记账时间,微信支付业务单号,资金流水单号,业务名称,业务类型,收支类型,收支金额（元）,账户结余（元）,资金变更提交申请人,' +
  '备注,业务凭证号';

/**
 * Builds a fund-flow bill (BASIC account): income for each payment, the fee deducted, money out
 * for each refund. Fees here are whole fen, as the account moves.
 */
export function wechatpayFundFlowBill(
  records: readonly StatementRecord[],
  options: WechatpayFundFlowBillOptions,
): Buffer {
  const rate = options.feeRate ?? 60;
  let balance = options.openingBalance ?? 0;
  let serial = 0;
  const totals = { in: 0, inSum: 0, out: 0, outSum: 0 };
  const lines = [FUND_HEADER];
  const move = (time: Date, id: string, name: string, fen: number, by: string, voucher = '') => {
    balance += fen;
    serial += 1;
    if (fen >= 0) {
      totals.in += 1;
      totals.inSum += fen;
    } else {
      totals.out += 1;
      totals.outSum -= fen;
    }
    const values = [
      beijingText(time),
      id,
      `${id}${String(serial).padStart(6, '0')}`,
      name,
      name,
      fen >= 0 ? '收入' : '支出',
      yuan(Math.abs(fen)),
      yuan(balance),
      by,
      '',
      voucher,
    ];
    lines.push(values.map((v) => '`' + v).join(','));
  };
  for (const r of onDay(records, options.day)) {
    const fee = r.fee ?? feeAt(r.amount, rate);
    if (r.kind === 'payment') {
      move(r.time, r.transactionId, '交易', r.amount, 'system');
      if (fee) move(r.time, r.transactionId, '扣除交易手续费', -fee, 'system');
    } else {
      const id = r.providerRefundId ?? r.transactionId;
      move(r.time, id, '退款', -r.amount, `${options.mchId}API`, r.refundId ?? '');
      if (fee) move(r.time, id, '退还交易手续费', fee, 'system');
    }
  }
  lines.push(
    '资金流水总笔数,收入笔数,收入金额,支出笔数,支出金额',
    [totals.in + totals.out, totals.in, yuan(totals.inSum), totals.out, yuan(totals.outSum)]
      .map((t) => '`' + String(t))
      .join(','),
  );
  return Buffer.from(lines.join('\r\n') + '\r\n', 'utf8');
}

/** What the download answers, and the digest the v3 bill request announced. */
export interface WechatpayBillDownload {
  /** The response body: the bill, gzipped when asked. */
  body: Buffer;
  hashType: 'SHA1';
  /** Lower-case hex SHA-1 of the uncompressed bill. */
  hashValue: string;
}

/** Packs a bill for download: `tar_type=GZIP` compresses it; the digest is of the bill itself. */
export function wechatpayBillDownload(bill: Buffer, options: { gzip?: boolean } = {}): WechatpayBillDownload {
  return {
    body: options.gzip ? gzipSync(bill) : bill,
    hashType: 'SHA1',
    hashValue: createHash('sha1').update(bill).digest('hex'),
  };
}

/** v2 `downloadbill` failures: no business that day, bill not generated yet, and request errors. */
export type WechatpayV2BillFailure =
  | 'No Bill Exist'
  | 'Bill Creating'
  | 'invalid bill_date'
  | 'invalid bill_type'
  | 'invalid tar_type, Only GZIP supported';

/** The XML v2 `downloadbill` answers a failure with (unsigned). */
export function wechatpayV2BillError(failure: WechatpayV2BillFailure): string {
  const code = failure === 'No Bill Exist' ? '<error_code><![CDATA[20002]]></error_code>' : '';
  return `<xml><return_code><![CDATA[FAIL]]></return_code><return_msg><![CDATA[${failure}]]></return_msg>${code}</xml>`;
}
