/** Reads the forms of an HTML page the way a browser would submit them (tests without a browser). */
export interface HtmlForm {
  action: string;
  method: string;
  fields: Record<string, string>;
  /** `value`s of the submit buttons named `action` (cashier pages: pay, cancel, fail…). */
  buttons: string[];
}

const decode = (s: string) =>
  s
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)))
    .replace(/&#x([0-9a-f]+);/gi, (_, n: string) => String.fromCharCode(parseInt(n, 16)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

function attr(tag: string, name: string): string | undefined {
  const m = new RegExp(`\\s${name}\\s*=\\s*("([^"]*)"|'([^']*)')`, 'i').exec(tag);
  return m ? decode(m[2] ?? m[3] ?? '') : undefined;
}

export function parseForms(html: string, baseUrl: string): HtmlForm[] {
  const forms: HtmlForm[] = [];
  for (const m of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const open = m[1] ?? '';
    const inner = m[2] ?? '';
    const fields: Record<string, string> = {};
    for (const input of inner.matchAll(/<input\b[^>]*>/gi)) {
      const name = attr(input[0], 'name');
      if (name !== undefined) fields[name] = attr(input[0], 'value') ?? '';
    }
    const buttons: string[] = [];
    for (const button of inner.matchAll(/<button\b[^>]*>/gi)) {
      if (attr(button[0], 'name') === 'action') buttons.push(attr(button[0], 'value') ?? '');
    }
    forms.push({
      action: new URL(attr(open, 'action') ?? '', baseUrl).href,
      method: (attr(open, 'method') ?? 'get').toUpperCase(),
      fields,
      buttons,
    });
  }
  return forms;
}
