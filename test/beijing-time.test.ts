import { describe, expect, it } from 'vitest';
import { parseBeijing } from '../src/wire/time.js';

/**
 * Provider times (Alipay `gmt_payment`, WeChat v2 `time_end`, UnionPay `txnTime`) are Beijing wall
 * clock. `parseBeijing` checks the fields itself; this reference builds the instant with Date and
 * keeps it only when it reads back the same fields (Date would roll 31 Feb over into March).
 */
function reference(y: number, mo: number, d: number, h: number, mi: number, s: number): number | undefined {
  const ms = Date.UTC(y, mo - 1, d, h, mi, s) - 8 * 3600_000;
  const b = new Date(ms + 8 * 3600_000);
  const same =
    b.getUTCFullYear() === y &&
    b.getUTCMonth() === mo - 1 &&
    b.getUTCDate() === d &&
    b.getUTCHours() === h &&
    b.getUTCMinutes() === mi &&
    b.getUTCSeconds() === s;
  return same ? ms : undefined;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

describe('parseBeijing', () => {
  it('agrees with a round trip through Date on every field, edge values and leap years included', () => {
    let checked = 0;
    for (const y of [0, 50, 99, 100, 1900, 1999, 2000, 2023, 2024, 2100, 9999]) {
      for (let mo = 0; mo <= 13; mo++) {
        for (let d = 0; d <= 32; d++) {
          for (const [h, mi, s] of [
            [0, 0, 0],
            [23, 59, 59],
            [24, 0, 0],
            [12, 60, 0],
            [12, 0, 60],
          ] as const) {
            const expected = reference(y, mo, d, h, mi, s);
            const texts = [
              `${pad(y, 4)}-${pad(mo)}-${pad(d)} ${pad(h)}:${pad(mi)}:${pad(s)}`,
              `${pad(y, 4)}${pad(mo)}${pad(d)}${pad(h)}${pad(mi)}${pad(s)}`,
            ];
            for (const text of texts) expect(parseBeijing(text)?.getTime(), text).toBe(expected);
            checked++;
          }
        }
      }
    }
    expect(checked).toBe(11 * 14 * 33 * 5);
  });

  it('reads a payment time as the instant it names', () => {
    expect(parseBeijing('2026-11-25 17:50:12')?.toISOString()).toBe('2026-11-25T09:50:12.000Z');
    expect(parseBeijing('20240229000000')?.toISOString()).toBe('2024-02-28T16:00:00.000Z');
    expect(parseBeijing('20230229000000')).toBeUndefined();
    expect(parseBeijing('2026-11-25 17:50')).toBeUndefined();
    expect(parseBeijing('2026-11-25 17:50:12&x=1')).toBeUndefined();
  });
});
