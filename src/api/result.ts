// The result data model: what a module returns, with the metadata MediaWiki's ApiResult carries, and
// the transformations every printer starts from (formatversion 1's backward-compatible shape, array
// and object types, key-value pairs, stripping the metadata).
//
// A module returns plain objects and arrays. Where MediaWiki marks a value (the XML tag of a list's
// items, the key printed as element text, booleans that stay booleans in formatversion 1, …), the
// module marks it with `meta()` or one of the small helpers below; printers never guess.

/** MediaWiki's META_TYPE values. */
export type ResultType = 'default' | 'array' | 'assoc' | 'kvp' | 'BCarray' | 'BCassoc' | 'BCkvp';

/** ApiResult's metadata items, by MediaWiki's key names (rawfm prints them under these names). */
export interface Metadata {
  _type?: ResultType;
  _kvpkeyname?: string;
  _kvpmerge?: boolean;
  /** XML tag of the items of a list (META_INDEXED_TAG_NAME). */
  _element?: string;
  /** Keys printed as XML elements rather than attributes. */
  _subelements?: string[];
  /** Keys starting with "_" that are data, not metadata. */
  _preservekeys?: string[];
  /** The key holding the "content": "*" in formatversion 1, the element's text in XML. */
  _content?: string;
  /** Booleans that stay booleans in formatversion 1 (values that are booleans in the data). */
  _BC_bools?: string[];
  /** Keys that become {"*": value} in formatversion 1 and elements in XML. */
  _BC_subelements?: string[];
}

/** The friendly names modules use. */
export interface ResultMeta {
  type?: ResultType;
  kvpKeyName?: string;
  kvpMerge?: boolean;
  indexedTagName?: string;
  subelements?: string[];
  preserveKeys?: string[];
  content?: string;
  bcBools?: string[];
  bcSubelements?: string[];
}

const NAMES: Record<keyof ResultMeta, keyof Metadata> = {
  type: '_type',
  kvpKeyName: '_kvpkeyname',
  kvpMerge: '_kvpmerge',
  indexedTagName: '_element',
  subelements: '_subelements',
  preserveKeys: '_preservekeys',
  content: '_content',
  bcBools: '_BC_bools',
  bcSubelements: '_BC_subelements',
};

export const META = Symbol('resultMeta');
/** Keys of an object in PHP's insertion order, where JavaScript would put integer-like keys first. */
export const KEY_ORDER = Symbol('keyOrder');

type Marked = { [META]?: Metadata; [KEY_ORDER]?: string[] };

/**
 * Adds metadata to an object or array (in place) and returns it. Items set again keep their place;
 * new items come after the ones already there, as in PHP, so rawfm prints them in call order.
 */
export function meta<T extends object>(value: T, m: ResultMeta): T {
  let md = (value as Marked)[META];
  if (!md) {
    md = {};
    Object.defineProperty(value, META, { value: md, enumerable: false, configurable: true });
  }
  for (const [k, v] of Object.entries(m) as Array<[keyof ResultMeta, unknown]>) {
    if (v !== undefined) (md as Record<string, unknown>)[NAMES[k]] = Array.isArray(v) ? [...v] : v;
  }
  return value;
}

/** The named key is the value's content ("*" in formatversion 1, element text in XML). */
export function content<T extends Record<string, unknown>>(obj: T, key: keyof T & string): T {
  return meta(obj, { content: key });
}

/** A list whose items are printed in XML as `<tag>` elements. */
export function indexed<T extends unknown[] | Record<string, unknown>>(value: T, tag: string): T {
  return meta(value, { indexedTagName: tag });
}

/** A list of scalars as MediaWiki usually marks one: type array, items as `<tag>`. */
export function list<T>(items: T[], tag: string): T[] {
  return meta(items, { type: 'array', indexedTagName: tag });
}

/** An object printed as `{}` even when empty (META_TYPE assoc). */
export function assoc<T extends Record<string, unknown>>(obj: T): T {
  return meta(obj, { type: 'assoc' });
}

/** An object whose keys print in this order even when some look like integers. */
export function ordered<T extends Record<string, unknown>>(obj: T, keys: string[] = Object.keys(obj)): T {
  Object.defineProperty(obj, KEY_ORDER, { value: keys, enumerable: false, configurable: true });
  return obj;
}

/** A number that PHP holds as a float (serialized as `d:…;`), whatever its value. */
export class PhpFloat {
  constructor(readonly value: number) {}
  toJSON(): number {
    return this.value;
  }
}

export function float(n: number): PhpFloat {
  return new PhpFloat(n);
}

