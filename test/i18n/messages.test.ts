import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createI18n } from '../../src/i18n/index.js';

const DIR = join(dirname(fileURLToPath(import.meta.url)), '../../src/i18n/messages');

type Catalog = Record<string, string>;

function load(file: string): { meta: unknown; messages: Catalog } {
  const data = JSON.parse(readFileSync(join(DIR, file), 'utf8')) as Record<string, unknown>;
  const { '@metadata': meta, ...rest } = data;
  for (const [k, v] of Object.entries(rest)) assert.equal(typeof v, 'string', `${file}: ${k} is not a string`);
  return { meta, messages: rest as Catalog };
}

// "<lang>.json" is a language; "<lang>.<part>.json" (e.g. ar.web.json) adds keys and is compared with en.<part>.json.
const files = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();
const englishOf = (file: string) => load(`en${file.slice(file.indexOf('.'))}`).messages;
const english = load('en.json').messages;
const translations = files
  .filter((f) => !f.startsWith('en.'))
  .map((f) => ({ lang: f.slice(0, f.indexOf('.')), file: f, english: englishOf(f), ...load(f) }));

/** The parameter numbers ($1, $2, …) a message uses. */
function params(text: string): Set<number> {
  return new Set([...text.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])));
}

/** Every {{PLURAL:…}} in a message: its count parameter and its forms (explicit "n=" forms left out). */
function plurals(text: string): Array<{ count: string; forms: string[] }> {
  const out: Array<{ count: string; forms: string[] }> = [];
  let at = text.indexOf('{{PLURAL:');
  while (at !== -1) {
    let depth = 0;
    let i = at;
    const parts: string[] = [];
    let part = '';
    for (; i < text.length; i++) {
      if (text.startsWith('{{', i)) {
        depth++;
        if (depth > 1) part += '{{';
        i++;
      } else if (text.startsWith('}}', i)) {
        depth--;
        if (depth === 0) break;
        part += '}}';
        i++;
      } else if (text[i] === '|' && depth === 1) {
        parts.push(part);
        part = '';
      } else {
        part += text[i];
      }
    }
    assert.equal(depth, 0, `unclosed {{PLURAL: in ${JSON.stringify(text)}`);
    parts.push(part);
    const count = parts[0]!.slice('PLURAL:'.length).trim();
    out.push({ count, forms: parts.slice(1).filter((f) => !/^\s*\d+\s*=/.test(f)) });
    at = text.indexOf('{{PLURAL:', i);
  }
  return out;
}

test('there is at least one translation besides English', () => {
  assert.ok(files.includes('en.json'));
  assert.ok(translations.length > 0);
});

for (const t of translations) {
  test(`${t.file}: has @metadata and the same keys as its English file`, () => {
    assert.equal(typeof t.meta, 'object');
    assert.ok(t.meta !== null);
    assert.deepEqual(Object.keys(t.messages).sort(), Object.keys(t.english).sort());
  });

  test(`${t.file}: no empty texts, same line breaks and {{SITENAME}} use as English`, () => {
    for (const [key, en] of Object.entries(t.english)) {
      const tr = t.messages[key];
      if (tr === undefined) continue; // reported by the key-set test
      assert.ok(tr.trim().length > 0, `${key} is empty`);
      assert.equal(tr.split('\n').length, en.split('\n').length, `${key}: line breaks differ from English`);
      assert.equal(tr.includes('{{SITENAME}}'), en.includes('{{SITENAME}}'), `${key}: {{SITENAME}} use differs`);
    }
  });

  test(`${t.file}: parameters match English`, () => {
    for (const [key, en] of Object.entries(t.english)) {
      const tr = t.messages[key];
      if (tr === undefined) continue;
      const enParams = params(en);
      const trParams = params(tr);
      const max = Math.max(0, ...enParams);
      for (const n of enParams) assert.ok(trParams.has(n), `${key}: $${n} is missing`);
      for (const n of trParams) assert.ok(n <= max, `${key}: $${n} is beyond English's $${max}`);
    }
  });

  test(`${t.file}: {{PLURAL:}} use matches English`, () => {
    const forms = t.lang === 'ar' ? 6 : 2;
    for (const [key, en] of Object.entries(t.english)) {
      const tr = t.messages[key];
      if (tr === undefined) continue;
      const enPl = plurals(en);
      const trPl = plurals(tr);
      assert.equal(trPl.length, enPl.length, `${key}: {{PLURAL: count differs`);
      assert.deepEqual(trPl.map((p) => p.count).sort(), enPl.map((p) => p.count).sort(), `${key}: PLURAL counts differ`);
      for (const p of trPl) {
        if (t.lang === 'ar') assert.equal(p.forms.length, forms, `${key}: Arabic PLURAL needs six forms`);
        else assert.ok(p.forms.length >= forms, `${key}: PLURAL needs at least ${forms} forms`);
      }
    }
  });
}

