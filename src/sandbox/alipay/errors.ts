/** Gateway result codes (Alipay "公共错误码") and their fixed `msg` texts. */
export const GATEWAY_MESSAGES = {
  '10000': 'Success',
  '20000': 'Service Currently Unavailable',
  '40001': 'Missing Required Arguments',
  '40002': 'Invalid Arguments',
  '40004': 'Business Failed',
} as const;

export type GatewayCode = keyof typeof GATEWAY_MESSAGES;

/**
 * A refusal the gateway answers in Alipay's own format: a `*_response` JSON for API calls, an
 * error page for the cashier, a `resultStatus` for the app SDK.
 */
export class GatewayFault extends Error {
  constructor(
    readonly code: Exclude<GatewayCode, '10000'>,
    readonly subCode: string,
    readonly subMsg: string,
    /** False only when the gateway cannot know whose answer it is (unknown app): no signature. */
    readonly signed = true,
  ) {
    super(`${subCode}: ${subMsg}`);
    this.name = 'GatewayFault';
  }

  /** Business fields Alipay echoes next to the failure (e.g. `out_trade_no`, `"0.00"` amounts). */
  echo?: Record<string, string>;
}

/** 40001 isv.missing-* */
export const missing = (name: string, subCode: string) =>
  new GatewayFault('40001', subCode, `缺少必选参数 ${name} (missing required parameter "${name}")`);
/** 40002 isv.invalid-parameter and friends. */
export const invalid = (subCode: string, subMsg: string) => new GatewayFault('40002', subCode, subMsg);
/** 40004 ACQ.* business failures. */
export const business = (subCode: string, subMsg: string) => new GatewayFault('40004', subCode, subMsg);
