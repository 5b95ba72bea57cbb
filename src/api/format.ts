// Errors and warnings as MediaWiki's error formatters put them into the result: bc (one "error" object,
// warnings grouped by module) and plaintext, wikitext, html, raw, none (lists of items), each marked
// with the metadata the printers need (content keys, XML tag names).
import type { I18n, MessageParam } from '../i18n/index.js';
import { escapeHtml } from '../util/html.js';
import type { ApiMessage } from './errors.js';
import { assoc, content, indexed, meta } from './result.js';

export { content, ordered } from './result.js';

export const ERROR_FORMATS = ['bc', 'plaintext', 'wikitext', 'html', 'raw', 'none'] as const;
export type ErrorFormat = (typeof ERROR_FORMATS)[number];

function stripMarkup(text: string): string {
  return text
    .replace(/<\/?(var|kbd|samp|code)>/g, '"')
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#0?39;/g, "'")
    .replace(/&amp;/g, '&');
}

/** A message parameter as errorformat=raw shows it (a message becomes {"message": {key, params}}). */
function rawParam(p: MessageParam): unknown {
  if (typeof p !== 'object') return p;
  if ('key' in p) return { message: rawMessage(p.key, p.params) };
  if ('list' in p) return { list: Array.isArray(p.list) ? [...p.list] : { ...p.list }, type: p.type };
  return { ...p };
}

export function rawMessage(key: string, params: MessageParam[]): Record<string, unknown> {
  return { key, params: indexed(params.map(rawParam), 'param') };
}

/** Two items are the same warning when every field is (MediaWiki drops such repeats). */
function sameItem(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export class ErrorFormatter {
  constructor(
    private readonly i18n: I18n,
    readonly format: ErrorFormat,
    readonly lang: string,
  ) {}

  text(m: ApiMessage, lang = this.lang): string {
    return this.i18n.text(lang, m.key, ...m.params);
  }

  /** One error or warning as an item of "errors"/"warnings" (every format but bc). */
  item(m: ApiMessage, module: string | null): Record<string, unknown> {
    const out: Record<string, unknown> = { code: m.code };
    switch (this.format) {
      case 'plaintext':
        out.text = stripMarkup(this.text(m));
        content(out, 'text');
        break;
      case 'wikitext':
        out.text = this.text(m);
        content(out, 'text');
        break;
      case 'html':
        out.html = escapeHtml(this.text(m)).replace(/\n/g, '<br />');
        content(out, 'html');
        break;
      case 'raw':
        Object.assign(out, rawMessage(m.key, m.params));
        break;
    }
    if (m.data && Object.keys(m.data).length) out.data = assoc({ ...m.data });
    if (module !== null) out.module = module;
    return out;
  }

  /** A message for a free-text field such as login's "reason": a string in bc, an object otherwise. */
  field(m: ApiMessage): unknown {
    if (this.format === 'bc') return stripMarkup(this.i18n.text('en', m.key, ...m.params));
    return this.item(m, null);
  }

  /** The bc "error" object: code, English info, data, then the docref as its content. */
  bcError(m: ApiMessage, docref: string): Record<string, unknown> {
    const out: Record<string, unknown> = { code: m.code, info: stripMarkup(this.i18n.text('en', m.key, ...m.params)) };
    if (m.data) Object.assign(out, m.data);
    out.docref = docref;
    return content(out, 'docref');
  }

  /** The "errors" list. */
  errors(list: Array<{ module: string | null; msg: ApiMessage }>): unknown {
    return indexed(list.map((e) => this.item(e.msg, e.module)), 'error');
  }

  /**
   * Warnings as the format wants them: a list of items (repeats dropped), or in bc one text per
   * module (the last part of its path), newest module first, repeated texts dropped.
   */
  warnings(list: Array<{ module: string; msg: ApiMessage }>): unknown {
    if (this.format !== 'bc') {
      const items: Array<Record<string, unknown>> = [];
      for (const w of list) {
        const item = this.item(w.msg, w.module);
        if (!items.some((x) => sameItem(x, item))) items.push(item);
      }
      return indexed(items, 'warning');
    }
    const byModule = new Map<string, string[]>();
    for (const w of list) {
      const name = w.module.split('+').pop()!;
      const text = stripMarkup(this.i18n.text('en', w.msg.key, ...w.msg.params));
      const texts = byModule.get(name) ?? [];
      if (!texts.includes(text)) texts.push(text);
      byModule.set(name, texts);
    }
    const out: Record<string, unknown> = {};
    for (const [name, texts] of [...byModule].reverse()) out[name] = content({ warnings: texts.join('\n') }, 'warnings');
    return meta(out, {});
  }
}
