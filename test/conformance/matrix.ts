import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** A cell of the matrix: passed, failed, or not applicable to that framework. */
export type Cell = '✓' | '✗' | '–';

/** Collects one cell per (check, framework) and writes the matrix as a Markdown table. */
export class Matrix {
  private readonly cells = new Map<string, Map<string, Cell>>();

  constructor(
    private readonly rows: readonly { group: string; title: string }[],
    private readonly columns: readonly { id: string; label: string }[],
  ) {}

  set(row: string, column: string, cell: Cell): void {
    let line = this.cells.get(row);
    if (!line) this.cells.set(row, (line = new Map()));
    line.set(column, cell);
  }

  /** Cells never recorded (a run filtered with -t, or a crash before the check) show as blank. */
  toMarkdown(): string {
    const head = `| check | ${this.columns.map((c) => c.label).join(' | ')} |`;
    const rule = `|---|${this.columns.map(() => ':-:').join('|')}|`;
    const body = this.rows.map((r) => {
      const line = this.cells.get(r.title);
      const title = `**${r.group}** ${r.title.replace(/\|/g, '\\|')}`;
      return `| ${title} | ${this.columns.map((c) => line?.get(c.id) ?? ' ').join(' | ')} |`;
    });
    const failed = [...this.cells.values()].reduce(
      (n, line) => n + [...line.values()].filter((c) => c === '✗').length,
      0,
    );
    return [
      '# paymount adapter conformance',
      '',
      'Written by `test/conformance.test.ts`: every check runs against a real app of each framework major',
      'on 127.0.0.1, paying against the local sandbox. ✓ passed, ✗ failed, – does not apply (the fetch',
      'adapter has no host body parsers in front of it).',
      '',
      head,
      rule,
      ...body,
      '',
      failed === 0 ? 'All applicable checks passed.' : `${failed} check(s) failed.`,
      '',
    ].join('\n');
  }

  write(path: string): void {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, this.toMarkdown());
  }
}