// ---------------------------------------------------------------------------------------------
// The tree every printer reads: PHP's arrays (ordered keys, integer or string) with their metadata.

export type Scalar = string | number | boolean | null | PhpFloat;
export type Key = string | number;
export type Node = Scalar | ResultArray;

export interface ResultArray {
  /** Entries in order; integer keys are numbers, as PHP turns "15" into 15. */
  entries: Array<[Key, Node]>;
  /** Metadata kept for the printer (empty once stripped). */
  meta: Record<string, unknown>;
  /** Printed as a JSON object even when empty or list-like (AssocAsObject). */
  object?: boolean;
}

export function isArray(n: Node | undefined): n is ResultArray {
  return typeof n === 'object' && n !== null && !(n instanceof PhpFloat);
}

/** PHP's array key for a string: canonical decimal integers become integers. */
export function phpKey(k: string): Key {
  const c = k.charCodeAt(0);
  if (!(c === 45 || (c >= 48 && c <= 57))) return k;
  if (/^(0|-?[1-9][0-9]{0,17})$/.test(k)) {
    const n = Number(k);
    if (Number.isSafeInteger(n)) return n;
  }
  return k;
}

/**
 * Text as ApiResult stores it (UtfNormal's cleanUp): NFC, and the control characters XML cannot carry
 * (all below U+0020 but tab, line feed and carriage return), U+FFFE, U+FFFF and lone surrogates
 * replaced by U+FFFD, so every printer can print every string.
 */
export function cleanText(s: string): string {
  // Printable ASCII is already clean (most text is).
  if (/^[\x20-\x7e]*$/.test(s)) return s;
  return s
    .replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd')
    .normalize('NFC');
}

/** A module's value as the tree (undefined and functions are left out, as unset keys). */
export function toTree(value: unknown): Node {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return cleanText(value);
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  if (value instanceof PhpFloat) return value;
  if (typeof value !== 'object') return null;
  const md = { ...((value as Marked)[META] ?? {}) } as Record<string, unknown>;
  const entries: Array<[Key, Node]> = [];
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      if (v !== undefined && typeof v !== 'function') entries.push([i, toTree(v)]);
    });
  } else {
    const rec = value as Record<string, unknown>;
    const order = (value as Marked)[KEY_ORDER];
    const keys = order ? [...order.filter((k) => k in rec), ...Object.keys(rec).filter((k) => !order.includes(k))] : Object.keys(rec);
    for (const k of keys) {
      const v = rec[k];
      if (v === undefined || typeof v === 'function') continue;
      entries.push([phpKey(cleanText(k)), toTree(v)]);
    }
  }
  return { entries, meta: md };
}

// ---------------------------------------------------------------------------------------------
// ApiResult::getResultData()'s transformations

export interface Transforms {
  /** Backward compatibility (formatversion 1): flags 'nobool', 'no*', 'nosub'. */
  bc?: Array<'nobool' | 'no*' | 'nosub'>;
  /** Apply the array/object types. */
  types?: { assocAsObject?: boolean; armorKvp?: string };
  strip?: 'all' | 'base' | 'none' | 'bc';
  /** Called on each array first (XML uses it to treat BCassoc as assoc). */
  custom?: (a: ResultArray) => void;
}

function get(entries: Array<[Key, Node]>, k: Key): Node | undefined {
  return entries.find(([key]) => key === k)?.[1];
}

function set(entries: Array<[Key, Node]>, k: Key, v: Node): void {
  const i = entries.findIndex(([key]) => key === k);
  if (i >= 0) entries[i] = [k, v];
  else entries.push([k, v]);
}

function unset(entries: Array<[Key, Node]>, k: Key): void {
  const i = entries.findIndex(([key]) => key === k);
  if (i >= 0) entries.splice(i, 1);
}

/** PHP 8.2's ordering of array keys (ApiResult sorts "array" types by key). */
function compareKeys(a: Key, b: Key): number {
  const numeric = (k: Key) => typeof k === 'number' || /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(k);
  if (numeric(a) !== numeric(b)) return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
  if (numeric(a)) return Number(a) - Number(b);
  return a < b ? -1 : a > b ? 1 : 0;
}

