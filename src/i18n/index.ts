// Messages in MediaWiki's message syntax ($1, {{PLURAL:…}}, {{GENDER:…}}), one JSON file per language.
// Adding a language is adding one file to messages/.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Banana from 'banana-i18n';

const DIR = join(dirname(fileURLToPath(import.meta.url)), 'messages');

/**
 * A parameter: text, a number, another message rendered in the same language, or one of MediaWiki's
 * typed parameters (they show as such in errorformat=raw): plain text, a list, a duration in seconds.
 */
export type MessageParam =
  | string
  | number
  | { key: string; params: MessageParam[] }
  | { plaintext: string }
  | { num: number }
  | { list: Record<string, string | { plaintext: string }> | Array<string | { plaintext: string }>; type: 'comma' | 'text' }
  | { duration: number };

/** The message that renders a duration in seconds: the largest whole unit. */
export function durationMessage(seconds: number): { key: string; params: MessageParam[] } {
  if (seconds % 86400 === 0) return { key: 'duration-days', params: [seconds / 86400] };
  if (seconds % 3600 === 0) return { key: 'duration-hours', params: [seconds / 3600] };
  if (seconds % 60 === 0) return { key: 'duration-minutes', params: [seconds / 60] };
  return { key: 'duration-seconds', params: [seconds] };
}

export interface I18n {
  readonly languages: readonly string[];
  /** Renders a message in `lang`, falling back to English when the language or key is missing. */
  text(lang: string, key: string, ...params: MessageParam[]): string;
  has(key: string): boolean;
  /** The best supported language for a requested code (e.g. "ar-EG" → "ar"), or null. */
  resolve(code: string | null | undefined): string | null;
  direction(lang: string): 'ltr' | 'rtl';
}

function loadAll(): Map<string, Record<string, string>> {
  const all = new Map<string, Record<string, string>>();
  // "<lang>.json" is a language; "<lang>.<part>.json" adds keys to it (read after its base file).
  for (const file of readdirSync(DIR).sort((a, b) => a.split('.').length - b.split('.').length || a.localeCompare(b))) {
    if (!file.endsWith('.json')) continue;
    const [lang, part] = file.slice(0, -5).split('.') as [string, string | undefined];
    if (part !== undefined && !all.has(lang)) continue;
    const data = JSON.parse(readFileSync(join(DIR, file), 'utf8')) as Record<string, string>;
    delete data['@metadata'];
    all.set(lang, { ...all.get(lang), ...data });
  }
  return all;
}

const RTL = new Set(['ar', 'he', 'fa', 'ur', 'ps', 'yi', 'ckb', 'dv', 'sd', 'ug']);

export function createI18n(opts: { sitename: string }): I18n {
  const catalogs = loadAll();
  const english = catalogs.get('en');
  if (!english) throw new Error('English messages are missing');
  const bananas = new Map<string, Banana>();
  for (const [lang, msgs] of catalogs) {
    const b = new Banana(lang);
    // Every catalogue carries the English texts underneath its own, so a missing key still renders.
    const merged: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...english, ...msgs })) merged[k] = v.replace(/\{\{SITENAME\}\}/g, opts.sitename);
    b.load(merged, lang);
    bananas.set(lang, b);
  }
  const languages = [...catalogs.keys()].sort();

  function resolve(code: string | null | undefined): string | null {
    if (!code) return null;
    const c = code.trim().toLowerCase();
    if (catalogs.has(c)) return c;
    const base = c.split(/[-_]/)[0]!;
    return catalogs.has(base) ? base : null;
  }

  return {
    languages,
    has: (key) => key in english,
    resolve,
    direction: (lang) => (RTL.has(lang.split('-')[0]!) ? 'rtl' : 'ltr'),
    text(lang, key, ...params) {
      const b = bananas.get(resolve(lang) ?? 'en')!;
      if (!(key in english)) return `⧼${key}⧽`;
      const flat = params.map((p): string | number => {
        if (typeof p !== 'object') return p;
        if ('plaintext' in p) return p.plaintext;
        if ('num' in p) return p.num;
        if ('list' in p) {
          // A parameter name marked <var>name</var> (as MediaWiki passes them) reads "name" in text.
          const items = Object.values(p.list).map((v) => (typeof v === 'string' ? v : v.plaintext).replace(/<var>(.*?)<\/var>/g, '"$1"'));
          // "text" lists read as a sentence ("a, b and c"); "comma" lists are comma-separated.
          if (p.type === 'text' && items.length > 1) {
            return items.slice(0, -1).join(this.text(lang, 'comma-separator')) + this.text(lang, 'and-separator') + items[items.length - 1];
          }
          return items.join(this.text(lang, 'comma-separator'));
        }
        if ('duration' in p) {
          const d = durationMessage(p.duration);
          return this.text(lang, d.key, ...d.params);
        }
        return this.text(lang, p.key, ...p.params);
      });
      return b.i18n(key, ...flat);
    },
  };
}
