/**
 * Statements write money as decimal yuan strings (`35.80`, `-10.00`, `0.00600`, sometimes with a
 * `¥`). They are read into integers of a fixed scale with string arithmetic only: a float would
 * turn a day's sum of `0.1` + `0.2` into `0.30000000000000004`.
 */

const DECIMAL = /^([+-]?)[¥￥]?([+-]?)(\d{1,13})(?:\.(\d{1,10}))?$/;

/**
 * `"12.30"` at scale 2 → `1230`; `"-0.00600"` at scale 5 → `-600`; `"¥12.3"` → `1230`. Digits beyond
 * `scale` are accepted only when they are zeros (`"1.2300"` at scale 2). `undefined` for anything
 * else, including two signs and results beyond `Number.MAX_SAFE_INTEGER`.
 */
export function parseScaled(text: string, scale: number): number | undefined {
  const m = DECIMAL.exec(text.trim());
  if (!m) return undefined;
  // DECIMAL's digits group is not optional: a match always has it.
  const [, sign1, sign2, whole = '', fraction = ''] = m;
  if (sign1 && sign2) return undefined;
  if (fraction.length > scale && !/^0*$/.test(fraction.slice(scale))) return undefined;
  const units = Number(whole + fraction.slice(0, scale).padEnd(scale, '0'));
  if (!Number.isSafeInteger(units)) return undefined;
  return sign1 === '-' || sign2 === '-' ? -units : units;
}

/** Yuan → signed integer fen (`"-10.00"` → `-1000`). */
export function yuanToSignedFen(text: string): number | undefined {
  return parseScaled(text, 2);
}

/** Yuan → signed integer thousandths of a fen, i.e. units of 0.00001 yuan (`"0.00600"` → `600`). */
export function yuanToMilliFen(text: string): number | undefined {
  return parseScaled(text, 5);
}

/** Thousandths of a fen → fen, rounded half away from zero (`1500` → `2`, `-1500` → `-2`). */
export function milliFenToFen(milliFen: number): number {
  const abs = Math.abs(milliFen);
  const rounded = (abs - (abs % 1000)) / 1000 + (abs % 1000 >= 500 ? 1 : 0);
  return milliFen < 0 ? -rounded : rounded;
}

/** Signed integer units at `scale` → decimal text, for error messages (`-600`, 5 → `"-0.00600"`). */
export function formatScaled(units: number, scale: number): string {
  const digits = String(Math.abs(units)).padStart(scale + 1, '0');
  const text = scale ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits;
  return units < 0 ? `-${text}` : text;
}