export function transform(input: ResultArray, t: Transforms): ResultArray {
  const strip = t.strip ?? 'none';
  const inner: Transforms = strip === 'base' ? { ...t, strip: 'none' } : t;
  let types = t.types;
  const metadata: Record<string, unknown> = { ...input.meta };
  let data: Array<[Key, Node]> = input.entries.map(([k, v]) => [k, v]);
  const self: ResultArray = { entries: data, meta: metadata };
  t.custom?.(self);
  data = self.entries;

  if ((t.bc || types) && metadata._type === 'BCkvp' && metadata._kvpkeyname === undefined) {
    throw new Error('Type "BCkvp" used without a kvp key name');
  }

  let boolKeys: Set<Key> | null = null;
  if (t.bc) {
    if (!t.bc.includes('nobool')) boolKeys = new Set((metadata._BC_bools as string[] | undefined)?.map(phpKey) ?? []);
    if (!t.bc.includes('no*') && metadata._content !== undefined && metadata._content !== '*') {
      const k = phpKey(metadata._content as string);
      set(data, '*', get(data, k) ?? null);
      unset(data, k);
      metadata._content = '*';
    }
    if (!t.bc.includes('nosub') && metadata._BC_subelements) {
      for (const k of (metadata._BC_subelements as string[]).map(phpKey)) {
        const v = get(data, k);
        if (v !== undefined && v !== null) set(data, k, { entries: [['*', v]], meta: { _content: '*', _type: 'assoc' } });
      }
    }
    if (metadata._type === 'BCarray' || metadata._type === 'BCassoc') metadata._type = 'default';
    else if (metadata._type === 'BCkvp') types = { ...types, armorKvp: metadata._kvpkeyname as string };
  }

  let defaultType: 'array' | 'assoc' = 'array';
  let maxKey = -1;
  const out: Array<[Key, Node]> = [];
  for (const [k, v0] of data) {
    let v = isArray(v0) ? transform(v0, inner) : v0;
    if (boolKeys !== null && typeof v === 'boolean' && !boolKeys.has(k)) {
      if (!v) continue;
      v = '';
    }
    out.push([k, v]);
    if (typeof k === 'string') defaultType = 'assoc';
    else if (k > maxKey) maxKey = k;
  }
  data = out;

  let keep: Record<string, unknown>;
  if (strip === 'all' || strip === 'base') keep = {};
  else if (strip === 'none') keep = metadata;
  else {
    keep = {};
    if ('_element' in metadata) keep._element = metadata._element;
    if ('_subelements' in metadata) keep._subelements = metadata._subelements;
  }

  if (!types) return { entries: data, meta: keep };

  if (defaultType === 'array' && maxKey !== data.length - 1) defaultType = 'assoc';
  let type: string = defaultType;
  if (metadata._type !== undefined && metadata._type !== 'default') type = metadata._type as string;
  if ((type === 'kvp' || type === 'BCkvp') && !types.armorKvp) type = 'assoc';
  else if (type === 'BCarray') type = 'array';
  else if (type === 'BCassoc') type = 'assoc';

  switch (type) {
    case 'assoc':
      metadata._type = 'assoc';
      return { entries: data, meta: keep, object: !!types.assocAsObject };
    case 'array': {
      const sorted = [...data].sort(([a], [b]) => compareKeys(a, b));
      metadata._type = 'array';
      return { entries: sorted.map(([, v], i) => [i, v]), meta: keep };
    }
    case 'kvp':
    case 'BCkvp': {
      const key = (metadata._kvpkeyname as string | undefined) ?? types.armorKvp!;
      const valKey = t.bc ? '*' : 'value';
      const merge = !!metadata._kvpmerge;
      const items: Array<[Key, Node]> = [];
      for (const [k, v] of data) {
        let mergeType = 'n/a';
        if (merge && isArray(v)) {
          if (v.meta._type !== undefined) mergeType = v.meta._type as string;
          else if (v.object) mergeType = 'assoc';
          else mergeType = v.entries.every(([kk], i) => kk === i) ? 'array' : 'assoc';
        }
        let item: ResultArray;
        if (mergeType === 'assoc' && isArray(v)) {
          const entries = v.entries.map(([a, b]) => [a, b] as [Key, Node]);
          if (get(entries, phpKey(key)) === undefined) entries.push([phpKey(key), k]);
          item = { entries, meta: strip === 'none' ? { ...v.meta, _preservekeys: [key] } : {} };
        } else {
          item = { entries: [[phpKey(key), k], [valKey, v]], meta: strip === 'none' ? { _preservekeys: [key], _content: valKey, _type: 'assoc' } : {} };
        }
        if (types.assocAsObject) item.object = true;
        items.push([items.length, item]);
      }
      metadata._type = 'array';
      return { entries: items, meta: keep };
    }
    default:
      throw new Error(`Unknown result type "${type}"`);
  }
}
