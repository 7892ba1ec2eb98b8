/**
 * UnionPay response codes (ACP `respCode`): `respCode` is two characters; `respMsg` is a text with a
 * 7-digit detail code in brackets (`重复交易[2010002]`). The detail codes 2010002, 2600000,
 * 9100004, 2011000, 4040007 and 1000005 are the ones seen in the wild; the others are the
 * simulator's own. The English after the Chinese text names the likely cause for developers.
 */

/** A request the gateway refuses: answered with `respCode` and `respMsg`, nothing recorded. */
export class GatewayError extends Error {
  constructor(
    readonly respCode: string,
    readonly detail: string,
    readonly text: string,
  ) {
    super(`${respCode}[${detail}]${text}`);
    this.name = 'GatewayError';
  }

  /** `text[detail]`, as UnionPay writes `respMsg`. */
  get respMsg(): string {
    return respMsg(this.text, this.detail);
  }
}

/**
 * `&` and `=` would break the raw `k=v&…` response format, and UnionPay's parser treats `{…}` and
 * `[…]` as nesting, so none of them appear in a message text (echoed values included).
 */
export function respMsg(text: string, detail: string): string {
  return `${text.replace(/[&={}[\]]/g, ' ')}[${detail}]`;
}

export const SUCCESS_MSG = respMsg('成功', '0000000');

/** Constructors for the refusals the simulator uses, one per cause. */
export const fail = {
  format: (text: string) => new GatewayError('10', '1000003', `报文格式错误 ${text}`),
  missing: (field: string) => new GatewayError('13', '1000002', `报文交易要素缺失 ${field} is required`),
  signature: (why: string) => new GatewayError('11', '9100004', `验证签名失败 Signature verification failed: ${why}`),
  certId: (certId: string) =>
    new GatewayError(
      '11',
      '9100003',
      `证书ID不存在 certId ${certId} is not a certificate this gateway issued (is certId the decimal serial of the signing certificate in your pfx, not hex, not a rounded float?)`,
    ),
  duplicate: (orderId: string) =>
    new GatewayError(
      '12',
      '2010002',
      `重复交易 orderId ${orderId} was already used by this merchant today: every transaction, refunds included, needs a new orderId`,
    ),
  merchant: (why: string) => new GatewayError('31', '3100001', `商户状态不正确 ${why}`),
  txnTime: (why: string) => new GatewayError('10', '1000004', `txnTime无效 ${why}`),
  notFound: () => new GatewayError('34', '2600000', '查无此交易'),
  original: (why: string) => new GatewayError('35', '2011000', `原交易不存在或状态不正确 ${why}`),
  mismatch: (why: string) => new GatewayError('36', '2011001', `与原交易信息不符 ${why}`),
  amount: (why: string) => new GatewayError('33', '2011002', `交易金额超限 ${why}`),
  window: (why: string) => new GatewayError('30', '4040007', `交易未通过 ${why}`),
  notAllowed: (why: string) => new GatewayError('39', '2011003', `交易不在受理时间范围内 ${why}`),
};
