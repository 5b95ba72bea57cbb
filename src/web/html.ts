// HTML built from tagged templates: every interpolated value is escaped unless it is already markup.
import { escapeHtml } from '../util/html.js';

export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

type Part = SafeHtml | string | number | null | undefined | false | Part[];

function render(p: Part): string {
  if (p === null || p === undefined || p === false) return '';
  if (Array.isArray(p)) return p.map(render).join('');
  if (p instanceof SafeHtml) return p.value;
  return escapeHtml(String(p));
}

export function html(strings: TemplateStringsArray, ...values: Part[]): SafeHtml {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!;
  return new SafeHtml(out);
}

/** A message text as markup: escaped, its line breaks kept. */
export function textBlock(s: string): SafeHtml {
  return new SafeHtml(s.split('\n').map(escapeHtml).join('<br>'));
}
