import { ProviderError } from '../../../errors/index.js';
import { statementEmpty, statementNotReady } from '../../../wire/statement/errors.js';

/**
 * v2 `downloadbill` answers a bill as plain CSV text, and a failure as XML:
 * `<xml><return_code><![CDATA[FAIL]]></return_code><return_msg><![CDATA[No Bill Exist]]></return_msg>
 * <error_code><![CDATA[20002]]></error_code></xml>`. "No Bill Exist" (error_code 20002) means no
 * business that day, "Bill Creating" that the bill is not generated yet (it is, from 09:00 the next
 * day). WeChat Pay documentation: https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_6
 */

/** One element's text, CDATA or plain; the answer is a few flat fields, never nested. */
function field(xml: string, name: string): string | undefined {
  const m = new RegExp(`<${name}>\\s*(?:<!\\[CDATA\\[([\\s\\S]*?)\\]\\]>|([^<]*))\\s*</${name}>`).exec(xml);
  return m ? (m[1] ?? m[2] ?? '').trim() : undefined;
}

/** The error an XML answer to `downloadbill` stands for. */
export function v2BillError(xml: string): ProviderError {
  const returnCode = field(xml, 'return_code');
  const returnMsg = field(xml, 'return_msg') ?? '';
  const errorCode = field(xml, 'error_code');
  const raw = { return_code: returnCode, return_msg: returnMsg, ...(errorCode ? { error_code: errorCode } : {}) };
  // The documentation prints "NO Bill Exist"; answers write "No Bill Exist": compare without case.
  const msg = returnMsg.toLowerCase();
  if (msg === 'no bill exist' || errorCode === '20002')
    return statementEmpty('wechatpay', `no bill for that day (${returnMsg || `error_code ${errorCode}`})`, raw);
  if (msg === 'bill creating')
    return statementNotReady('wechatpay', 'the bill is still being generated (Bill Creating); try after 10:00', raw);
  return new ProviderError({
    provider: 'wechatpay',
    providerCode: errorCode ?? returnCode ?? 'FAIL',
    message: `downloadbill failed: ${returnMsg || 'no return_msg'}`,
    retryable: /system\s*error/i.test(returnMsg),
    raw,
  });
}
