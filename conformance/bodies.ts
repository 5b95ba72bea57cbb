// Response bodies other than JSON, read into the same kind of value the comparison works on:
// format=xml (an element's attributes and children as keys, its text as "*", repeated children as a
// list), format=php (PHP's unserialize: lists, keyed arrays, and floats marked as such), and the HTML
// forms (jsonfm, xmlfm, phpfm, rawfm) by the <pre class="api-pretty-content"> they wrap.
// Reading fails on anything malformed (a wrong string length in serialized PHP, an unclosed element),
// which the comparison reports as a difference.

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-z]+);/g, (whole, e: string) => {
    if (e.startsWith('#x')) return String.fromCodePoint(parseInt(e.slice(2), 16));
    if (e.startsWith('#')) return String.fromCodePoint(Number(e.slice(1)));
    return ENTITIES[e] ?? whole;
  });
}

interface XmlElement {
  name: string;
  attrs: Array<[string, string]>;
  children: XmlElement[];
  text: string;
}

/** A small XML reader for the API's output: declaration, processing instructions, elements, text. */
export function parseXml(xml: string): XmlElement {
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`XML: ${why} at ${i}`);
  };
  const skipMisc = () => {
    for (;;) {
      while (/\s/.test(xml[i] ?? '')) i++;
      if (xml.startsWith('<?', i)) i = xml.indexOf('?>', i) + 2 || fail('unclosed <?');
      else if (xml.startsWith('<!--', i)) i = xml.indexOf('-->', i) + 3 || fail('unclosed comment');
      else return;
    }
  };
  const element = (): XmlElement => {
    if (xml[i] !== '<') fail('expected <');
    const m = /^<([^\s/>]+)/.exec(xml.slice(i));
    if (!m) fail('bad tag');
    const el: XmlElement = { name: m![1]!, attrs: [], children: [], text: '' };
    i += m![0].length;
    for (;;) {
      while (/\s/.test(xml[i] ?? '')) i++;
      if (xml.startsWith('/>', i)) {
        i += 2;
        return el;
      }
      if (xml[i] === '>') {
        i++;
        break;
      }
      const a = /^([^\s=/>]+)="([^"]*)"/.exec(xml.slice(i));
      if (!a) fail('bad attribute');
      el.attrs.push([a![1]!, decodeEntities(a![2]!)]);
      i += a![0].length;
    }
    for (;;) {
      const lt = xml.indexOf('<', i);
      if (lt < 0) fail(`unclosed <${el.name}>`);
      el.text += decodeEntities(xml.slice(i, lt));
      i = lt;
      if (xml.startsWith(`</${el.name}>`, i)) {
        i += el.name.length + 3;
        return el;
      }
      if (xml.startsWith('</', i)) fail(`mismatched closing tag in <${el.name}>`);
      el.children.push(element());
    }
  };
  skipMisc();
  const root = element();
  skipMisc();
  if (i !== xml.length) fail('content after the root element');
  return root;
}

/**
 * An element as a value: attributes, then the text as "*" when it holds some (whitespace-only text
 * between elements, from pretty-printing, is none), then the children by tag (a list when repeated).
 */
export function xmlValue(el: XmlElement): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of el.attrs) out[k] = v;
  if (el.children.length === 0 ? el.text !== '' : el.text.trim() !== '') out['*'] = el.text;
  const counts = new Map<string, number>();
  for (const c of el.children) counts.set(c.name, (counts.get(c.name) ?? 0) + 1);
  for (const c of el.children) {
    const v = xmlValue(c);
    if (counts.get(c.name)! > 1) ((out[c.name] ??= []) as unknown[]).push(v);
    else out[c.name] = v;
  }
  return out;
}

/** A float in unserialized PHP, kept apart from integers. */
export const FLOAT_PREFIX = '\u0000float:';

/** PHP's unserialize() for what ApiFormatPhp prints: N, b, i, d, s (length in UTF-8 bytes), a. */
export function unserializePhp(text: string): unknown {
  const buf = Buffer.from(text, 'utf8');
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`PHP serialization: ${why} at byte ${i}`);
  };
  const until = (ch: string): string => {
    const end = buf.indexOf(ch, i);
    if (end < 0) fail(`expected "${ch}"`);
    const s = buf.subarray(i, end).toString('utf8');
    i = end + 1;
    return s;
  };
  const expect = (s: string) => {
    if (buf.subarray(i, i + s.length).toString('latin1') !== s) fail(`expected "${s}"`);
    i += s.length;
  };
  const value = (): unknown => {
    const t = String.fromCharCode(buf[i]!);
    i++;
    switch (t) {
      case 'N':
        expect(';');
        return null;
      case 'b':
        expect(':');
        return until(';') === '1';
      case 'i': {
        expect(':');
        const n = until(';');
        if (!/^-?\d+$/.test(n)) fail('bad integer');
        return Number(n);
      }
      case 'd':
        expect(':');
        return FLOAT_PREFIX + until(';');
      case 's': {
        expect(':');
        const len = Number(until(':'));
        expect('"');
        const s = buf.subarray(i, i + len).toString('utf8');
        i += len;
        expect('";');
        return s;
      }
      case 'a': {
        expect(':');
        const n = Number(until(':'));
        expect('{');
        const entries: Array<[string | number, unknown]> = [];
        for (let k = 0; k < n; k++) {
          const key = value();
          if (typeof key !== 'string' && typeof key !== 'number') fail('bad key');
          entries.push([key as string | number, value()]);
        }
        expect('}');
        const isList = entries.every(([k], idx) => k === idx);
        return isList ? entries.map(([, v]) => v) : Object.fromEntries(entries.map(([k, v]) => [String(k), v]));
      }
      default:
        return fail(`unknown type "${t}"`);
    }
  };
  const v = value();
  if (i !== buf.length) fail('trailing bytes');
  return v;
}

/** The printed result inside an HTML form's <pre>, or null. */
export function prettyContent(html: string): string | null {
  const m = /<pre class="api-pretty-content">([\s\S]*?)<\/pre>/.exec(html);
  return m ? decodeEntities(m[1]!) : null;
}

/**
 * A body as a value for the comparison, by its content type (and, for the HTML forms, by the format
 * asked for): undefined when it is none of the API's formats.
 */
export function readBody(text: string, contentType: string, format: string | undefined): unknown {
  try {
    const ct = contentType.toLowerCase();
    let inner = text;
    let kind = ct.startsWith('application/vnd.php.serialized') ? 'php' : /^(text\/xml|application\/rsd\+xml)/.test(ct) ? 'xml' : null;
    if (ct.startsWith('text/html') && format && /fm$/.test(format)) {
      const pre = prettyContent(text);
      if (pre === null) return undefined;
      inner = pre;
      kind = format === 'xmlfm' ? 'xml' : format === 'phpfm' ? 'php' : 'json';
    }
    if (kind === 'xml') return xmlValue(parseXml(inner));
    if (kind === 'php') return unserializePhp(inner);
    if (kind === 'json') return JSON.parse(inner);
    return undefined;
  } catch (e) {
    return { '<unreadable body>': (e as Error).message };
  }
}
