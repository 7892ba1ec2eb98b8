import { describe, expect, it } from 'vitest';
import { parseForm, type Fields } from '../src/wire/form.js';

/**
 * `parseForm` walks the text with indexOf. It is checked here against the straightforward code over
 * many generated forms: malformed escapes, duplicates, empty pairs, pairs without "=", names that
 * `Object.prototype` has.
 */

/** The straightforward parser: split on "&", then on the first "=", `+` as a space, strict UTF-8. */
function reference(text: string): Fields {
  const fields: Fields = Object.create(null) as Fields;
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s.replaceAll('+', ' '));
    } catch {
      throw new Error(
        'malformed percent-encoding in form data (a "%" not followed by two hex digits, or invalid UTF-8)',
      );
    }
  };
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = decode(eq === -1 ? pair : pair.slice(0, eq));
    const value = eq === -1 ? '' : decode(pair.slice(eq + 1));
    if (Object.prototype.hasOwnProperty.call(fields, key)) throw new Error(`field "${key}" appears more than once`);
    fields[key] = value;
  }
  return fields;
}

const PIECES = [
  'a',
  'b',
  'sign',
  '=',
  '=',
  '&',
  '&',
  '+',
  '%',
  '%4',
  '%41',
  '%3D',
  '%26',
  '%2B',
  '%E6%B5%8B',
  '%E6%B5',
  '%C0%AF',
  '%zz',
  '测',
  '__proto__',
  'constructor',
  'toString',
];

/** A deterministic generator (xorshift), so that a failure names a form that can be replayed. */
function* forms(count: number): Generator<string> {
  let state = 0x2545f491;
  const next = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x1_0000_0000;
  };
  for (let n = 0; n < count; n++) {
    let text = '';
    const length = Math.floor(next() * 14);
    for (let i = 0; i < length; i++) text += PIECES[Math.floor(next() * PIECES.length)]!;
    yield text;
  }
}

type Outcome = { fields: [string, string][] } | { error: string };

function outcome(parse: (text: string) => Fields, text: string): Outcome {
  try {
    return { fields: Object.entries(parse(text)) };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

describe('parseForm', () => {
  it('reads every generated form as the split-based parser does, refusals and their messages included', () => {
    let refused = 0;
    let checked = 0;
    for (const text of forms(40_000)) {
      const expected = outcome(reference, text);
      expect(outcome(parseForm, text), text).toEqual(expected);
      if ('error' in expected) refused++;
      checked++;
    }
    // Both kinds of input are exercised, not only one.
    expect(refused).toBeGreaterThan(checked / 10);
    expect(checked - refused).toBeGreaterThan(checked / 10);
  });

  it('keeps each value whole when pairs without "=" come before one with it', () => {
    expect(Object.entries(parseForm('a&b&c=1&d&e=2=3'))).toEqual([
      ['a', ''],
      ['b', ''],
      ['c', '1'],
      ['d', ''],
      ['e', '2=3'],
    ]);
  });
});
