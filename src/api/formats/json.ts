// JSON as MediaWiki's FormatJson writes it: "/" unescaped; non-ASCII as \uXXXX unless allowed;
// "<", ">" and "&" as \u003C… only when asked; PHP's JSON_PRETTY_PRINT layout (4 spaces).
import { PhpFloat, isArray, type Node, type ResultArray } from '../result.js';

export interface JsonOptions {
  utf8: boolean;
  escapeXmlMeta: boolean;
  pretty?: boolean;
}

function encodeString(s: string, o: JsonOptions): string {
  // Printable ASCII without quotes or backslashes prints as it is (most text).
  if (/^[\x20-\x21\x23-\x5b\x5d-\x7e]*$/.test(s) && !(o.escapeXmlMeta && /[<>&]/.test(s))) return `"${s}"`;
  let out = JSON.stringify(s);
  if (!o.utf8) out = out.replace(/[\u0080-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
  else out = out.replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
  if (o.escapeXmlMeta) out = out.replace(/</g, '\\u003C').replace(/>/g, '\\u003E').replace(/&/g, '\\u0026');
  return out;
}

function metaNode(v: unknown): Node {
  if (Array.isArray(v)) return { entries: v.map((x, i) => [i, metaNode(x)]), meta: {} };
  if (v === undefined) return null;
  return v as Node;
}

/** The entries a PHP array holds once its kept metadata is merged back (`$data + $metadata`). */
export function allEntries(a: ResultArray): Array<[string | number, Node]> {
  const extra = Object.entries(a.meta).map(([k, v]) => [k, metaNode(v)] as [string, Node]);
  return extra.length ? [...a.entries, ...extra] : a.entries;
}

function isList(entries: Array<[string | number, Node]>): boolean {
  return entries.every(([k], i) => k === i);
}

function encode(n: Node, o: JsonOptions, indent: string): string {
  if (n === null) return 'null';
  if (typeof n === 'boolean') return n ? 'true' : 'false';
  if (typeof n === 'number') return Number.isFinite(n) ? String(n) : '0';
  if (n instanceof PhpFloat) return Number.isFinite(n.value) ? String(n.value) : '0';
  if (typeof n === 'string') return encodeString(n, o);
  if (!isArray(n)) return 'null';
  const entries = allEntries(n);
  const asList = !n.object && isList(entries);
  if (entries.length === 0) return asList ? '[]' : '{}';
  const inner = o.pretty ? `${indent}    ` : '';
  const parts = entries.map(([k, v]) => {
    const value = encode(v, o, inner);
    if (asList) return value;
    return `${encodeString(String(k), o)}:${o.pretty ? ' ' : ''}${value}`;
  });
  const [open, close] = asList ? ['[', ']'] : ['{', '}'];
  if (!o.pretty) return `${open}${parts.join(',')}${close}`;
  return `${open}\n${inner}${parts.join(`,\n${inner}`)}\n${indent}${close}`;
}

export function encodeJson(n: Node, o: JsonOptions): string {
  return encode(n, o, '');
}
