// format=xml: MediaWiki's ApiFormatXml layout. Scalars are attributes unless listed as subelements;
// the "content" key is the element's text (with xml:space="preserve"); list items are elements named
// by the list's indexed tag name (`_v` when it has none), with `_idx` when the list is not a plain
// array; key-value lists become items with a `_name`; names that are not valid XML are mangled.
import { PhpFloat, isArray, transform, type Key, type Node, type ResultArray } from '../result.js';
import { phpFloat } from './php.js';
import { escapeText } from '../../util/html.js';

export const XML_NAMESPACE = 'http://www.mediawiki.org/xml/api/';

const NSC =
  'A-Za-z\\u{C0}-\\u{D6}\\u{D8}-\\u{F6}\\u{F8}-\\u{2FF}\\u{370}-\\u{37D}\\u{37F}-\\u{1FFF}' +
  '\\u{200C}-\\u{200D}\\u{2070}-\\u{218F}\\u{2C00}-\\u{2FEF}\\u{3001}-\\u{D7FF}' +
  '\\u{F900}-\\u{FDCF}\\u{FDF0}-\\u{FFFD}\\u{10000}-\\u{EFFFF}';
const NC = `${NSC}_\\-.0-9\\u{B7}\\u{300}-\\u{36F}\\u{203F}-\\u{2040}`;
const VALID_NAME = new RegExp(`^[${NSC}][${NC}]*$`, 'u');
const NOT_NAME_CHAR = new RegExp(`[^${NC}]`, 'gu');

/** A key as an XML name: kept when valid, otherwise "_" and every other character as ".HEX.". */
export function mangleName(name: string, preserve: readonly string[] = []): string {
  if (preserve.includes(name)) return name;
  if (name === '') return '_';
  if (VALID_NAME.test(name)) return name;
  return '_' + name.replace(/\./g, '.2E.').replace(NOT_NAME_CHAR, (c) => `.${c.codePointAt(0)!.toString(16).toUpperCase()}.`);
}

/** PHP's string conversion of a scalar (floats with 14 significant digits). */
function phpString(v: Node): string {
  if (v === null) return '';
  if (typeof v === 'boolean') return v ? '1' : '';
  if (v instanceof PhpFloat) return phpFloat(Number(v.value.toPrecision(14)));
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : phpFloat(Number(v.toPrecision(14)));
  if (typeof v === 'string') return v;
  return '';
}

function escapeAttribute(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#039;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;')
    .replace(/\t/g, '&#9;');
}

/** Xml::element()'s "no contents": an open tag only. */
const OPEN = Symbol('open');

/** Xml::element(): OPEN prints the open tag only; "" a short tag. */
function element(name: string, attributes: Map<string, string>, contents: Node | typeof OPEN = ''): string {
  let out = `<${name}`;
  for (const [k, v] of attributes) out += ` ${k}="${escapeAttribute(v)}"`;
  if (contents === OPEN) return `${out}>`;
  if (contents === '') return `${out} />`;
  return `${out}>${escapeText(phpString(contents))}</${name}>`;
}

const isScalar = (v: Node): boolean => v !== null && !isArray(v);
const contentWrapper = (v: Node): ResultArray => ({ entries: [['content', v]], meta: { _content: 'content', _type: 'assoc' } });

/** ApiFormatXml::recXmlPrint(): `indent` null prints on one line. */
export function recXmlPrint(name: string | null, value: Node, indent: number | null, attributes = new Map<string, string>()): string {
  let out = '';
  let indstr = '';
  if (indent !== null) {
    if (name !== null) indent += 2;
    indstr = '\n' + ' '.repeat(indent);
  }
  if (!isArray(value)) {
    return out + indstr + (value === null ? element(name!, attributes) : element(name!, attributes, value));
  }
  const md = value.meta;
  const contentKey = (md._content as string | undefined) ?? '*';
  const subelementKeys = [...((md._subelements as string[] | undefined) ?? []), ...((md._BC_subelements as string[] | undefined) ?? [])];
  const preserve = (md._preservekeys as string[] | undefined) ?? [];
  const indexedTagName = md._element !== undefined ? mangleName(md._element as string, preserve) : '_v';
  const bcBools = (md._BC_bools as string[] | undefined) ?? [];
  const indexSubelements = md._type !== undefined && md._type !== 'array';

  let content: Node = null;
  const subelements = new Map<string, Node>();
  const indexed: Array<[number, Node]> = [];
  for (const [k, v0] of value.entries) {
    if (typeof k === 'string' && k.startsWith('_') && !preserve.includes(k)) continue;
    let v = v0;
    if (typeof v === 'boolean' && !bcBools.includes(k as string)) v = v ? 'true' : 'false';
    if (name !== null && k === contentKey) content = v;
    else if (typeof k === 'number') indexed.push([k, v]);
    else if (isArray(v)) subelements.set(mangleName(k, preserve), v);
    else if (subelementKeys.includes(k) || name === null) subelements.set(mangleName(k, preserve), contentWrapper(v));
    else if (typeof v0 === 'boolean') {
      if (v0) attributes.set(mangleName(k, preserve), '');
    } else if (v !== null) attributes.set(mangleName(k, preserve), phpString(v));
  }

  if (content !== null) {
    if (subelements.size || indexed.length) {
      subelements.set(mangleName(contentKey, preserve), contentWrapper(content));
      content = null;
    } else if (isScalar(content) && !attributes.has('xml:space')) {
      attributes.set('xml:space', 'preserve');
    }
  }

  if (content !== null) {
    if (isScalar(content)) {
      out += indstr + element(name!, attributes, content);
    } else {
      if (name !== null) out += indstr + element(name, attributes, OPEN);
      out += recXmlPrint(null, content, indent);
      if (name !== null) out += `${indstr}</${name}>`;
    }
  } else if (!indexed.length && !subelements.size) {
    if (name !== null) out += indstr + element(name, attributes);
  } else {
    if (name !== null) out += indstr + element(name, attributes, OPEN);
    for (const [k, v] of subelements) out += recXmlPrint(k, v, indent);
    for (const [k, v] of indexed) {
      out += recXmlPrint(indexedTagName, v, indent, indexSubelements ? new Map([['_idx', String(k)]]) : new Map());
    }
    if (name !== null) out += `${indstr}</${name}>`;
  }
  return out;
}

/** The whole document, from the untransformed result. */
export function printXml(result: ResultArray, opts: { pretty: boolean; includeNamespace: boolean }): string {
  let top = result;
  if (opts.includeNamespace && !top.entries.some(([k]) => k === 'xmlns')) {
    top = { ...top, entries: [...top.entries, ['xmlns' as Key, XML_NAMESPACE]] };
  }
  const data = transform(top, {
    custom: (a) => {
      if (a.meta._type === 'BCassoc') a.meta._type = 'assoc';
    },
    bc: ['nobool', 'no*', 'nosub'],
    types: { armorKvp: '_name' },
  });
  return '<?xml version="1.0"?>' + recXmlPrint('api', data, opts.pretty ? -2 : null);
}