test('every message renders in every language without markup left over', () => {
  const i18n = createI18n({ sitename: 'Wiki' });
  for (const lang of i18n.languages) {
    for (const key of Object.keys(english)) {
      for (const n of [0, 1, 2, 3, 11, 100]) {
        const out = i18n.text(lang, key, 'P1', n, n, 'P4', n);
        assert.ok(!out.includes('{{') && !out.includes('}}'), `${lang}/${key} (${n}): ${out}`);
        assert.ok(!out.includes('⧼'), `${lang}/${key}: not found`);
        assert.ok(!/\$\d/.test(out), `${lang}/${key}: unreplaced parameter in ${out}`);
      }
    }
  }
});

test('render checks through createI18n', () => {
  const i18n = createI18n({ sitename: 'Wiki' });
  assert.ok(i18n.languages.includes('ar'));
  assert.ok(i18n.languages.includes('fr'));

  // Arabic has six plural forms: zero, one, two, few (3–10), many (11–99), other (100+).
  const minutes = [0, 1, 2, 3, 11, 100].map((n) => i18n.text('ar', 'duration-minutes', n));
  assert.equal(new Set(minutes).size, 6, minutes.join(' / '));
  assert.equal(i18n.text('ar', 'duration-minutes', 1), 'دقيقة واحدة');
  assert.equal(i18n.text('ar', 'duration-minutes', 2), 'دقيقتين');
  assert.equal(i18n.text('ar', 'duration-minutes', 3), '3 دقائق');
  assert.equal(i18n.text('ar', 'duration-minutes', 11), '11 دقيقة');
  assert.equal(i18n.text('ar', 'duration-days', 11), '11 يومًا');
  assert.equal(i18n.text('ar', 'duration-days', 100), '100 يوم');

  // French: one/other; 0 takes the singular.
  assert.equal(i18n.text('fr', 'duration-days', 1), 'un jour');
  assert.equal(i18n.text('fr', 'duration-days', 0), '0\u00a0jour');
  assert.equal(i18n.text('fr', 'duration-days', 3), '3\u00a0jours');

  assert.equal(i18n.direction('ar'), 'rtl');
  assert.equal(i18n.direction('fr'), 'ltr');
  assert.equal(i18n.resolve('ar-EG'), 'ar');
  assert.equal(i18n.resolve('fr-CA'), 'fr');

  assert.equal(i18n.text('ar', 'no-such-message-key'), '⧼no-such-message-key⧽');
  assert.equal(i18n.text('fr', 'no-such-message-key'), '⧼no-such-message-key⧽');

  for (const lang of ['en', 'ar', 'fr']) {
    const title = i18n.text(lang, 'passwordreset-emailtitle');
    assert.ok(title.includes('Wiki'), `${lang}: ${title}`);
    assert.ok(!title.includes('{{SITENAME}}'), `${lang}: ${title}`);
  }

  // Parameters nest and technical tokens survive in the translated mail.
  const body = i18n.text(
    'ar',
    'passwordreset-emailtext-ip',
    '192.0.2.1',
    { key: 'passwordreset-emailelement', params: ['Alice', 'secret'] },
    1,
    '<https://wiki.example/wiki/Special:UserLogin>',
    7,
  );
  assert.ok(body.includes('192.0.2.1'));
  assert.ok(body.includes('Alice') && body.includes('secret'));
  assert.ok(body.includes('\n<https://wiki.example/wiki/Special:UserLogin>\n'));
  assert.ok(body.includes('7 أيام'));
  assert.ok(body.includes('Wiki'));
});
