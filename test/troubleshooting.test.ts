import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../src/index.js';

const page = readFileSync(new URL('../docs/troubleshooting.md', import.meta.url), 'utf8');

describe('docs/troubleshooting.md', () => {
  it('explains every error code, with the status the code answers', () => {
    const documented = [...page.matchAll(/^### ([A-Z_]+)\n\*\*(\d{3})/gm)].map((m) => `${m[1]} ${m[2]}`);
    const table = Object.entries(ERROR_CODES).map(([code, info]) => `${code} ${info.status}`);
    expect(documented.sort()).toEqual(table.sort());
  });
});
