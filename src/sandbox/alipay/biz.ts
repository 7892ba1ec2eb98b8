import { parseBeijing } from '../wire/time.js';
import { GatewayFault, invalid } from './errors.js';

/**
 * `biz_content` checks: parsed once, each field read as what Alipay accepts.
 * Page and SDK methods refuse bad fields as `40002 isv.invalid-parameter`; trade APIs as
 * `40004 ACQ.INVALID_PARAMETER` (the caller chooses with `fail`).
 */

export type Biz = Readonly<Record<string, unknown>>;
export type Fail = (message: string) => GatewayFault;

const MAX_FEN = 100_000_000 * 100;
const AMOUNT = /^(\d+)(?:\.(\d{1,2}))?$/;
const OUT_TRADE_NO = /^[A-Za-z0-9_-]{1,64}$/;

/** Parses `biz_content`; it must be a JSON object. */
export function parseBiz(raw: string | undefined): Biz {
  if (raw === undefined || raw === '')
    throw invalid('isv.invalid-parameter', 'biz_content 不能为空 (biz_content is required for this method)');
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (error) {
    throw invalid(
      'isv.invalid-parameter',
      `biz_content 不是合法的 JSON (biz_content is not valid JSON: ${(error as Error).message})`,
    );
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalid('isv.invalid-parameter', 'biz_content 必须是 JSON 对象 (biz_content must be a JSON object)');
  }
  return value as Biz;
}

/** A string field, optionally required and length-limited. Numbers are not strings here. */
export function text(
  biz: Biz,
  name: string,
  fail: Fail,
  options: { required?: boolean; max?: number } = {},
): string | undefined {
  const value = biz[name];
  if (value === undefined || value === null || value === '') {
    if (options.required) throw fail(`${name} 不能为空 (biz_content.${name} is required)`);
    return undefined;
  }
  if (typeof value !== 'string') throw fail(`${name} 必须是字符串 (biz_content.${name} must be a string)`);
  if (options.max !== undefined && value.length > options.max)
    throw fail(`${name} 长度超过 ${options.max} (biz_content.${name} is longer than ${options.max} characters)`);
  return value;
}

/**
 * An amount in yuan (`"9.00"`; a JSON number like the Java sample sends is read as its text):
 * at most two decimals, 0.01 to 100000000. Returns fen, with integer arithmetic only.
 */
export function amountFen(value: unknown, name: string, fail: Fail): number {
  const raw = typeof value === 'number' ? String(value) : value;
  if (typeof raw !== 'string' || raw === '') throw fail(`${name} 不能为空 (${name} is required)`);
  const match = AMOUNT.exec(raw);
  if (!match || match[1]!.length > 12) {
    throw fail(
      `${name} 金额格式错误: "${raw}" (yuan with at most two decimals, e.g. "9.00"; got ${JSON.stringify(value)})`,
    );
  }
  const fen = Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
  if (fen < 1 || fen > MAX_FEN) throw fail(`${name} 金额超出范围: "${raw}" (must be between 0.01 and 100000000)`);
  return fen;
}

/** `out_trade_no`: letters, digits, `_` and `-`, at most 64. */
export function outTradeNo(biz: Biz, fail: Fail, required = true): string | undefined {
  const value = text(biz, 'out_trade_no', fail, { required });
  if (value !== undefined && !OUT_TRADE_NO.test(value)) {
    throw fail(`out_trade_no 格式错误: "${value}" (1 to 64 letters, digits, "_" or "-")`);
  }
  return value;
}

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const BEIJING_OFFSET = 8 * 60 * MINUTE;

/**
 * When an unpaid trade closes (`alipay.trade.wap.pay` request parameters): `time_expire`
 * (absolute Beijing time) wins over `timeout_express` (`90m`, `2h`, `15d`, `1c` = Beijing
 * midnight), counted from `createdAt`; default 15 days. The app channel treats anything under
 * 5 minutes as 5 minutes.
 */
export function expiryOf(biz: Biz, createdAt: Date, channel: 'wap' | 'app', fail: Fail): Date {
  const absolute = text(biz, 'time_expire', fail, { max: 32 });
  if (absolute !== undefined) {
    const date = parseBeijing(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/.test(absolute) ? `${absolute}:00` : absolute);
    if (!date) throw fail(`time_expire 格式错误: "${absolute}" (yyyy-MM-dd HH:mm:ss, Beijing time)`);
    return date;
  }
  const relative = text(biz, 'timeout_express', fail, { max: 6 });
  if (relative === undefined) return new Date(createdAt.getTime() + 15 * DAY);
  if (relative === '1c') {
    const beijingDay = Math.floor((createdAt.getTime() + BEIJING_OFFSET) / DAY);
    return new Date((beijingDay + 1) * DAY - BEIJING_OFFSET);
  }
  const match = /^([1-9]\d*)([mhd])$/.exec(relative);
  const minutes = match ? Number(match[1]) * { m: 1, h: 60, d: 24 * 60 }[match[2] as 'm' | 'h' | 'd'] : NaN;
  if (!match || minutes > 15 * 24 * 60) {
    throw fail(`timeout_express 格式错误: "${relative}" (an integer with m, h or d, from 1m to 15d, or 1c)`);
  }
  return new Date(createdAt.getTime() + Math.max(minutes, channel === 'app' ? 5 : 1) * MINUTE);
}
