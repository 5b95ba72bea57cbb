// Turning results, errors and warnings into MediaWiki's JSON: formatversion 1/2, every errorformat.
import { randomBytes } from 'node:crypto';
import type { I18n } from '../i18n/index.js';
import type { ApiMessage } from './errors.js';

export const ERROR_FORMATS = ['bc', 'plaintext', 'wikitext', 'html', 'raw', 'none'] as const;
export type ErrorFormat = (typeof ERROR_FORMATS)[number];

/** Marks an object whose named key holds "content": in formatversion 1 that key is printed as "*". */
export const CONTENT = Symbol('content');
export type WithContent = Record<string, unknown> & { [CONTENT]?: string };

export function content<T extends Record<string, unknown>>(obj: T, key: keyof T & string): T {
  Object.defineProperty(obj, CONTENT, { value: key, enumerable: false });
  return obj;
}

/**
 * Marks an object whose keys must print in insertion order even when some look like integers (a JS
 * object puts "0"…"15" before "-2" and "-1"; PHP keeps the order they were added in, as in siteinfo's
 * namespaces).
 */
export const KEY_ORDER = Symbol('keyOrder');

export function ordered<T extends Record<string, unknown>>(obj: T, keys: string[] = Object.keys(obj)): T {
  Object.defineProperty(obj, KEY_ORDER, { value: keys, enumerable: false });
  return obj;
}

/** A value printed as an array even when empty or keyed (MediaWiki's META_TYPE=array). */
export function toFv1(value: unknown): unknown {
  if (typeof value === 'boolean') return value ? '' : undefined;
  if (Array.isArray(value)) return value.map((v) => toFv1(v)).filter((v) => v !== undefined);
  if (value && typeof value === 'object') {
    const ck = (value as WithContent)[CONTENT];
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (k === ck) continue;
      const t = toFv1(v);
      if (t === undefined) continue;
      out[k] = t;
    }
    // MediaWiki's BC transform moves the content value to a new "*" key, so it is printed last.
    if (ck !== undefined && ck in value) {
      const t = toFv1((value as Record<string, unknown>)[ck]);
      if (t !== undefined) out['*'] = t;
    }
    const order = (value as { [KEY_ORDER]?: string[] })[KEY_ORDER];
    if (order) ordered(out, order.filter((k) => k in out));
    return out;
  }
  return value;
}

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

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export class ErrorFormatter {
  constructor(
    private readonly i18n: I18n,
    readonly format: ErrorFormat,
    readonly lang: string,
    readonly fv: 1 | 2,
  ) {}

  text(m: ApiMessage, lang = this.lang): string {
    return this.i18n.text(lang, m.key, ...m.params);
  }

  /** One error or warning as an item of "errors"/"warnings" (every format but bc). */
  item(m: ApiMessage, module: string | null): Record<string, unknown> {
    const out: Record<string, unknown> = { code: m.code };
    let textKey: string | null = null;
    let text = '';
    switch (this.format) {
      case 'plaintext':
        textKey = 'text';
        text = stripMarkup(this.text(m));
        break;
      case 'wikitext':
        textKey = 'text';
        text = this.text(m);
        break;
      case 'html':
        textKey = 'html';
        text = escapeHtml(this.text(m)).replace(/\n/g, '<br />');
        break;
      case 'raw':
        out.key = m.key;
        out.params = m.params;
        break;
    }
    // formatversion 2 puts the text right after the code; formatversion 1 prints it last, as "*".
    if (textKey && this.fv === 2) out[textKey] = text;
    if (m.data && Object.keys(m.data).length) out.data = m.data;
    if (module !== null) out.module = module;
    if (textKey && this.fv === 1) out['*'] = text;
    return out;
  }

  /** A message for a free-text field such as login's "reason": a string in bc, an object otherwise. */
  field(m: ApiMessage): unknown {
    if (this.format === 'bc') return stripMarkup(this.i18n.text('en', m.key, ...m.params));
    return this.item(m, null);
  }

  /** The bc "error" object: code, English info, data, then the docref. */
  bcError(m: ApiMessage, docref: string): Record<string, unknown> {
    const out: Record<string, unknown> = { code: m.code, info: stripMarkup(this.i18n.text('en', m.key, ...m.params)) };
    if (m.data) Object.assign(out, m.data);
    out.docref = docref;
    return content(out, 'docref');
  }

  /** Warnings grouped as the format wants them; bc groups by module, newest module first. */
  warnings(list: Array<{ module: string; msg: ApiMessage }>): unknown {
    if (this.format !== 'bc') return list.map((w) => this.item(w.msg, w.module));
    const byModule = new Map<string, string>();
    for (const w of list) {
      const name = w.module.split('+').pop()!;
      const text = stripMarkup(this.i18n.text('en', w.msg.key, ...w.msg.params));
      const cur = byModule.get(name);
      byModule.set(name, cur === undefined ? text : `${cur}\n${text}`);
    }
    const out: Record<string, unknown> = {};
    for (const [name, text] of [...byModule].reverse()) out[name] = content({ warnings: text }, 'warnings');
    return out;
  }
}

/** JSON as MediaWiki prints it: "/" unescaped; non-ASCII escaped unless allowed; <>& per the flags. */
export function encodeJson(value: unknown, opts: { utf8: boolean; escapeXmlMeta: boolean; pretty?: boolean }): string {
  let s = stringify(value, opts.pretty ?? false);
  if (!opts.utf8) s = s.replace(/[\u0080-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
  else s = s.replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
  if (opts.escapeXmlMeta) s = s.replace(/</g, '\\u003C').replace(/>/g, '\\u003E').replace(/&/g, '\\u0026');
  return s;
}


/** JSON.stringify (indent 4 when pretty), except that objects marked by `ordered` keep their key order. */
function stringify(value: unknown, pretty: boolean): string {
  const held: unknown[] = [];
  // A fresh tag each time, so that no string in the data can pass for a placeholder.
  const tag = `ordered-${randomBytes(6).toString('hex')}:`;
  const replacer = (_key: string, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v) && (v as { [KEY_ORDER]?: string[] })[KEY_ORDER]) {
      held.push(v);
      return `\u0000${tag}${held.length - 1}`;
    }
    return v;
  };
  const s = JSON.stringify(value, replacer, pretty ? 4 : undefined) ?? 'null';
  if (held.length === 0) return s;
  const placeholder = new RegExp(`( *)(?:"[^"\\n]*": )?"\\\\u0000${tag}(\\d+)"`, 'g');
  return s.replace(placeholder, (whole, indent: string, n: string) => {
    const obj = held[Number(n)] as (Record<string, unknown> & { [KEY_ORDER]: string[] }) | undefined;
    if (!obj) return whole;
    const parts: string[] = [];
    for (const k of obj[KEY_ORDER]) {
      if (!(k in obj)) continue;
      const v = obj[k];
      if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
      const inner = stringify(v, pretty);
      parts.push(pretty ? `${JSON.stringify(k)}: ${inner.replace(/\n/g, '\n    ')}` : `${JSON.stringify(k)}:${inner}`);
    }
    let body: string;
    if (parts.length === 0) body = '{}';
    else if (pretty) body = `{\n    ${parts.join(',\n    ')}\n}`;
    else body = `{${parts.join(',')}}`;
    // Keep what preceded the placeholder on its line (indentation and key); indent the object's lines to it.
    const prefix = whole.slice(0, whole.lastIndexOf(`"\\u0000${tag}`));
    return prefix + (pretty ? body.replace(/\n/g, `\n${indent}`) : body);
  });
}
