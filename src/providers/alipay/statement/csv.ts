/**
 * Splits one line of an Alipay statement CSV. Alipay writes plain comma-separated cells and pads
 * long numbers with a TAB so spreadsheets keep them as text; quotes are honoured (RFC 4180) in case
 * a cell holds a comma, and a quote inside an unquoted cell is kept as a character.
 */
export function splitCsvLine(line: string): string[] {
  if (!line.includes('"')) return line.split(',');
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  let atStart = true;
  for (let i = 0; i < line.length; i++) {
    const c = line.charAt(i);
    if (quoted) {
      if (c !== '"') cell += c;
      else if (line[i + 1] === '"') {
        cell += '"';
        i++;
      } else quoted = false;
    } else if (c === ',') {
      cells.push(cell);
      cell = '';
      atStart = true;
      continue;
    } else if (c === '"' && atStart) quoted = true;
    else cell += c;
    atStart = false;
  }
  cells.push(cell);
  return cells;
}

/** A cell as the row means it: Alipay's padding TABs removed, surrounding spaces trimmed. */
export function cleanCell(cell: string): string {
  return (cell.includes('\t') ? cell.replace(/\t/g, '') : cell).trim();
}

/**
 * A column name for lookups: cleaned, and with ASCII parentheses read as the full-width ones
 * Alipay writes (`订单金额(元)` and `订单金额（元）` name the same column).
 */
export function columnKey(name: string): string {
  return cleanCell(name).replace(/\s/g, '').replace(/\(/g, '（').replace(/\)/g, '）');
}
