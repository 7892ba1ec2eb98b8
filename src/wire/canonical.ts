/**
 * The "sorted k=v&k=v" string that Alipay, WeChat Pay v2 and UnionPay sign: keys in ascending
 * code-unit order, raw (not URL-encoded) values, empty values skipped, `exclude` left out.
 */
export function canonicalString(
  params: Readonly<Record<string, string | undefined>>,
  exclude: readonly string[] = [],
): string {
  const parts: string[] = [];
  for (const key of Object.keys(params).sort()) {
    const value = params[key];
    if (value === undefined || value === '' || exclude.includes(key)) continue;
    parts.push(`${key}=${value}`);
  }
  return parts.join('&');
}
