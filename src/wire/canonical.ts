/**
 * The "sorted k=v&k=v" string that Alipay, WeChat Pay v2 and UnionPay sign: keys in ascending
 * code-unit order, raw (not URL-encoded) values, empty values skipped, `exclude` left out.
 */
export function canonicalString(
  params: Readonly<Record<string, string | undefined>>,
  exclude: readonly string[] = [],
): string {
  // Appended in place rather than joined from an array: one allocation fewer per field, on every notify.
  let out = '';
  for (const key of Object.keys(params).sort()) {
    const value = params[key];
    if (value === undefined || value === '' || exclude.includes(key)) continue;
    out += out === '' ? `${key}=${value}` : `&${key}=${value}`;
  }
  return out;
}
