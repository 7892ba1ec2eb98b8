/**
 * The fixed-width records of UnionPay's merchant reconciliation files (ACP 5.1.0 file transfer,
 * `fileType=00`), as the specification lays them out: "全渠道平台接入接口规范 第5部分 文件接口"
 * (open.unionpay.com). Widths are in bytes (GBK), each field followed by one separator byte
 * except the last. A ZM record (一般交易明细流水) is 42 fields, 566 data bytes, 607 bytes in all.
 */

/** A field of a record: its name, width in bytes and offset from the record's first byte. */
export interface Field {
  name: string;
  width: number;
  offset: number;
}

function layout(fields: readonly (readonly [string, number])[]): Field[] {
  let offset = 0;
  return fields.map(([name, width]) => {
    const field = { name, width, offset };
    offset += width + 1;
    return field;
  });
}

/** The ZM (general transaction detail) record, field by field. */
export const ZM_FIELDS: readonly Field[] = layout([
  ['交易代码', 3],
  ['代理机构标识码', 11],
  ['发送机构标识码', 11],
  ['系统跟踪号', 6],
  ['交易传输时间', 10],
  ['帐号', 19],
  ['交易金额', 12],
  ['商户类别', 4],
  ['终端类型', 2],
  ['查询流水号', 21],
  ['支付方式（旧）', 2],
  ['商户订单号', 32],
  ['支付卡类型', 2],
  ['原始交易的系统跟踪号', 6],
  ['原始交易日期时间', 10],
  ['商户手续费', 13],
  ['结算金额', 13],
  ['支付方式', 4],
  ['集团商户代码', 15],
  ['交易类型', 2],
  ['交易子类', 2],
  ['业务类型', 6],
  ['帐号类型', 2],
  ['账单类型', 4],
  ['账单号码', 32],
  ['交互方式', 1],
  ['原交易查询流水号', 21],
  ['商户代码', 15],
  ['分账入账方式', 1],
  ['二级商户代码', 15],
  ['二级商户简称', 32],
  ['二级商户分账入账金额', 13],
  ['清算净额', 13],
  ['终端号', 8],
  ['商户自定义域', 32],
  ['优惠金额', 13],
  ['发票金额', 13],
  ['分期付款附加手续费', 12],
  ['分期付款期数', 2],
  ['交易介质', 1],
  ['原始交易订单号', 32],
  ['保留使用', 98],
]);

/** Bytes in a full ZM record. */
export const ZM_RECORD_BYTES = 607;

/**
 * The ZME (error adjustment) record: 22 fields, 339 bytes. Only the first nine (shared with ZM)
 * have documented names here; the others are named by position.
 */
export const ZME_FIELDS: readonly Field[] = layout(
  [3, 11, 11, 6, 10, 19, 12, 4, 2, 2, 6, 10, 4, 12, 13, 13, 15, 15, 1, 12, 2, 135].map(
    (width, i) => [(i < 9 ? ZM_FIELDS[i]?.name : undefined) ?? `#${i + 1}`, width] as const,
  ),
);

/** Bytes in a full ZME record. */
export const ZME_RECORD_BYTES = 339;
