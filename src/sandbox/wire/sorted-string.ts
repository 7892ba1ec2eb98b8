/**
 * The string that Alipay (RSA2), WeChat Pay API v2 (MD5 / HMAC-SHA256) and UnionPay ACP 5.1.0
 * sign, as each documents it:
 * - Alipay, "自行实现签名": every parameter, drop the empty ones, sort by name in ASCII order,
 *   join `name=value` with `&`, values as they are (not URL-encoded).
 * - WeChat Pay, "安全规范" (pay.weixin.qq.com, v2 signature algorithm): non-empty parameters in
 *   ASCII order of their names, `key1=value1&key2=value2`, names case-sensitive, `sign` left out.
 * - UnionPay, ACP 5.1.0 specification (全渠道): every field but `signature`, sorted by name, `key=value` joined
 *   with `&`, then digested.
 * Which fields each provider leaves out beyond empty ones (`sign`, `sign_type`, `signature`) is
 * the caller's `exclude`.
 *
 * The sandbox builds this string itself rather than borrowing paymount's: a simulator that shared
 * the client's signing code would agree with any mistake in it.
 */
export function sortedString(
  fields: Readonly<Record<string, string | undefined>>,
  exclude: readonly string[] = [],
): string {
  const names = Object.keys(fields).filter((name) => {
    const value = fields[name];
    return value !== undefined && value !== '' && !exclude.includes(name);
  });
  // Array#sort with no comparator orders by UTF-16 code units: ASCII order for these field names.
  names.sort();
  return names.map((name) => `${name}=${fields[name]}`).join('&');
}
